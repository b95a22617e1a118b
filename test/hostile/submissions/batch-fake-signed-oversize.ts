// expect: TAMPERED /oversized unsigned message/
// An overlong line that merely starts like the runner's signed result (the next sequence number is
// easy to guess) once passed for the runner's own and got BAD_OUTPUT instead of TAMPERED.
import * as tf from '@tensorflow/tfjs';
export async function train() {
  require('fs').writeSync(3, '4 ' + '0'.repeat(64) + ' {"t":"result","outputs":' + 'x'.repeat(300_000));
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]!]); }
