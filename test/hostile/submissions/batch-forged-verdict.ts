// expect: TAMPERED /unsigned message/
// Chooses its own verdict and backend: MEMORY_LIMIT "caused by the grader machine", tensorflow 9.9.9.
import * as tf from '@tensorflow/tfjs';
export async function train() {
  const fs = require('fs');
  fs.writeSync(3, JSON.stringify({ t: 'ready', backend: { name: 'tensorflow', simd: true, threads: 64, tfjsVersion: '9.9.9', kernels: [] } }) + '\n');
  fs.writeSync(3, JSON.stringify({ t: 'error', kind: 'MEMORY_LIMIT', message: 'the grader machine ran out of memory' }) + '\n');
  process.exit(1);
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]!]); }
