// expect: CRASH /EPERM|still alive/
// Signals pid 1 and every process it may (-1): in the sandbox's pid namespace that is nothing but itself.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  process.kill(1, 'SIGKILL');
  process.kill(-1, 'SIGKILL');
  throw new Error('still alive');
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]]); }
