// expect: TAMPERED /wrong signature/
// Claims MEMORY_LIMIT "the grader machine ran out of memory" in the signed format, with a guessed MAC.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';

export async function train() {
  const json = JSON.stringify({ t: 'error', kind: 'MEMORY_LIMIT', message: 'the grader machine ran out of memory' });
  for (let seq = 1; seq < 8; seq++) fs.writeSync(3, `${seq} ${'0'.repeat(64)} ${json}\n`);
  process.exit(1);
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
