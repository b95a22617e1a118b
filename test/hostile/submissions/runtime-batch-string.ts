// expect: BAD_SUBMISSION /model\.fit: batch size 4096 exceeds this assignment's limit of 64/
// A numeric string as model.fit's batch size.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  await m.fit(tf.zeros([200, 2]), tf.zeros([200, 1]), { batchSize: '4096' as unknown as number, epochs: 1 });
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
