// Runs inside the sandbox as plain CommonJS (compiled by esbuild): loads the
// backend, the compiled submission and the task's sandbox half, and reports
// on fd 3. It is not trusted for scoring: the grader only takes raw outputs.
import { readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import seedrandom from 'seedrandom';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../../backend/load-backend.ts';
import { sandboxTasks } from '../../tasks/sandboxes.ts';
import { ContractError, type Progress } from '../../tasks/types.ts';
import { PROTOCOL_FD, type ChildMessage, type JobFile } from '../protocol.ts';
import { installFitHooks } from './fit-hooks.ts';
import { TF_GLOBAL } from './tf-global.ts';
import { registerFileRouter } from '../../tfio/file-io.ts';

function send(msg: ChildMessage): void {
  writeSync(PROTOCOL_FD, JSON.stringify(msg) + '\n');
}

/** Exits once the submission's own stdout/stderr writes (async on pipes) have drained. */
async function exit(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((res) => s.write('', res))));
  process.exit(code);
}

let failing = false;
let srcDir: string | undefined; // the submission's copied sources, for picking its own stack frames
async function fail(kind: 'BAD_SUBMISSION' | 'CRASH' | 'MEMORY_LIMIT', e: unknown): Promise<never> {
  if (failing) return process.exit(1); // a second failure while reporting the first
  failing = true;
  const err = e instanceof Error ? e : new Error(String(e));
  const isOom = err instanceof RangeError && /allocation failed|out of memory|Maximum memory size|memory access out of bounds|Invalid typed array length|Array buffer allocation/i.test(err.message);
  // Only the submission's own frames help a student; the runner's and Node's are noise.
  const all = (err.stack ?? '').split('\n').slice(1);
  const own = srcDir ? all.filter((l) => l.includes(srcDir!)) : [];
  const frames = own.length ? own : all.filter((l) => !l.includes(__filename)).slice(0, 3);
  const code = (err as NodeJS.ErrnoException).code;
  send({ t: 'error', kind: isOom ? 'MEMORY_LIMIT' : kind, message: `${err.name}${code && !err.message.includes(code) ? ` [${code}]` : ''}: ${err.message}`, stack: frames.slice(0, 8).join('\n') });
  return exit(1);
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as JobFile;
  // Reproducible runs: Math.random (model.fit's shuffle, unseeded tf initialisers) follows the assignment's seed.
  seedrandom(`${job.seed}/${job.stage}`, { global: true });
  if (job.submission) srcDir = join(dirname(job.submission), 'src') + '/';
  const backend = await loadBackend(tf, job.backend, { allowNative: job.allowNative });
  (globalThis as Record<symbol, unknown>)[TF_GLOBAL] = tf;
  registerFileRouter(tf); // model.save('file://…') as with tfjs-node
  const progress = (p: Progress) => send({ t: 'progress', ...p });
  installFitHooks(tf, job.limits.maxBatchSize, progress);
  send({ t: 'ready', backend });

  const task = sandboxTasks[job.task];
  if (!task) return fail('CRASH', new Error(`runner has no task "${job.task}"`));
  const ctx = { tf, params: job.params, files: job.files, limits: job.limits, seed: job.seed, outDir: job.outDir, artifactsDir: job.artifactsDir, progress };
  if (job.stage === 'verify') {
    if (!task.verify) return fail('CRASH', new Error(`task "${job.task}" has no verify stage`));
    let verified: unknown;
    try {
      verified = await task.verify(ctx);
    } catch (e) {
      return fail('CRASH', e);
    }
    send({ t: 'result', outputs: verified });
    return exit(0);
  }

  let submission: Record<string, unknown>;
  try {
    // Stack traces point into the student's own .ts files. Enabled only now:
    // as a flag it also parsed tfjs' 17 MB of source maps, 85 ms per process.
    process.setSourceMapsEnabled(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(job.submission!);
    submission = mod && typeof mod === 'object' && mod.default && typeof mod.default === 'object' ? { ...mod.default, ...mod } : mod;
  } catch (e) {
    return fail('BAD_SUBMISSION', e);
  }
  let outputs: unknown;
  try {
    outputs = await task.run(submission, ctx);
  } catch (e) {
    return fail(e instanceof ContractError ? 'BAD_SUBMISSION' : 'CRASH', e);
  }
  send({ t: 'result', outputs });
  await exit(0);
}

process.on('unhandledRejection', (e) => void fail('CRASH', e));
process.on('uncaughtException', (e) => void fail('CRASH', e));
main().catch((e) => fail('CRASH', e));
