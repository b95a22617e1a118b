// expect: TAMPERED /unsigned message/
// 300 MiB of "{}," on the result channel with no newline: the grader once held it all (7.5 GB).
import * as tf from '@tensorflow/tfjs';
export async function train() {
  const chunk = Buffer.from('{},'.repeat(1 << 20));
  for (let i = 0; i < 100; i++) require('fs').writeSync(3, chunk);
  process.exit(0);
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]!]); }
