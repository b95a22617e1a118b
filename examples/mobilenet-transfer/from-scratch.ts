// Weak for WORK6: skips the pretrained base and trains a small CNN from
// scratch. MNIST is easy enough that it clears 0.7, but the assignment is
// transfer learning: the grader sees no pretrained layer run in predict().
import * as tf from '@tensorflow/tfjs';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const n = Math.min(3000, images.shape[0]);
  await model.fit(images.slice([0], [n]), labels.slice([0], [n]).toFloat(), { epochs: 5, batchSize: 128, verbose: 0 });
  return model;
}

export async function predict(model: tf.LayersModel, images: tf.Tensor4D) {
  return model.predict(images) as tf.Tensor;
}
