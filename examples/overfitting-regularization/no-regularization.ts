// Weak: three copies of the baseline, none regularised. Each overfits as the
// baseline does, so neither "regularised" model beats it, their gaps are as
// wide, and the grader finds no L2 regularizer and no Dropout in their saved
// topologies.
import * as tf from '@tensorflow/tfjs-node';

function build(vocabSize: number) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 64, activation: 'relu', inputShape: [vocabSize] }),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'binaryCrossentropy' });
  return model;
}

export async function train({ x, labels }: { x: tf.Tensor2D; labels: tf.Tensor1D }, ctx: { epochs: number; vocabSize: number }) {
  const y = labels.toFloat();
  const models = { baseline: build(ctx.vocabSize), l2: build(ctx.vocabSize), dropout: build(ctx.vocabSize) };
  for (const m of Object.values(models)) await m.fit(x, y, { epochs: ctx.epochs, batchSize: 128, verbose: 0 });
  return models;
}
