// imdb-sentiment: see README.md for the contract and the rubric.
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

// texts: the 25,000 training reviews (cleaned: no <br /> tags); sequences: the same reviews as word ids,
// [25000, 256] int32 (0 = padding, 1 = a word outside the vocabulary, 2… = vocabulary[id]); labels: [25000] int32,
// 1 = positive; vocabulary: the 10,000 words, by id.
// ctx: { seed, maxBatchSize, timeLimitSec, vocabSize, sequenceLength }.
// Return the trained model: word ids [n, 256] → the probability that each review is positive ([n, 1]).
export async function train(
  { texts, sequences, labels, vocabulary }: { texts: string[]; sequences: tf.Tensor2D; labels: tf.Tensor1D; vocabulary: string[] },
  ctx: { seed: number; maxBatchSize: number; timeLimitSec: number; vocabSize: number; sequenceLength: number },
): Promise<tf.LayersModel> {
  // 1. tf.sequential: an embedding layer (inputDim ctx.vocabSize), globalAveragePooling1d, a small dense layer,
  //    and one sigmoid unit.
  // 2. model.compile with binaryCrossentropy.
  // 3. model.fit on the sequences, keeping a validation split to see when it starts to overfit.
  throw new Error('not implemented yet');
}
