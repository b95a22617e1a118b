// expect: TAMPERED /unsigned message/
// Writes its own "result" on the grader's channel (fd 3) and exits before the runner reports.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';

export async function train() {
  fs.writeSync(3, JSON.stringify({ t: 'ready', backend: { name: 'tensorflow 9.9.9', simd: true, threads: 64, tfjsVersion: '9.9.9', kernels: [] } }) + '\n');
  fs.writeSync(3, JSON.stringify({ t: 'result', outputs: { distances: new Array(130).fill(0) } }) + '\n');
  process.exit(0);
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
