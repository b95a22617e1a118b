// Runs inside the sandbox as plain CommonJS (compiled by esbuild): loads the
// backend, the compiled submission and the task's sandbox half, and reports
// on fd 3. It is not trusted for scoring: the grader only takes raw outputs.
import { readFileSync, writeSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from './backend-standin.ts';
import { sandboxTasks } from '../../tasks/sandboxes.ts';
import { ContractError, type Progress } from '../../tasks/types.ts';
import { PROTOCOL_FD, type ChildMessage, type JobFile } from '../protocol.ts';
import { installFitHooks } from './fit-hooks.ts';
import { TF_GLOBAL } from './tf-global.ts';

function send(msg: ChildMessage): void {
  writeSync(PROTOCOL_FD, JSON.stringify(msg) + '\n');
}

function fail(kind: 'BAD_SUBMISSION' | 'CRASH' | 'MEMORY_LIMIT', e: unknown): never {
  const err = e instanceof Error ? e : new Error(String(e));
  const isOom = err instanceof RangeError && /allocation failed|out of memory|Maximum memory size|memory access out of bounds|Invalid typed array length|Array buffer allocation/i.test(err.message);
  send({ t: 'error', kind: isOom ? 'MEMORY_LIMIT' : kind, message: `${err.name}: ${err.message}`, stack: err.stack?.split('\n').slice(0, 12).join('\n') });
  process.exit(1);
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as JobFile;
  const backend = await loadBackend(tf, job.backend, { allowNative: job.allowNative });
  (globalThis as Record<symbol, unknown>)[TF_GLOBAL] = tf;
  const progress = (p: Progress) => send({ t: 'progress', ...p });
  installFitHooks(tf, job.limits.maxBatchSize, progress);
  send({ t: 'ready', backend });

  let submission: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(job.submission);
    submission = mod && typeof mod === 'object' && mod.default && typeof mod.default === 'object' ? { ...mod.default, ...mod } : mod;
  } catch (e) {
    return fail('BAD_SUBMISSION', e);
  }
  const task = sandboxTasks[job.task];
  if (!task) return fail('CRASH', new Error(`runner has no task "${job.task}"`));
  let outputs: unknown;
  try {
    outputs = await task(submission, { tf, params: job.params, files: job.files, limits: job.limits, seed: job.seed, progress });
  } catch (e) {
    return fail(e instanceof ContractError ? 'BAD_SUBMISSION' : 'CRASH', e);
  }
  send({ t: 'result', outputs });
  process.exit(0);
}

process.on('unhandledRejection', (e) => fail('CRASH', e));
process.on('uncaughtException', (e) => fail('CRASH', e));
main().catch((e) => fail('CRASH', e));
