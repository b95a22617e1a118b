// expect: CRASH /ERR_ACCESS_DENIED.*require\('trace_events'\) is not available/
// Tracing writes node_trace.*.log files (2.9 GiB seen) into the working folder.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const traceEvents = require('trace_events') as typeof import('trace_events');
  traceEvents.createTracing({ categories: ['v8', 'node', 'node.async_hooks'] }).enable();
  await new Promise((r) => setTimeout(r, 3000));
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
