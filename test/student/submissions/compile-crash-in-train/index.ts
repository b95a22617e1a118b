// expect: CRASH /^Error: no pairs sampled\n\s+at train \(helper\.ts:4:\d+\)\n\s+at pretrain \(helper\.ts:8:\d+\)\n\s+at train \(index\.ts:8:\d+\)/
// Throws inside train, through a helper that has its own `train`: the bundle must rename one of them (train2),
// yet the stack shows each function's name as written, in the student's own files and lines.
import * as tf from '@tensorflow/tfjs';
import { pretrain } from './helper';

export async function train({ images }: { images: tf.Tensor4D }) {
  return pretrain(images);
}
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
