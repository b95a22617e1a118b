'use strict'; // esbuild keeps it atop the bundle: strict runner code is not reachable through .caller or CallSite.getFunction()
// Runs inside the sandbox as plain CommonJS (compiled by esbuild): loads the
// backend, the compiled submission and the task's sandbox half, and reports
// over the signed channel on fd 3. It is not trusted for scoring: the grader
// only takes raw outputs.
import { channel, exitNow, loadSubmission, lockdown } from './lockdown.ts'; // first: takes the job's key before anything else loads
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import seedrandom from 'seedrandom';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../../backend/load-backend.ts';
import { sandboxTasks } from '../../tasks/sandboxes.ts';
import { ContractError, type Progress } from '../../tasks/types.ts';
import type { JobFile } from '../protocol.ts';
import { batchSizeRefusal, installFitHooks } from './fit-hooks.ts';
import { TF_GLOBAL } from './tf-global.ts';
import { registerFileRouter } from '../../tfio/file-io.ts';

const { setTimeout: later } = require('node:timers') as typeof import('node:timers');
const runnerFile = __filename;

/** Exits once the submission's own stdout/stderr writes (async on pipes) have drained, or after 2 s. */
async function exit(code: number): Promise<never> {
  const drained = Promise.all([process.stdout, process.stderr].map((s) => new Promise((res) => s.write('', res))));
  await Promise.race([drained, new Promise((res) => later(res, 2000))]);
  return exitNow(code);
}

let failing = false;
let srcDir: string | undefined; // the submission's copied sources, for picking its own stack frames
async function fail(kind: 'BAD_SUBMISSION' | 'CRASH', e: unknown): Promise<never> {
  if (failing) return exitNow(1); // a second failure while reporting the first
  failing = true;
  try {
    channel.error(kind, e, srcDir, runnerFile);
  } catch { /* the channel itself failed (fd 3 gone): the exit code still tells */ }
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
  const progress = (p: Progress) => channel.progress(p);
  installFitHooks(tf, job.limits.maxBatchSize, progress);
  channel.ready(backend);

  const task = sandboxTasks[job.task];
  if (!task) return fail('CRASH', new Error(`runner has no task "${job.task}"`));
  const ctx = { tf, params: job.params, files: job.files, limits: job.limits, seed: job.seed, outDir: job.outDir, artifactsDir: job.artifactsDir, progress };
  // The backend and the task's half are loaded: from here on nothing needs what the lockdown takes away.
  const lock = lockdown(tf, require);
  if (job.stage === 'verify') {
    if (!task.verify) return fail('CRASH', new Error(`task "${job.task}" has no verify stage`));
    let verified: unknown;
    try {
      verified = await task.verify(ctx);
      channel.result(verified, job.maxResultBytes);
    } catch (e) {
      return fail('CRASH', e);
    }
    return exit(0);
  }

  let submission: Record<string, unknown>;
  try {
    // Stack traces point into the student's own .ts files. Enabled only now:
    // as a flag it also parsed tfjs' 17 MB of source maps, 85 ms per process.
    process.setSourceMapsEnabled(true);
    const mod = loadSubmission(job.submission!, readFileSync(job.submission!, 'utf8'), lock) as Record<string, unknown>;
    submission = mod && typeof mod === 'object' && mod.default && typeof mod.default === 'object' ? { ...mod.default, ...mod } : mod;
  } catch (e) {
    return fail('BAD_SUBMISSION', e);
  }
  let outputs: unknown;
  try {
    outputs = await task.run(submission, ctx);
  } catch (e) {
    // A batch-size refusal explains itself better than whatever the submission made of it.
    const refused = batchSizeRefusal();
    return refused ? fail('BAD_SUBMISSION', refused) : fail(e instanceof ContractError ? 'BAD_SUBMISSION' : 'CRASH', e);
  }
  // It stands even if the submission caught it and trained on, in every task.
  const refused = batchSizeRefusal();
  if (refused) return fail('BAD_SUBMISSION', refused);
  try {
    channel.result(outputs, job.maxResultBytes); // runs the outputs' toJSON, if any: may throw
  } catch (e) {
    return fail('CRASH', e);
  }
  await exit(0);
}

process.on('unhandledRejection', (e) => void fail('CRASH', e));
process.on('uncaughtException', (e) => void fail('CRASH', e));
main().catch((e) => fail('CRASH', e));
