// Reference for cubic-fit-keras (WORK1.1): a small MLP, compile + fit.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }, ctx: { seed: number }) {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: ctx.seed + i });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [1], units: 64, activation: 'tanh', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 64, activation: 'tanh', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 120, batchSize: 64, shuffle: true, verbose: 0 });
  return model;
}

export async function predict(model: tf.LayersModel, x: tf.Tensor2D) {
  return model.predict(x) as tf.Tensor;
}
