// expect: PASS /^\ncompile-tfvis\.ts imports @tensorflow\/tfjs-vis: tfjs-vis draws nothing in the grader \(no display\)/
// As the TF.js tutorials do: tfjs-vis callbacks in model.fit, a visor, a chart; the grader has no display.
import * as tf from '@tensorflow/tfjs';
import * as tfvis from '@tensorflow/tfjs-vis';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const surface = tfvis.visor().surface({ name: 'Training', tab: 'Model' });
  tfvis.show.modelSummary(surface, model);
  const x = images.slice([0, 0, 0, 0], [32, 28, 28, 1]);
  const y = tf.oneHot(labels.slice([0], [32]).toInt(), 10);
  const callbacks = tfvis.show.fitCallbacks({ name: 'Loss', tab: 'Training' }, ['loss', 'acc'], { callbacks: ['onEpochEnd', 'onBatchEnd'] });
  const history = await model.fit(x, y, { epochs: 2, batchSize: 16, callbacks });
  await tfvis.render.linechart({ name: 'Loss' }, { values: history.history.loss.map((v, i) => ({ x: i, y: Number(v) })) }, { xLabel: 'epoch' });
  tfvis.visor().toggle();
  const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1));
  const truth = tf.tidy(() => y.argMax(-1));
  const perClass = await tfvis.metrics.perClassAccuracy(truth, predicted, 10);
  console.log(`accuracy ${await tfvis.metrics.accuracy(truth, predicted)}, class 0: ${perClass[0]!.accuracy}`);
  x.dispose(); y.dispose(); predicted.dispose(); truth.dispose();
  return model;
}

export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
