// expect: BAD_SUBMISSION /dataset\.batch: batch size 4096 exceeds this assignment's limit of 64/
// A Number object is not typeof 'number'; the batch-size hook must still see 4096.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  tf.data.array([1, 2, 3]).batch(new Number(4096) as unknown as number);
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
