// expect: BAD_OUTPUT /expected \d+ distances \(one per pair\), got \d+/
// Replaces fs.writeSync on the shared module so that whatever the runner writes to fd 3 becomes a forged line.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const fs = require('fs') as typeof import('fs');
  const original = fs.writeSync;
  const forged = JSON.stringify({ t: 'error', kind: 'MEMORY_LIMIT', message: 'the grader machine ran out of memory' }) + '\n';
  (fs as { writeSync: unknown }).writeSync = function (fd: number, data: unknown, ...rest: unknown[]) {
    return (original as (...a: unknown[]) => number)(fd, fd === 3 ? forged : data, ...(fd === 3 ? [] : rest));
  };
}
// Wrong on purpose: had the patch above worked, the grader would have been told something else; it must see these 3 distances per chunk.
export async function distance() { return [1, 2, 3]; }
