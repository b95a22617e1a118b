// Reference for mnist-cnn (notes 001, lab 1 and lab 10): the CNN of the lab,
// two convolution blocks (conv → max-pool) then a dense layer and softmax,
// trained with model.fit; the grader does the predicting. Small filters
// (8 and 16) keep an epoch over 55,000 images near 25 s of CPU on wasm.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number }) {
  let k = 0;
  const init = () => tf.initializers.heNormal({ seed: ctx.seed + k++ });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu', kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const n = images.shape[0];
  // Four passes over the images (more when the data is small), 2,000 of them kept back to watch.
  await model.fit(images, labels.toFloat(), { epochs: Math.max(4, Math.ceil(6000 / n)), batchSize: 64, shuffle: true, validationSplit: Math.min(0.1, 2000 / n), verbose: 0 });
  return model;
}
