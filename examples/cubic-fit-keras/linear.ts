// Weak: a straight line cannot fit a cubic; MSE stays far above the threshold.
import * as tf from '@tensorflow/tfjs';

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 30, batchSize: 64, verbose: 0 });
  return model;
}

export async function predict(model: tf.LayersModel, x: tf.Tensor2D) {
  return model.predict(x) as tf.Tensor;
}
