// cubic-fit-keras (WORK1.1) — starter. Self-check: npx dlgrade check cubic-fit-keras this-file.ts
import * as tf from '@tensorflow/tfjs-node';

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }, ctx: { seed: number; maxBatchSize: number }) {
  // TODO: a model with enough capacity for a cubic (a straight line is not).
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 10, batchSize: 64, verbose: 0 }); // TODO: enough epochs
  return model;
}

export async function predict(model: tf.LayersModel, x: tf.Tensor2D) {
  return model.predict(x) as tf.Tensor;
}
