// Runs one submission in its own sandboxed Node process and says what
// happened. Never throws for anything the submission does: every outcome,
// including a crash of the grader's own preparation, becomes a status.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compile } from '../spec/validate.ts';
import type { Limits } from '../spec/types.ts';
import type { Progress } from '../tasks/types.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { unshareArgs, type Isolation } from './capabilities.ts';
import { CompileError, compileSubmission, entryOf } from './compile.ts';
import { createMemoryGuard } from './memory.ts';
import { NODE_MODULES, runtimePackageDirs } from './node-permissions.ts';
import { OutputTail, lineSplitter } from './output-tail.ts';
import { sandboxV8Flags } from './v8-flags.ts';
import { childMessageSchema, type BackendReport, type ChildMessage, type JobFile } from './protocol.ts';

export type RunStatus = 'OK' | 'TIME_LIMIT' | 'MEMORY_LIMIT' | 'CRASH' | 'BAD_SUBMISSION' | 'ABORTED';

export interface SandboxRequest {
  id: string;
  /** 'verify' runs the task's verify half over `artifactsIn`, with no submission. */
  stage?: 'run' | 'verify';
  submissionPath?: string;
  /** Keep what the process wrote to its out/ folder (for a verify stage); returned as artifactsDir. */
  keepArtifacts?: boolean;
  artifactsIn?: string;
  task: string;
  files: Record<string, string>;
  params: Record<string, unknown>;
  seed: number;
  limits: Limits;
  backend: JobFile['backend'];
  allowNative: boolean;
  cacheRoot: string;
  runnerPath: string;
  isolation: Isolation;
  keepJobDir?: boolean;
}

export interface SandboxOutcome {
  status: RunStatus;
  reason?: string;
  outputs?: unknown;
  backend?: BackendReport;
  lastProgress?: Progress;
  outputTail: string[];
  outputBytes: number;
  elapsedSec: number;
  peakMiB: number;
  timings: { compileSec: number; startupSec?: number };
  artifactsDir?: string;
}

export interface SandboxEvents {
  onProgress?(p: Progress, elapsedSec: number): void;
  onSpawn?(pid: number): void;
  signal?: AbortSignal;
}

const MAX_PROTOCOL_LINE = 256 * 1024 * 1024;
const MAX_ARTIFACT_BYTES = 512 * 1024 * 1024; // what a submission may write to its out/ folder
const validateMessage = compile(childMessageSchema);

export async function runSandboxed(req: SandboxRequest, events: SandboxEvents = {}): Promise<SandboxOutcome> {
  const jobDir = join(req.cacheRoot, 'jobs', req.id);
  const t0 = performance.now();
  const base = { outputTail: [] as string[], outputBytes: 0, elapsedSec: 0, peakMiB: 0, timings: { compileSec: 0 } };
  try {
    rmSync(jobDir, { recursive: true, force: true });
    // jobs/ must be traversable by the sandbox uid; each job folder is its own.
    mkdirSync(join(req.cacheRoot, 'jobs'), { recursive: true });
    chmodSync(join(req.cacheRoot, 'jobs'), 0o711);
    mkdirSync(join(jobDir, 'out'), { recursive: true, mode: 0o700 });
    const stage = req.stage ?? 'run';
    let compiled: string | undefined;
    if (stage === 'run') {
      const root = copySubmission(req.submissionPath!, join(jobDir, 'src'));
      compiled = join(jobDir, 'submission.cjs');
      try {
        await compileSubmission(entryOf(root), root, compiled);
      } catch (e) {
        if (e instanceof CompileError) return { ...base, status: 'BAD_SUBMISSION', reason: `does not compile:\n${e.message}`, timings: { compileSec: sec(t0) } };
        throw e;
      }
    }
    const job: JobFile = {
      task: req.task, stage, submission: compiled, outDir: join(jobDir, 'out'), artifactsDir: req.artifactsIn,
      files: req.files, params: req.params, limits: req.limits, seed: req.seed, backend: req.backend, allowNative: req.allowNative,
    };
    writeJsonAtomic(join(jobDir, 'job.json'), job);
    const outcome = await supervise(req, jobDir, sec(t0), events);
    if (req.keepArtifacts && outcome.status === 'OK') {
      const kept = join(req.cacheRoot, 'artifacts', req.id);
      rmSync(kept, { recursive: true, force: true });
      mkdirSync(join(req.cacheRoot, 'artifacts'), { recursive: true });
      chmodSync(join(req.cacheRoot, 'artifacts'), 0o711);
      cpSync(join(jobDir, 'out'), kept, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      readableTree(kept); // the verify stage runs as another uid
      outcome.artifactsDir = kept;
    }
    return outcome;
  } catch (e) {
    if (e instanceof SubmissionRefused) return { ...base, status: 'BAD_SUBMISSION', reason: e.message, timings: { compileSec: sec(t0) } };
    throw e;
  } finally {
    if (!req.keepJobDir) rmSync(jobDir, { recursive: true, force: true });
  }
}

class SubmissionRefused extends Error {}

/** Copies the submission into the job folder, refusing symlinks anywhere in it. Returns the copy's root. */
function copySubmission(from: string, srcDir: string): string {
  mkdirSync(srcDir, { mode: 0o700 });
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) throw new SubmissionRefused(`${p} is a symbolic link; submissions may not contain links`);
    if (st.isDirectory()) for (const e of readdirSync(p)) if (e !== 'node_modules') walk(join(p, e));
  };
  walk(from);
  const st = lstatSync(from);
  const dest = st.isDirectory() ? srcDir : join(srcDir, basename(from));
  cpSync(from, dest, { recursive: true, filter: (p) => basename(p) !== 'node_modules' });
  return dest;
}

function sec(since: number): number {
  return Math.round((performance.now() - since) / 10) / 100;
}

async function supervise(req: SandboxRequest, jobDir: string, compileSec: number, events: SandboxEvents): Promise<SandboxOutcome> {
  const iso = req.isolation;
  const guard = createMemoryGuard(iso, req.id, req.limits.memoryLimitMiB * 1024 * 1024);
  try {
    const uid = iso.user === 'setpriv' ? 100000 + Math.floor(Math.random() * 900000) : undefined;
    if (uid !== undefined) chownTree(jobDir, uid);
    const nodeArgs = [
      iso.fsPermissionFlag,
      ...readAllowList([jobDir + '/', req.runnerPath, ...runtimePackageDirs().map((d) => d + '/'), ...Object.values(req.files), ...(req.artifactsIn ? [req.artifactsIn + '/'] : [])]).map((p) => `--allow-fs-read=${p}`),
      `--allow-fs-write=${join(jobDir, 'out')}/`,
      ...(req.allowNative ? ['--allow-addons'] : []), // only for the opt-in native backend
      `--max-old-space-size=${req.limits.memoryLimitMiB}`,
      '--disable-warning=ExperimentalWarning',
      '--unhandled-rejections=strict',
      ...sandboxV8Flags(),
      req.runnerPath,
      join(jobDir, 'job.json'),
    ];
    const dropUser = uid !== undefined ? ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--no-new-privs', '--'] : [];
    const ns = unshareArgs(iso);
    const command = [...(ns.length ? ['unshare', ...ns, '--'] : []), ...dropUser, process.execPath, ...nodeArgs];
    // The shell joins the cgroups before exec'ing, so nothing runs unaccounted.
    const joinScript = 'while [ "$1" != "--" ]; do echo $$ > "$1"; shift; done; shift; exec "$@"';
    const tStart = performance.now();
    const child = spawn('/bin/sh', ['-c', joinScript, 'sh', ...guard.joinFiles, '--', ...command], {
      cwd: jobDir,
      detached: true, // own process group: the time limit kills all of it
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: jobDir, TMPDIR: jobDir, LANG: 'C.UTF-8', NODE_PATH: NODE_MODULES },
    });
    const pid = child.pid!;
    events.onSpawn?.(pid);
    const killAll = () => {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    };

    const tail = new OutputTail();
    child.stdout!.on('data', (c: Buffer) => tail.push(c));
    child.stderr!.on('data', (c: Buffer) => tail.push(c));
    let ready: BackendReport | undefined, startupSec: number | undefined;
    let lastProgress: Progress | undefined, result: { outputs: unknown } | undefined;
    let error: Extract<ChildMessage, { t: 'error' }> | undefined;
    let protocolProblem: string | undefined;
    const onLine = (line: string) => {
      if (!line.trim()) return;
      let msg: unknown;
      try { msg = JSON.parse(line); } catch { protocolProblem = 'unreadable message on the result channel'; return; }
      if (!validateMessage(msg)) { protocolProblem = 'malformed message on the result channel'; return; }
      const m = msg as ChildMessage;
      if (m.t === 'ready') { ready = m.backend; startupSec = sec(tStart); }
      else if (m.t === 'progress') { const { t: _t, ...p } = m; lastProgress = p; events.onProgress?.(p, sec(tStart)); }
      else if (m.t === 'result') result = { outputs: m.outputs };
      else if (m.t === 'error') error ??= m;
    };
    (child.stdio[3] as NodeJS.ReadableStream).on('data', lineSplitter(MAX_PROTOCOL_LINE, onLine, () => { protocolProblem = 'output larger than 256 MiB'; killAll(); }));

    let timedOut = false, memKilled = false, aborted = false;
    guard.watch(pid, () => { memKilled = true; killAll(); });
    const timer = setTimeout(() => { timedOut = true; killAll(); }, req.limits.timeLimitSec * 1000);
    let diskExceeded = false;
    const diskWatch = setInterval(() => {
      if (treeBytes(join(jobDir, 'out')) > MAX_ARTIFACT_BYTES) { diskExceeded = true; killAll(); }
    }, 1000);
    const onAbort = () => { aborted = true; killAll(); };
    events.signal?.addEventListener('abort', onAbort);
    if (events.signal?.aborted) onAbort();

    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
    clearTimeout(timer);
    clearInterval(diskWatch);
    events.signal?.removeEventListener('abort', onAbort);
    killAll(); // anything the submission left behind in its group
    const elapsedSec = sec(tStart);
    const peakMiB = Math.round(guard.peakBytes() / 1048576);
    const lines = tail.lines();
    const out = { backend: ready, lastProgress, outputTail: lines, outputBytes: tail.total, elapsedSec, peakMiB, timings: { compileSec, startupSec } };
    const where = describeProgress(lastProgress);
    if (aborted) return { ...out, status: 'ABORTED', reason: 'grading was interrupted' };
    if (timedOut) return { ...out, status: 'TIME_LIMIT', reason: `time limit of ${req.limits.timeLimitSec} s reached${where}` };
    if (diskExceeded || treeBytes(join(jobDir, 'out')) > MAX_ARTIFACT_BYTES) return { ...out, status: 'BAD_SUBMISSION', reason: `wrote more than ${MAX_ARTIFACT_BYTES >> 20} MiB to its output folder` };
    const heapOom = lines.some((l) => /JavaScript heap out of memory|Reached heap limit/.test(l));
    if (memKilled || guard.exceeded() || heapOom || error?.kind === 'MEMORY_LIMIT') {
      const cause = error?.kind === 'MEMORY_LIMIT' ? ` (${error.message})` : heapOom ? ' (JavaScript heap out of memory)' : '';
      return { ...out, status: 'MEMORY_LIMIT', reason: `memory limit of ${req.limits.memoryLimitMiB} MiB exceeded${cause}${where}; peak ${peakMiB} MiB` };
    }
    if (error) {
      const stack = error.stack ? `\n${error.stack}`.replaceAll(`${jobDir}/src/`, '').replaceAll(`${jobDir}/`, '') : '';
      return { ...out, status: error.kind === 'BAD_SUBMISSION' ? 'BAD_SUBMISSION' : 'CRASH', reason: error.message + stack };
    }
    if (protocolProblem && !result) return { ...out, status: 'CRASH', reason: protocolProblem };
    if (result && code === 0) return { ...out, status: 'OK', outputs: result.outputs };
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    // Dying before 'ready' means the sandbox itself failed to start: say so rather than blame the student.
    const blame = ready ? '' : ' (the sandbox failed before loading the submission: a grader or machine problem, not the submission\'s)';
    return { ...out, status: 'CRASH', reason: `the submission ${how} before returning its outputs${where}${blame}` };
  } finally {
    guard.dispose();
  }
}

/**
 * Node 20 aborts on a repeated --allow-fs-read path, so: no duplicates, and
 * nothing already inside an allowed folder (folders end with '/').
 */
export function readAllowList(paths: string[]): string[] {
  const unique = [...new Set(paths)];
  const dirs = unique.filter((p) => p.endsWith('/'));
  return unique.filter((p) => !dirs.some((d) => d !== p && p.startsWith(d)));
}

function treeBytes(dir: string): number {
  let total = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      total += e.isDirectory() ? treeBytes(p) : lstatSync(p).size;
    }
  } catch { /* vanished */ }
  return total;
}

function readableTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) readableTree(p);
    else if (e.isFile()) chmodSync(p, 0o644);
  }
}

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid);
    else chownSync(p, uid, uid);
  }
}

export function describeProgress(p?: Progress): string {
  if (!p) return ' while starting up';
  if (p.phase !== 'train' || p.epoch === undefined) return ` during ${p.phase === 'load' ? 'data loading' : p.phase === 'predict' ? 'prediction' : 'training'}`;
  const logs = Object.entries(p.logs ?? {}).map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`).join(', ');
  return ` at ${p.unit ?? 'epoch'} ${p.epoch}${p.epochs ? ` of ${p.epochs}` : ''}${logs ? ` (last ${logs})` : ''}`;
}
