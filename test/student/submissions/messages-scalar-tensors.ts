// expect: PASS /^$/
// One scalar tensor per pair, pushed into an array in a loop: unambiguous, so it is graded as written.
import * as tf from '@tensorflow/tfjs';
export async function train() {}
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  const out: tf.Scalar[] = [];
  for (let i = 0; i < a.shape[0]; i++) out.push(tf.tidy(() => a.slice(i, 1).sub(b.slice(i, 1)).square().sum().sqrt() as tf.Scalar));
  return out;
}
