// expect: CRASH /ERR_ACCESS_DENIED.*process\.binding\(\) is not available/
// process.binding('fs') is the raw fs binding, below the fs module's checks.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const fsb = (process as any).binding('fs');
  return fsb.open('/etc/shadow', 0, 0);
}
export async function distance(_m: unknown, a: tf.Tensor) { return tf.zeros([a.shape[0]]); }
