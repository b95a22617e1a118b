// Reference for cubic-fit-custom-loop (WORK1.2): the loop TF2 writes with a
// GradientTape, in TF.js: tf.variableGrads for the gradients, then
// optimizer.applyGradients, over shuffled mini-batches.
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
  const optimizer = tf.train.adam(0.01);
  const n = x.shape[0], batch = 64, epochs = 120;
  const order = Array.from({ length: n }, (_, i) => i);
  let seed = ctx.seed;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
    for (let start = 0; start < n; start += batch) {
      const idx = tf.tensor1d(order.slice(start, start + batch), 'int32');
      const xb = tf.gather(x, idx), yb = tf.gather(y, idx);
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(yb, model.apply(xb) as tf.Tensor) as tf.Scalar);
      optimizer.applyGradients(grads as unknown as Record<string, tf.Variable>); // tfjs types ask for Variables; gradient tensors are what it takes
      tf.dispose([idx, xb, yb, value, ...Object.values(grads)]);
    }
  }
  return model;
}

export async function predict(model: tf.LayersModel, x: tf.Tensor2D) {
  return model.predict(x) as tf.Tensor;
}
