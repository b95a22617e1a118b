// expect: TIME_LIMIT /time limit of \d+ s of CPU time reached|wall-clock limit of \d+ s reached/
// Keeps the process from ever exiting after its outputs are sent: process.reallyExit spins and an 'exit'
// listener busy-waits a minute. The wall clock must still end it, with nothing left running.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  (process as any).reallyExit = () => { for (;;) { /* spin */ } };
  process.on('exit', () => { const t = Date.now(); while (Date.now() - t < 60_000) { /* spin */ } });
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
