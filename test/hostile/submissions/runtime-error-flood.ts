// expect: CRASH /Error: x\nx\n[\s\S]*truncated: \d+ more characters/
// A 10-million-line error message must reach the report as a short, truncated one.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  throw new Error('x\n'.repeat(10_000_000));
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
