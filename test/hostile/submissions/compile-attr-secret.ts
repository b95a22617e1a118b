// expect: BAD_SUBMISSION /import attributes/
// Tries to inline the hidden test labels as bytes through an import attribute
// (the copy lives at <cacheRoot>/jobs/<id>/src/compile-attr-secret.ts).
import * as tf from '@tensorflow/tfjs';

export async function train(_data: unknown, _ctx: unknown): Promise<unknown> {
  // @ts-expect-error the labels are not part of this project
  const labels = await import('../../../datasets/mnist/testLabels.u8', { with: { type: 'bytes' } });
  return labels.default;
}

export async function distance(_model: unknown, a: tf.Tensor4D, b: tf.Tensor4D): Promise<tf.Tensor1D> {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt() as tf.Tensor1D);
}
