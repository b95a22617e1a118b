// expect: BAD_SUBMISSION /^model\.fit was still running when train\(\) returned: did you forget `await`\? \(runtime-fit-not-awaited\.ts:12\)$/
// The classic slip: model.fit started but not awaited, so train() returns an untrained model while fit runs on.
import * as tf from '@tensorflow/tfjs';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const ys = tf.oneHot(labels.toInt(), 10);
  console.log('training...');
  model.fit(images, ys, { epochs: 5, batchSize: 32 });
  return model;
}

export async function distance(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => (model.predict(a) as tf.Tensor).sub(model.predict(b) as tf.Tensor).square().sum(1).sqrt());
}
