// expect: TAMPERED /unsigned message/
// Writes a million-deep array as a "result" straight onto the result channel
// (it once overflowed the grader's stack), then exits as if done.
import * as tf from '@tensorflow/tfjs';
export async function train() {
  const fs = require('fs');
  fs.writeSync(3, '{"t":"result","outputs":{"distances":' + '['.repeat(1e6) + ']'.repeat(1e6) + '}}\n');
  process.exit(0);
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]!]); }
