// piscina schedules submissions over `concurrency` worker threads; each
// worker supervises one sandboxed process. Aborting kills the processes.
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { SandboxOutcome, SandboxRequest } from '../sandbox/run-sandboxed.ts';
import type { Progress } from '../tasks/types.ts';
import type { WorkerEvent } from './worker.ts';

export interface RunHandlers {
  /** A worker took the submission off the queue (compiling comes next). */
  onBegin?(): void;
  /** The submission's process started (it may have waited in the queue before). */
  onStart?(): void;
  onProgress?(p: Progress, elapsedSec: number): void;
}

export class GradingPool {
  private readonly piscina: Piscina;
  private readonly ports = new Set<import('node:worker_threads').MessagePort>();
  private readonly pids = new Set<number>();

  constructor(concurrency: number) {
    this.piscina = new Piscina({
      filename: new URL('./worker.ts', import.meta.url).href,
      minThreads: 1,
      maxThreads: concurrency,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      // A worker that a submission's outputs blow up dies alone (that submission's GRADER_ERROR), not the grader.
      resourceLimits: { maxOldGenerationSizeMb: 1536 },
    });
  }

  async run(request: SandboxRequest, handlers: RunHandlers = {}): Promise<SandboxOutcome> {
    const { port1, port2 } = new MessageChannel();
    this.ports.add(port1);
    let pid: number | undefined;
    port1.on('message', (e: WorkerEvent) => {
      if (e.type === 'begin') handlers.onBegin?.();
      else if (e.type === 'spawn') {
        this.pids.add((pid = e.pid));
        handlers.onStart?.();
      } else handlers.onProgress?.(e.progress, e.elapsedSec);
    });
    try {
      return await this.piscina.run({ request, port: port2 }, { transferList: [port2] });
    } finally {
      if (pid !== undefined) this.pids.delete(pid);
      this.ports.delete(port1);
      port1.close();
    }
  }

  /** Asks every worker to kill its submission; each run then resolves as ABORTED. */
  abortAll(): void {
    for (const p of this.ports) p.postMessage('abort');
  }

  /** Last resort on exit: kill the process groups directly (they are detached from ours). */
  killAllNow(): void {
    for (const pid of this.pids) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
