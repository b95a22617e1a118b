// Weak for WORK6: the whole base (up to out_relu) at its smallest input,
// 32×32, where each digit ends up as a single 1×1×1280 vector tuned to NSFW
// photos. Fast, but the top cannot get far from it: about 0.5 after 5 epochs.
import * as tf from '@tensorflow/tfjs';

let base: tf.LayersModel;
const prep = (images: tf.Tensor4D) => tf.tidy(() => tf.image.resizeBilinear(images, [32, 32]).tile([1, 1, 1, 3]).mul(2).sub(1));

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { loadBase(o: object): Promise<tf.LayersModel> }) {
  base = await ctx.loadBase({ inputSize: 32, cutAt: 'out_relu' });
  const n = Math.min(3000, images.shape[0]);
  const x = base.predict(prep(images.slice([0], [n])), { batchSize: 250 }) as tf.Tensor;
  const head = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: x.shape.slice(1) }), tf.layers.dense({ units: 128, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  head.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  await head.fit(x, labels.slice([0], [n]).toFloat(), { epochs: 5, batchSize: 128, verbose: 0 });
  return head;
}

export async function predict(model: tf.LayersModel, images: tf.Tensor4D) {
  return model.predict(base.predict(prep(images), { batchSize: 250 }) as tf.Tensor) as tf.Tensor;
}
