// Weak for mnist-cnn: the right shape (conv → pool → dense → softmax), but
// trained on the first 1,000 images for one epoch: it has the layers, and
// misses the accuracy threshold by far.
import * as tf from '@tensorflow/tfjs';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(images.slice(0, 1000), labels.slice(0, 1000).toFloat(), { epochs: 1, batchSize: 32, verbose: 0 });
  return model;
}
