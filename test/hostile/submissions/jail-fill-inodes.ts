// expect: BAD_SUBMISSION /output folder is full/
// 550,000 empty files in its output folder (the cwd) once went uncounted.
import * as tf from '@tensorflow/tfjs';
export async function train() {
  const fs = require('fs');
  for (let i = 0; i < 550_000; i++) fs.writeFileSync(`f${i}`, '');
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]!]); }
