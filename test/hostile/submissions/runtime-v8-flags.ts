// expect: CRASH /ERR_ACCESS_DENIED.*v8\.setFlagsFromString\(\) is not available/
// Switches on --allow-natives-syntax at run time.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  (require('v8') as typeof import('v8')).setFlagsFromString('--allow-natives-syntax');
  return (0, eval)('%GetOptimizationStatus(function () {})');
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
