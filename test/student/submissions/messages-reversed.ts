// expect: FAIL /an AUC below 0\.5 means your distances may be reversed: larger must mean a different digit/
// A similarity returned where a distance is asked for: same digits get the LARGER number.
import * as tf from '@tensorflow/tfjs';
export async function train() {}
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt().neg()); }
