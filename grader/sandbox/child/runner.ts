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
import { batchSizeRefusal, fitsStarted, installFitHooks, runningFit } from './fit-hooks.ts';
import { TF_GLOBAL } from './tf-global.ts';
import { registerFileRouter } from '../../tfio/file-io.ts';
import { guardBackend } from './backend-guard.ts';
import { noteUrlLoad, setOwnDir, siteSuffix, studentError } from './call-site.ts';

const { setTimeout: later } = require('node:timers') as typeof import('node:timers');
const runnerFile = __filename;
// Captured before the submission loads: its top-level code may patch any of these.
const { apply: reflectApply } = Reflect;
const { keys, create } = Object;
const ProxyCtor = Proxy;

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

/** The first "model.fit was still running when train() returned", even if the task went on. */
let unawaited: ContractError | undefined;

/** Fails the run if a model.fit / fitDataset that `fn()` started (after the first `since`) is still running now that it returned. */
function noFitRunning(fn: string, since: number): void {
  const fit = runningFit(since);
  if (!fit || unawaited) return;
  unawaited = studentError(new ContractError(`${fit.call} was still running when ${fn}() returned: did you forget \`await\`?${siteSuffix(fit.site)}`), { noFrames: true });
  throw unawaited;
}

/**
 * The submission's exported functions, each checked when it returns (its
 * promise settles): no training it started may still be running. A Proxy with
 * only an apply trap: classes still construct, and name and length read through.
 */
function watchedExports(submission: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...submission };
  const names = keys(out);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!, fn = out[name];
    if (typeof fn !== 'function') continue;
    const handler = create(null) as ProxyHandler<(...a: unknown[]) => unknown>;
    handler.apply = (target, self, args) => {
      const since = fitsStarted(); // fits already running (the task may call predict() from an epoch-end step) are not this call's
      const result = reflectApply(target, self, args);
      if ((typeof result !== 'object' && typeof result !== 'function') || result === null || typeof (result as { then?: unknown }).then !== 'function') {
        noFitRunning(name, since);
        return result;
      }
      return (async () => {
        const value = await (result as PromiseLike<unknown>);
        noFitRunning(name, since);
        return value;
      })();
    };
    out[name] = new ProxyCtor(fn as (...a: unknown[]) => unknown, handler);
  }
  return out;
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as JobFile;
  // Reproducible runs: Math.random (model.fit's shuffle, unseeded tf initialisers) follows the assignment's seed.
  seedrandom(`${job.seed}/${job.stage}`, { global: true });
  if (job.submission) srcDir = join(dirname(job.submission), 'src') + '/';
  setOwnDir(srcDir);
  const backend = await loadBackend(tf, job.backend, { allowNative: job.allowNative });
  (globalThis as Record<symbol, unknown>)[TF_GLOBAL] = tf;
  registerFileRouter(tf); // model.save('file://…') as with tfjs-node
  // Notes where an http(s) load was asked for: the sandbox's fetch refuses it later, naming that line.
  tf.io.registerLoadRouter(noteUrlLoad as unknown as Parameters<typeof tf.io.registerLoadRouter>[0]);
  const progress = (p: Progress) => channel.progress(p);
  installFitHooks(tf, job.limits.maxBatchSize, progress);
  channel.ready(backend);

  const task = sandboxTasks[job.task];
  if (!task) return fail('CRASH', new Error(`runner has no task "${job.task}"`));
  const ctx = { tf, params: job.params, files: job.files, limits: job.limits, seed: job.seed, outDir: job.outDir, artifactsDir: job.artifactsDir, progress };
  // The backend and the task's half are loaded: from here on nothing needs what the lockdown takes away.
  const lock = lockdown(tf, require);
  const backendCheck = job.stage === 'run' ? guardBackend(tf, backend.name, (m) => channel.warning(m)) : undefined;
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
    if (submission && typeof submission === 'object') submission = watchedExports(submission);
  } catch (e) {
    return fail('BAD_SUBMISSION', e);
  }
  let outputs: unknown;
  try {
    outputs = await task.run(submission, ctx);
  } catch (e) {
    // A batch-size refusal or an unawaited fit explains itself better than whatever the submission made of it.
    const refused = batchSizeRefusal() ?? unawaited;
    return refused ? fail('BAD_SUBMISSION', refused) : fail(e instanceof ContractError ? 'BAD_SUBMISSION' : 'CRASH', e);
  }
  // It stands even if the submission caught it and trained on, in every task.
  const refused = batchSizeRefusal() ?? unawaited;
  if (refused) return fail('BAD_SUBMISSION', refused);
  const moved = backendCheck?.();
  if (moved) channel.warning(moved);
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
