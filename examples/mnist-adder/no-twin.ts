// Weak for WORK2: concatenates the two images into one input and trains with
// model.fit: no shared branch, no custom layer, no tf.data.
import * as tf from '@tensorflow/tfjs';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 56, 1] }), tf.layers.dense({ units: 128, activation: 'relu' }), tf.layers.dense({ units: 19, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const lab = await labels.data();
  const n = Math.min(10000, lab.length);
  const ia = Int32Array.from({ length: n }, (_, i) => i % lab.length), ib = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % lab.length);
  const x = tf.concat([tf.gather(images, ia), tf.gather(images, ib)], 2);
  const y = tf.oneHot(Int32Array.from(ia, (i, k) => lab[i]! + lab[ib[k]!]!), 19);
  await model.fit(x, y, { epochs: 2, batchSize: 128, verbose: 0 });
  return model;
}

export async function predict(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) {
  return model.predict(tf.concat([a, b], 2)) as tf.Tensor;
}
