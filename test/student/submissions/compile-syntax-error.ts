// expect: BAD_SUBMISSION /^(?![\s\S]*jobs\/)does not compile:\n✘ \[ERROR\] Expected "\)" but found ";"\n\n    compile-syntax-error\.ts:7:\d+:/
// A missing closing parenthesis, as students type it: the message names this file and line, nothing of the grader's.
import * as tf from '@tensorflow/tfjs';

export async function train() {}
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt();
}
