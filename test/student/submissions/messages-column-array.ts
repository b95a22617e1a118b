// expect: PASS /^$/
// distances as a nested [[d0], [d1], …] array (arraySync of an [n, 1] tensor), and a typed array for odd chunks: both graded as written.
import * as tf from '@tensorflow/tfjs';
export async function train() {}
let calls = 0;
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  const d = tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt().reshape([-1, 1]));
  const out = calls++ % 2 === 0 ? d.arraySync() : d.dataSync();
  d.dispose();
  return out;
}
