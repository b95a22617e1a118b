// expect: PASS /^$/
// Saves where the sandbox may write (its current folder, which is ctx.outDir) and loads the model back.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { outDir: string }) {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await model.fit(images, tf.oneHot(labels.toInt(), 10), { epochs: 1, batchSize: 32 });
  await model.save('file://./model');
  await model.save(`file://${ctx.outDir}/model-copy`);
  return tf.loadLayersModel('file://./model/model.json');
}

export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
