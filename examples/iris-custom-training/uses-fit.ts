// Broken for iris-custom-training: calls model.fit, which this assignment
// disables: a BAD_SUBMISSION that says why.
import * as tf from '@tensorflow/tfjs';

export async function train({ features, labels }: { features: tf.Tensor2D; labels: tf.Tensor1D }) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await model.fit(features, tf.oneHot(labels, 3), { epochs: 50, verbose: 0 });
  return model;
}

export async function predict(model: tf.LayersModel, features: tf.Tensor2D) {
  return model.predict(features) as tf.Tensor;
}
