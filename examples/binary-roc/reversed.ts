// Weak submission for binary-roc: a trained classifier whose score() returns the probability of
// the wrong class (T-shirt/top, label 0) while the grader reads larger scores as "shirt". Its ROC
// AUC falls far below 0.5 and most images are misclassified at its threshold: it fails both items,
// and the AUC hint says the scores look reversed.
import * as tf from '@tensorflow/tfjs-node';

export const threshold = 0.5;

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number }) {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.seed }) }),
      tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.seed + 1 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  await model.fit(images, labels.toFloat(), { epochs: 3, batchSize: 128, shuffle: true, verbose: 0 });
  return model;
}

export async function score(model: tf.LayersModel, images: tf.Tensor4D) {
  // Column 0 is P(label 0) = P(T-shirt/top): the column of label 1 was meant.
  return tf.tidy(() => (model.predict(images) as tf.Tensor).slice([0, 0], [-1, 1]).reshape([-1]));
}
