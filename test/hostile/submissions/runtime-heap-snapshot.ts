// expect: CRASH /ERR_ACCESS_DENIED.*v8\.getHeapSnapshot\(\) is not available/
// Looks for the channel key in a heap snapshot and signs a result with every candidate.
import * as tf from '@tensorflow/tfjs';
import { createHmac } from 'node:crypto';
import { writeSync } from 'node:fs';

export async function train() {
  let text = '';
  for await (const chunk of (require('v8') as typeof import('v8')).getHeapSnapshot()) text += chunk;
  const json = JSON.stringify({ t: 'result', outputs: { distances: new Array(130).fill(0) } });
  for (const hex of new Set(text.match(/[0-9a-f]{64}/g) ?? [])) {
    for (let seq = 4; seq < 8; seq++) writeSync(3, `${seq} ${createHmac('sha256', Buffer.from(hex, 'hex')).update(`${seq} ${json}`).digest('hex')} ${json}\n`);
  }
  process.exit(0);
}
export async function distance(_m: unknown, a: tf.Tensor, b: tf.Tensor) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
