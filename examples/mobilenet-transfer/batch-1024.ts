// Weak for WORK6: a sound setup that asks model.fit for batches of 1,024
// images. The assignment allows at most 512 (memory), so the grader refuses
// the fit call and the submission gets BAD_SUBMISSION with the reason.
import * as tf from '@tensorflow/tfjs';

let base: tf.LayersModel;
const prep = (images: tf.Tensor4D) => tf.tidy(() => tf.image.resizeBilinear(images, [64, 64]).tile([1, 1, 1, 3]).mul(2).sub(1));

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { loadBase(o: object): Promise<tf.LayersModel> }) {
  base = await ctx.loadBase({ inputSize: 64, cutAt: 'block_13_expand_relu' });
  const n = Math.min(1000, images.shape[0]);
  const x = base.predict(prep(images.slice([0], [n])), { batchSize: 250 }) as tf.Tensor;
  const head = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: x.shape.slice(1) }), tf.layers.dense({ units: 128, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  head.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  await head.fit(x, labels.slice([0], [n]).toFloat(), { epochs: 5, batchSize: 1024, verbose: 0 });
  return head;
}

export async function predict(model: tf.LayersModel, images: tf.Tensor4D) {
  return model.predict(base.predict(prep(images), { batchSize: 250 }) as tf.Tensor) as tf.Tensor;
}
