// expect: CRASH /^the sandbox may write only to its output folder \(ctx\.outDir \/ the current folder\): \/tmp\/mnist-model is outside it[\s\S]*runtime-save-tmp\.ts:11/
// As tfjs-examples/mnist-node does: the trained model is saved under /tmp.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await model.fit(images, tf.oneHot(labels.toInt(), 10), { epochs: 1, batchSize: 32 });
  await model.save('file:///tmp/mnist-model');
  return model;
}

export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
