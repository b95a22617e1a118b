// A piscina worker supervises one sandboxed child process at a time; progress
// and the abort request travel over a MessagePort handed in with the task.
import type { MessagePort } from 'node:worker_threads';
import { runSandboxed, type SandboxOutcome, type SandboxRequest } from '../sandbox/run-sandboxed.ts';

export interface WorkerTask {
  request: SandboxRequest;
  port: MessagePort;
}

export type WorkerEvent =
  | { type: 'begin' }
  | { type: 'progress'; progress: import('../tasks/types.ts').Progress; elapsedSec: number }
  | { type: 'spawn'; pid: number };

export default async function run({ request, port }: WorkerTask): Promise<SandboxOutcome> {
  const ac = new AbortController();
  port.on('message', (m) => { if (m === 'abort') ac.abort(); });
  port.postMessage({ type: 'begin' } satisfies WorkerEvent); // out of the queue: compiling starts now
  try {
    return await runSandboxed(request, {
      signal: ac.signal,
      onProgress: (progress, elapsedSec) => port.postMessage({ type: 'progress', progress, elapsedSec } satisfies WorkerEvent),
      onSpawn: (pid) => port.postMessage({ type: 'spawn', pid } satisfies WorkerEvent),
    });
  } finally {
    port.close();
  }
}
