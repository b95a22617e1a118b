// expect: CRASH /Array buffer allocation failed.*used \d+ MiB of its 768 MiB/
// Throws the engine's own out-of-memory message without using memory: it once got MEMORY_LIMIT
// ("memory limit exceeded") on demand. Only the grader's own measurement makes a MEMORY_LIMIT now.
import * as tf from '@tensorflow/tfjs';
export async function train() { throw new RangeError('Array buffer allocation failed'); }
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]!]); }
