// Reference for auto-mpg-regression (notes 001, lab 4): normalise with the
// training statistics, two hidden layers of 64, MSE loss, early stopping on
// a validation split, as the TensorFlow regression tutorial does.
import * as tf from '@tensorflow/tfjs-node';

interface Trained { model: tf.LayersModel; mean: tf.Tensor; std: tf.Tensor }

export async function train({ features, target }: { features: tf.Tensor2D; target: tf.Tensor1D }, ctx: { seed: number }): Promise<Trained> {
  const { mean, variance } = tf.moments(features, 0);
  const std = variance.sqrt().add(1e-6);
  const x = features.sub(mean).div(std);
  const init = (i: number) => tf.initializers.glorotUniform({ seed: ctx.seed + i });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [features.shape[1]], units: 64, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.rmsprop(0.001), loss: 'meanSquaredError', metrics: ['mae'] });
  await model.fit(x, target.reshape([-1, 1]), {
    epochs: 500, batchSize: 32, validationSplit: 0.2, verbose: 0,
    callbacks: tf.callbacks.earlyStopping({ monitor: 'val_loss', patience: 20 }),
  });
  return { model, mean, std };
}

export async function predict({ model, mean, std }: Trained, features: tf.Tensor2D) {
  return model.predict(features.sub(mean).div(std)) as tf.Tensor;
}
