// Weak for mnist-cnn: a dense-only MLP (Flatten → Dense(128) → Dense(10)),
// trained well: it learns MNIST to about 0.975, but it has no convolution
// and no pooling layer, so it misses those items and the CNN accuracy bar.
import * as tf from '@tensorflow/tfjs';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(images, labels.toFloat(), { epochs: 5, batchSize: 128, shuffle: true, verbose: 0 });
  return model;
}
