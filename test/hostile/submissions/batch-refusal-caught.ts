// expect: BAD_SUBMISSION /batch size 4096 exceeds this assignment's limit/
// Catches the batch-size refusal and trains on with a smaller batch: the first refusal stands, in every task.
import * as tf from '@tensorflow/tfjs';
export async function train() {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  try { await m.fit(tf.zeros([8, 2]), tf.zeros([8, 1]), { batchSize: 4096 }); } catch { /* carry on */ }
  await m.fit(tf.zeros([8, 2]), tf.zeros([8, 1]), { batchSize: 4 });
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
