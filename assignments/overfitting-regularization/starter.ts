// overfitting-regularization: see README.md for the contract and the rubric.
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

// x: [2000, 1000] float32 multi-hot (x[i][w] = 1 when review i contains word w of the vocabulary);
// labels: [2000] int32, 1 = positive; vocabulary: the 1,000 words, by column.
// ctx: { seed, maxBatchSize, timeLimitSec, epochs: 20, vocabSize: 1000 }.
// Return three models with the same Dense layers, each trained with model.fit for ctx.epochs epochs:
// input [n, 1000] → [n, 1] probability of "positive".
export async function train(
  { x, labels, vocabulary }: { x: tf.Tensor2D; labels: tf.Tensor1D; vocabulary: string[] },
  ctx: { seed: number; maxBatchSize: number; timeLimitSec: number; epochs: number; vocabSize: number },
): Promise<{ baseline: tf.LayersModel; l2: tf.LayersModel; dropout: tf.LayersModel }> {
  // 1. A function that builds the network: dense layers with relu, one sigmoid unit, binaryCrossentropy.
  // 2. baseline: as it is; l2: kernelRegularizer: tf.regularizers.l2({ l2: … }) on the hidden Dense layers;
  //    dropout: tf.layers.dropout({ rate: … }) after each hidden Dense layer.
  // 3. model.fit each for ctx.epochs epochs (a validationSplit shows you the curves the grader measures).
  throw new Error('not implemented yet');
}
