// expect: CRASH /ERR_ACCESS_DENIED|the sandbox may write only to its output folder/
// process.report writes a diagnostic report (native code) wherever it is told: outside out/ it must be refused.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  (process as any).report.writeReport('/tmp/report.json');
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]]); }
