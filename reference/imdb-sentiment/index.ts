// Reference for imdb-sentiment (notes 001, lab 3): the TensorFlow tutorial's
// model on the grader's word ids: Embedding(vocab, 16) → GlobalAveragePooling1D
// → Dense(16, relu) → Dense(1, sigmoid), binary cross-entropy, Adam, with a
// validation split to watch for overfitting; the grader does the predicting.
import * as tf from '@tensorflow/tfjs-node';

interface Reviews { texts: string[]; sequences: tf.Tensor2D; labels: tf.Tensor1D; vocabulary: string[] }

export async function train({ sequences, labels }: Reviews, ctx: { seed: number; vocabSize: number; sequenceLength: number }) {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: ctx.seed + i });
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: ctx.vocabSize, outputDim: 16, inputLength: ctx.sequenceLength, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: ctx.seed }) }),
      tf.layers.globalAveragePooling1d({}),
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(2) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(sequences, labels.toFloat(), { epochs: 4, batchSize: 256, validationSplit: 0.1, shuffle: true, verbose: 0 });
  const acc = history.history.val_acc ?? history.history.val_accuracy ?? [];
  console.log(`validation accuracy by epoch: ${acc.map((a) => Number(a).toFixed(3)).join(' ')}`);
  return model;
}
