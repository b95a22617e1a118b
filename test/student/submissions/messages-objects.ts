// expect: BAD_OUTPUT /^distance\(\) returned an array of \d+ objects; return a tensor of \d+ numbers \(or an array of numbers\)$/
// One object per pair: the grader cannot guess which field is the distance.
import * as tf from '@tensorflow/tfjs';
export async function train() {}
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  const d = tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
  return Array.from(d.dataSync(), (v) => ({ distance: v }));
}
