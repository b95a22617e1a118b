// Weak submission for triplet-oneshot: no triplet loss and no shared network. It trains an
// 8-digit classifier and uses its softmax output as the "embedding". The model it saves is a
// single-input classifier, so the shared-embedding item finds no layer called on anchor, positive
// and negative. (On the full data, three grading draws: AUC 0.807–0.817 on the unseen 3s and 7s, under the
// 0.83 of the rubric; accuracy 0.738–0.753 at threshold 1.0, under the 0.77 of the rubric, where the
// triplet reference reaches AUC 0.89–0.90 and accuracy 0.81–0.82. It fails all three items.)
import * as tf from '@tensorflow/tfjs-node';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number; outDir: string }) {
  const digits = [0, 1, 2, 4, 5, 6, 8, 9]; // the classes handed over, renumbered 0…7 for the softmax
  const y = tf.tensor1d(Array.from(await labels.data(), (d) => digits.indexOf(d)), 'int32');
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.seed }) }),
      tf.layers.dense({ units: 8, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.seed + 1 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(images, y.toFloat(), { epochs: 3, batchSize: 128, shuffle: true, verbose: 0 });
  await model.save(`file://${ctx.outDir}/triplet-model`);
  return { model, threshold: 1.0 };
}

/** Euclidean distance between the two softmax vectors. */
export async function distance(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => (model.predict(a) as tf.Tensor).sub(model.predict(b) as tf.Tensor).square().sum(1).sqrt());
}
