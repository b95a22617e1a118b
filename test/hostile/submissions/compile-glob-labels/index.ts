// expect: BAD_SUBMISSION /cannot import a computed path/
// Tries to inline the hidden test labels with a computed import, which esbuild
// would expand on the disk (the copy lives at <cacheRoot>/jobs/<id>/src/index.ts).
import * as tf from '@tensorflow/tfjs';

export async function train(_data: unknown, _ctx: unknown): Promise<unknown> {
  const name = 'testLabels';
  const labels = await import(`../../../datasets/mnist/${name}.u8`);
  return labels.default;
}

export async function distance(_model: unknown, a: tf.Tensor4D, b: tf.Tensor4D): Promise<tf.Tensor1D> {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt() as tf.Tensor1D);
}
