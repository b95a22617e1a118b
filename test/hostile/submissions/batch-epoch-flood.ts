// expect: TIME_LIMIT /(time limit of \d+ s of CPU time|wall-clock limit of \d+ s) reached at epoch \d+/
// Thousands of one-sample epochs: a progress message each, until the time limit.
import * as tf from '@tensorflow/tfjs';
export async function train() {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  await m.fit(tf.ones([1, 1]), tf.ones([1, 1]), { epochs: 1e9, verbose: 0 });
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]!]); }
