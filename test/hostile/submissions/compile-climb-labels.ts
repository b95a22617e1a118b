// expect: BAD_SUBMISSION /outside the submission's folder/
// Tries to inline the hidden test labels by climbing out of its copied folder
// (the copy lives at <cacheRoot>/jobs/<id>/src/compile-climb-labels.ts).
import * as tf from '@tensorflow/tfjs';

export async function train(_data: unknown, _ctx: unknown): Promise<unknown> {
  return require('../../../datasets/mnist/testLabels.u8');
}

export async function distance(_model: unknown, a: tf.Tensor4D, b: tf.Tensor4D): Promise<tf.Tensor1D> {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt() as tf.Tensor1D);
}
