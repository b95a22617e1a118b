// expect: PASS /^\ntf\.setBackend\('cpu'\) was ignored: the grader runs every submission on wasm$/
// Picks a backend itself, as many tutorials do before training; asking for the current one is not worth a word.
import * as tf from '@tensorflow/tfjs';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  await tf.setBackend('cpu');
  await tf.ready();
  await tf.setBackend('cpu');
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await model.fit(images, tf.oneHot(labels.toInt(), 10), { epochs: 1, batchSize: 32 });
  await tf.setBackend(tf.getBackend());
}

export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
