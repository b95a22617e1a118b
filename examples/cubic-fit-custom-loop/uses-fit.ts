// Broken for WORK1.2: trains with model.fit instead of a hand-written loop.
import * as tf from '@tensorflow/tfjs';

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 32, activation: 'tanh' }), tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 50, verbose: 0 });
  return model;
}

export async function predict(model: tf.LayersModel, x: tf.Tensor2D) {
  return model.predict(x) as tf.Tensor;
}
