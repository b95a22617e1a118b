// expect: PASS /^$/
// A type error (a number into a string): types are not checked when grading, so it runs and passes.
import * as tf from '@tensorflow/tfjs';

export async function train({ images }: { images: tf.Tensor4D }) {
  const n: string = images.shape[0];
  return n;
}
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
