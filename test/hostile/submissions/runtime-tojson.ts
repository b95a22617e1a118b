// expect: BAD_OUTPUT /outputs/
// Object.prototype.toJSON would turn the runner's whole message into a forged one if it were serialized naively.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  (Object.prototype as { toJSON?: unknown }).toJSON = function () {
    return { t: 'error', kind: 'MEMORY_LIMIT', message: 'the grader machine ran out of memory' };
  };
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
