// expect: CRASH /resolve is not a function/
// require.resolve would tell whether any path exists, readable or not.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const resolve = (require as unknown as { resolve: (p: string) => string }).resolve;
  return resolve(['', 'etc', 'passwd'].join('/'));
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
