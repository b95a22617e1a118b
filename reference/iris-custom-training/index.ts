// Reference for iris-custom-training (notes 001, lab 9): the custom training
// walkthrough: a 4-10-10-3 network, a loss function, gradients from
// optimizer.minimize, and an epoch loop over shuffled mini-batches.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ features, labels }: { features: tf.Tensor2D; labels: tf.Tensor1D }, ctx: { seed: number }) {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: ctx.seed + i });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 10, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 10, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 3, kernelInitializer: init(3) }),
    ],
  });
  const optimizer = tf.train.adam(0.01);
  const y = tf.oneHot(labels, 3);
  const n = features.shape[0];
  const order = Array.from({ length: n }, (_, i) => i);
  let s = ctx.seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let epoch = 0; epoch < 100; epoch++) {
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
    let total = 0;
    for (let start = 0; start < n; start += 32) {
      const idx = tf.tensor1d(order.slice(start, start + 32), 'int32');
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.gather(y, idx), model.apply(tf.gather(features, idx)) as tf.Tensor), true)!;
      total += (await loss.data())[0]!;
      tf.dispose([idx, loss]);
    }
    if (epoch % 25 === 0) console.log(`epoch ${epoch}: mean loss ${(total / Math.ceil(n / 32)).toFixed(4)}`);
  }
  return model;
}

export async function predict(model: tf.LayersModel, features: tf.Tensor2D) {
  return model.predict(features) as tf.Tensor; // [m, 3] class scores: the grader takes the arg-max
}
