// Example: no training at all, just the Euclidean distance between raw pixels.
// A useful baseline that must FAIL the AUC > 0.97 rubric.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  return null;
}

export async function distance(_model: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
