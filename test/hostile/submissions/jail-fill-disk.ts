// expect: BAD_SUBMISSION /output folder is full/
// Writes 700 MiB into its working directory, the only writable place.
import * as tf from '@tensorflow/tfjs';
export async function train() {
  const fs = require('fs');
  const fd = fs.openSync('big.bin', 'w');
  const chunk = Buffer.alloc(8 << 20, 1);
  for (let i = 0; i < 90; i++) fs.writeSync(fd, chunk);
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]!]); }
