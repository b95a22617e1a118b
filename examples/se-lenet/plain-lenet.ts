// Weak for WORK3: a plain LeNet (no SE block), and "feature maps" that are
// just the input images.
import * as tf from '@tensorflow/tfjs';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(images.slice(0, 2000), labels.slice(0, 2000).toFloat(), { epochs: 1, batchSize: 128, verbose: 0 });
  return model;
}

export async function features(_model: tf.LayersModel, images: tf.Tensor4D) {
  return { maps: images, vectors: images.reshape([images.shape[0], -1]).slice([0, 0], [-1, 1]) };
}
