// expect: PASS /^$/
// A folder made by `dlgrade init`: its tsconfig.json pins '@tensorflow/tfjs' to dlgrade's own declarations by an
// absolute path (for the editor). The grader hands the submission its tf before any "paths", so this compiles.
import * as tf from '@tensorflow/tfjs-node';

export async function train(): Promise<null> {
  return null;
}
export async function distance(_m: null, a: tf.Tensor4D, b: tf.Tensor4D): Promise<tf.Tensor1D> {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt() as tf.Tensor1D);
}
