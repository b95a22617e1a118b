// expect: CRASH /ERR_ACCESS_DENIED.*require\('node:vm'\) is not available/
// vm compiles code whose import() uses Node's default loader (a full require/import at run time).
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const vm = require('node:vm');
  return vm.runInThisContext('import("node:child_process")');
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]]); }
