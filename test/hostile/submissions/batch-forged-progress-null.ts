// expect: TAMPERED /unsigned message/
// A progress message with a null loss once reached toFixed() in the grader's main thread.
import * as tf from '@tensorflow/tfjs';
export async function train() {
  require('fs').writeSync(3, JSON.stringify({ t: 'progress', phase: 'train', epoch: 1, epochs: 2, logs: { loss: null } }) + '\n');
  await new Promise((r) => setTimeout(r, 500));
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
