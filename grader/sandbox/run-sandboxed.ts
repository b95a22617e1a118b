// Runs one submission in its own sandboxed Node process and says what
// happened. Never throws for anything the submission does: every outcome
// becomes a status. The process is confined by jail.ts; what it reports comes
// over a signed channel (channel.ts), bounded per line and in nesting, so a
// forged or oversized message never reaches a report and the grader's memory
// stays bounded whatever the sandbox sends.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compile } from '../spec/validate.ts';
import type { Limits } from '../spec/types.ts';
import type { Progress } from '../tasks/types.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { copyRegularTree, removeTree, TreeRefused, treeUsage } from '../util/fs-tree.ts';
import { parseBounded } from './bounded-json.ts';
import type { Isolation } from './capabilities.ts';
import { CHANNEL_FD, KEY_BYTES, KEY_FD, verifyLine } from './channel.ts';
import { unmountUnder } from './cleanup.ts';
import { CompileError, compileSubmission, entryOf } from './compile.ts';
import { jailCommand } from './jail.ts';
import { createMemoryGuard } from './memory.ts';
import { createCpuMeter, WALL_CLOCK_FACTOR, wallLimitSec, type CpuMeter } from './cpu-time.ts';
import { NODE_MODULES, runtimePackageDirs } from './node-permissions.ts';
import { OutputTail, lineSplitter } from './output-tail.ts';
import { leaseUid, type UidLease } from './uid-lease.ts';
import { sandboxV8Flags } from './v8-flags.ts';
import { childMessageSchema, type BackendReport, type ChildMessage, type JobFile } from './protocol.ts';
import { ProgressHistory, type HistoryEntry } from './progress-history.ts';

export type RunStatus = 'OK' | 'TIME_LIMIT' | 'MEMORY_LIMIT' | 'CRASH' | 'BAD_SUBMISSION' | 'BAD_OUTPUT' | 'TAMPERED' | 'ABORTED';

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
  /** Largest result message the task can need, in bytes (default MAX_RESULT_BYTES). */
  maxResultBytes?: number;
  keepJobDir?: boolean;
  /** Type-check the submission while compiling (a student's self-check); type errors come back as warnings. */
  typeCheck?: boolean;
}

export interface SandboxOutcome {
  status: RunStatus;
  reason?: string;
  outputs?: unknown;
  backend?: BackendReport;
  lastProgress?: Progress;
  /** The train-phase progress (epoch and logs) as the submission's loop reported it, evenly thinned to at most MAX_HISTORY entries. */
  history?: HistoryEntry[];
  outputTail: string[];
  outputBytes: number;
  elapsedSec: number;
  /** CPU seconds the run used (what the time limit counts); 0 when it never started. */
  cpuSec: number;
  peakMiB: number;
  timings: { compileSec: number; startupSec?: number };
  artifactsDir?: string;
  /** The runner's warnings (distinct, at most MAX_WARNINGS): in-realm observations, for the student. */
  warnings?: string[];
}

export interface SandboxEvents {
  onProgress?(p: Progress, elapsedSec: number): void;
  onSpawn?(pid: number): void;
  signal?: AbortSignal;
}

/** Default cap on the result message; tasks that know their output size set a tighter one. */
export const MAX_RESULT_BYTES = 32 << 20;
/** Every other message (ready, progress, error) is small. */
const MAX_CONTROL_BYTES = 64 << 10;
/** What a submission may write: its out/ folder is the only writable place (and its cwd). */
export const MAX_ARTIFACT_BYTES = 512 << 20;
export const MAX_ARTIFACT_FILES = 10_000;
/** The backstop (timeout) ends the process this long after the grader's own timer should have. */
const BACKSTOP_GRACE_SEC = 10;
/** Progress reaches the reporter at most this often (a submission may report thousands of epochs). */
const PROGRESS_EVERY_MS = 200;
/** How often the CPU time (and the wall-clock backstop) is checked. */
const CPU_POLL_MS = 250;
/** Distinct warnings kept per run. */
const MAX_WARNINGS = 20;
const SUBMISSION_CAPS = { maxBytes: 64 << 20, maxFiles: 2000, maxDepth: 32, skip: ['node_modules'] };
const validateMessage = compile(childMessageSchema);

export async function runSandboxed(req: SandboxRequest, events: SandboxEvents = {}): Promise<SandboxOutcome> {
  const jobDir = join(req.cacheRoot, 'jobs', req.id);
  const outDir = join(jobDir, 'out');
  const iso = req.isolation;
  const t0 = performance.now();
  const base = { outputTail: [] as string[], outputBytes: 0, elapsedSec: 0, cpuSec: 0, peakMiB: 0, timings: { compileSec: 0 } };
  let lease: UidLease | undefined;
  let mounted = false;
  try {
    rmSync(jobDir, { recursive: true, force: true });
    // jobs/ must be traversable by the sandbox uid; each job folder is its own.
    mkdirSync(join(req.cacheRoot, 'jobs'), { recursive: true });
    chmodSync(join(req.cacheRoot, 'jobs'), 0o711);
    mkdirSync(outDir, { recursive: true, mode: 0o700 });
    if (iso.diskQuota === 'tmpfs') {
      // Its own small filesystem: bytes and files are capped by the kernel, not by polling.
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${MAX_ARTIFACT_BYTES},nr_inodes=${MAX_ARTIFACT_FILES},mode=0700,nosuid,nodev,noexec`, 'tmpfs', outDir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`cannot mount the job's tmpfs: ${r.stderr.trim()}`);
      mounted = true;
    }
    const stage = req.stage ?? 'run';
    let compiled: string | undefined;
    let compileWarnings: string[] = []; // the compiler's (tfjs-vis, type errors in check mode), before the runner's
    if (stage === 'run') {
      const srcDir = join(jobDir, 'src');
      const single = !statSync(req.submissionPath!).isDirectory();
      copyRegularTree(req.submissionPath!, single ? join(srcDir, basename(req.submissionPath!)) : srcDir, SUBMISSION_CAPS, basename(req.submissionPath!));
      const root = single ? join(srcDir, basename(req.submissionPath!)) : srcDir;
      compiled = join(jobDir, 'submission.cjs');
      try {
        ({ warnings: compileWarnings } = await compileSubmission(entryOf(root), root, compiled, { isolation: req.isolation, maxSourceBytes: req.limits.maxSourceKiB * 1024, typeCheck: req.typeCheck }));
      } catch (e) {
        if (e instanceof CompileError) return { ...base, status: 'BAD_SUBMISSION', reason: `does not compile:\n${e.message}`, timings: { compileSec: sec(t0) } };
        throw e;
      }
    }
    const job: JobFile = {
      task: req.task, stage, submission: compiled, outDir, artifactsDir: req.artifactsIn,
      files: req.files, params: req.params, limits: req.limits, seed: req.seed, backend: req.backend, allowNative: req.allowNative,
      maxResultBytes: req.maxResultBytes ?? MAX_RESULT_BYTES,
    };
    writeJsonAtomic(join(jobDir, 'job.json'), job);
    if (iso.user === 'setpriv') {
      lease = leaseUid();
      chownTree(jobDir, lease.uid);
    }
    const outcome = await supervise(req, jobDir, lease?.uid, sec(t0), events);
    if (compileWarnings.length) outcome.warnings = [...compileWarnings, ...(outcome.warnings ?? [])];
    if (req.keepArtifacts && outcome.status === 'OK') {
      const kept = join(req.cacheRoot, 'artifacts', req.id);
      rmSync(kept, { recursive: true, force: true });
      mkdirSync(join(req.cacheRoot, 'artifacts'), { recursive: true });
      chmodSync(join(req.cacheRoot, 'artifacts'), 0o711);
      try {
        copyRegularTree(outDir, kept, { maxBytes: MAX_ARTIFACT_BYTES, maxFiles: MAX_ARTIFACT_FILES, maxDepth: 32 }, 'its output folder');
      } catch (e) {
        rmSync(kept, { recursive: true, force: true });
        if (e instanceof TreeRefused) return { ...outcome, status: 'BAD_SUBMISSION', reason: e.message };
        throw e;
      }
      readableTree(kept); // the verify stage runs as another uid
      outcome.artifactsDir = kept;
    }
    return outcome;
  } catch (e) {
    if (e instanceof TreeRefused || e instanceof CompileError) return { ...base, status: 'BAD_SUBMISSION', reason: e.message, timings: { compileSec: sec(t0) } };
    throw e;
  } finally {
    if (mounted) unmountUnder(outDir);
    if (!req.keepJobDir) removeTree(jobDir); // what is left is swept after the batch and at the next start
    lease?.release();
  }
}

function sec(since: number): number {
  return Math.round((performance.now() - since) / 10) / 100;
}

async function supervise(req: SandboxRequest, jobDir: string, uid: number | undefined, compileSec: number, events: SandboxEvents): Promise<SandboxOutcome> {
  const iso = req.isolation;
  const outDir = join(jobDir, 'out');
  const guard = createMemoryGuard(iso, req.id, req.limits.memoryLimitMiB * 1024 * 1024);
  let cpu: CpuMeter | undefined;
  try {
    cpu = createCpuMeter(iso, req.id);
    const reads = readAllowList([jobDir + '/', req.runnerPath, ...runtimePackageDirs().map((d) => d + '/'), ...Object.values(req.files), ...(req.artifactsIn ? [req.artifactsIn + '/'] : [])]);
    const nodeArgs = [
      iso.fsPermissionFlag,
      ...reads.map((p) => `--allow-fs-read=${p}`),
      `--allow-fs-write=${outDir}/`,
      ...(req.allowNative ? ['--allow-addons'] : []), // only for the opt-in native backend
      `--max-old-space-size=${req.limits.memoryLimitMiB}`,
      '--disable-warning=ExperimentalWarning',
      '--unhandled-rejections=strict',
      ...sandboxV8Flags(),
      req.runnerPath,
      join(jobDir, 'job.json'),
    ];
    const { file, args } = jailCommand({
      iso, read: reads, write: outDir, uid, joinFiles: [...guard.joinFiles, ...cpu.joinFiles],
      backstopSec: wallLimitSec(req.limits.timeLimitSec) + BACKSTOP_GRACE_SEC, command: [process.execPath, ...nodeArgs],
    });
    const key = randomBytes(KEY_BYTES);
    const tStart = performance.now();
    const child = spawn(file, args, {
      cwd: outDir,
      detached: true, // own process group: the time limit kills all of it
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: outDir, TMPDIR: iso.filesystem === 'bwrap' ? '/tmp' : outDir, LANG: 'C.UTF-8', NODE_PATH: NODE_MODULES },
    });
    // A stream error (the child gone before we wrote its key) is an outcome, never an uncaught event.
    for (const s of child.stdio) s?.on('error', () => {});
    child.on('error', () => {});
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start the sandbox (${file})`);
    (child.stdio[KEY_FD] as NodeJS.WritableStream).end(key.toString('hex') + '\n');
    events.onSpawn?.(pid);
    const killAll = () => {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    };

    const tail = new OutputTail();
    child.stdout!.on('data', (c: Buffer) => tail.push(c));
    child.stderr!.on('data', (c: Buffer) => tail.push(c));
    let ready: BackendReport | undefined, startupSec: number | undefined;
    let lastProgress: Progress | undefined, result: { outputs: unknown } | undefined;
    const history = new ProgressHistory();
    let error: Extract<ChildMessage, { t: 'error' }> | undefined;
    let protocolProblem: string | undefined, forged: string | undefined, badOutputs: string | undefined;
    let seq = 0, lastForward = 0;
    const warnings: string[] = [];
    const resultCap = req.maxResultBytes ?? MAX_RESULT_BYTES;
    const onLine = (line: string) => {
      if (forged || !line) return;
      const v = verifyLine(key, seq + 1, line);
      if (!v.ok) { forged = v.why; killAll(); return; }
      seq = v.seq;
      const isResult = v.json.startsWith('{"t":"result"');
      if (!isResult && v.json.length > MAX_CONTROL_BYTES) { protocolProblem = 'an oversized message on the result channel'; return; }
      let msg: unknown;
      try { msg = parseBounded(v.json); } catch (e) {
        // A signed result is the runner's serialization of what the submission returned.
        if (isResult) badOutputs ??= `returned outputs the grader will not read: ${(e as Error).message}`;
        else protocolProblem = `an unreadable message on the result channel (${(e as Error).message})`;
        return;
      }
      if (!validateMessage(msg)) { protocolProblem = 'a malformed message on the result channel'; return; }
      const m = msg as ChildMessage;
      if (m.t === 'ready') { ready ??= m.backend; startupSec ??= sec(tStart); }
      else if (m.t === 'progress') {
        const { t: _t, ...p } = m;
        lastProgress = p;
        history.push(p);
        const now = performance.now();
        if (now - lastForward >= PROGRESS_EVERY_MS) { lastForward = now; events.onProgress?.(p, sec(tStart)); }
      }
      else if (m.t === 'result') result ??= { outputs: m.outputs };
      else if (m.t === 'error') error ??= m;
      else if (m.t === 'warning' && warnings.length < MAX_WARNINGS && !warnings.includes(m.message)) warnings.push(m.message);
    };
    // Lines are verified before they are parsed; an overlong one is dropped unread and ends the run.
    // The runner sends nothing longer than resultCap (it reports outputs too large as an error instead), so an overlong line is the submission's.
    const overflow = () => {
      forged ??= 'an oversized unsigned message';
      killAll();
    };
    child.stdio[CHANNEL_FD]!.on('data', lineSplitter(Math.max(resultCap, MAX_CONTROL_BYTES) + 1024, onLine, overflow));

    let timedOut = false, memKilled = false, aborted = false, diskExceeded = false;
    guard.watch(pid, () => { memKilled = true; killAll(); });
    cpu.watch(pid);
    // The budget is CPU time (fair on a loaded machine); the wall clock is a backstop at WALL_CLOCK_FACTOR × it.
    const meter = cpu;
    const wallMs = wallLimitSec(req.limits.timeLimitSec) * 1000;
    let wallTimedOut = false;
    const clock = setInterval(() => {
      if (meter.seconds() >= req.limits.timeLimitSec) { timedOut = true; killAll(); }
      else if (performance.now() - tStart >= wallMs) { wallTimedOut = true; killAll(); }
    }, CPU_POLL_MS);
    // With a tmpfs the kernel caps out/; polling is the fallback and a second look.
    const diskWatch = setInterval(() => {
      const u = treeUsage(outDir, { bytes: MAX_ARTIFACT_BYTES, files: MAX_ARTIFACT_FILES });
      if (u.bytes > MAX_ARTIFACT_BYTES || u.files > MAX_ARTIFACT_FILES) { diskExceeded = true; killAll(); }
    }, iso.diskQuota === 'tmpfs' ? 2000 : 200);
    const onAbort = () => { aborted = true; killAll(); };
    events.signal?.addEventListener('abort', onAbort);
    if (events.signal?.aborted) onAbort();

    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
    clearInterval(clock);
    clearInterval(diskWatch);
    events.signal?.removeEventListener('abort', onAbort);
    killAll(); // anything the submission left behind in its group
    const elapsedSec = sec(tStart);
    const cpuSec = Math.round(cpu.seconds() * 100) / 100;
    const peakMiB = Math.round(guard.peakBytes() / 1048576);
    const lines = tail.lines();
    const out = { backend: forged ? undefined : ready, lastProgress, ...(forged || !history.entries().length ? {} : { history: history.entries() }), outputTail: lines, outputBytes: tail.total, elapsedSec, cpuSec, peakMiB, timings: { compileSec, startupSec }, ...(warnings.length && !forged ? { warnings } : {}) };
    const where = describeProgress(lastProgress);
    if (aborted) return { ...out, status: 'ABORTED', reason: 'grading was interrupted' };
    if (forged) return { ...out, status: 'TAMPERED', reason: `wrote ${forged} to the grader's result channel: nothing it reported is trusted, and the result is flagged for review` };
    // The backstop (timeout) killed it when the grader's own timer could not.
    const backstop = (signal === 'SIGKILL' || code === 137) && elapsedSec * 1000 >= wallMs;
    if (timedOut) return { ...out, status: 'TIME_LIMIT', reason: `time limit of ${req.limits.timeLimitSec} s of CPU time reached${where} (wall clock ${Math.round(elapsedSec)} s)` };
    if (wallTimedOut || backstop) {
      return { ...out, status: 'TIME_LIMIT', reason: `wall-clock limit of ${wallLimitSec(req.limits.timeLimitSec)} s reached${where} (${WALL_CLOCK_FACTOR} × the ${req.limits.timeLimitSec} s time limit) after only ${Math.round(cpuSec)} s of CPU time (the wall clock ends runs that wait, sleep or get little CPU)` };
    }
    const usage = treeUsage(outDir, { bytes: MAX_ARTIFACT_BYTES, files: MAX_ARTIFACT_FILES });
    // The tmpfs answers ENOSPC where polling would have killed it: the same verdict either way.
    const full = iso.diskQuota === 'tmpfs' && !!error && /ENOSPC/.test(error.message);
    if (diskExceeded || full || usage.bytes > MAX_ARTIFACT_BYTES || usage.files > MAX_ARTIFACT_FILES) {
      return { ...out, status: 'BAD_SUBMISSION', reason: `its output folder is full (${MAX_ARTIFACT_BYTES >> 20} MiB or ${MAX_ARTIFACT_FILES} files at most): it is the only writable place, for models and checkpoints${error ? ` (${error.message})` : ''}` };
    }
    // What the process printed or threw counts only with the guard's own measurement behind it: a
    // submission can print V8's message or throw RangeError('Array buffer allocation failed') itself.
    const nearLimit = guard.peakBytes() >= 0.5 * req.limits.memoryLimitMiB * 1048576;
    const heapOom = nearLimit && lines.some((l) => /JavaScript heap out of memory|Reached heap limit/.test(l));
    if (memKilled || guard.exceeded() || heapOom || (nearLimit && error?.kind === 'MEMORY_LIMIT')) {
      const cause = error?.kind === 'MEMORY_LIMIT' ? ` (${error.message})` : heapOom ? ' (JavaScript heap out of memory)' : '';
      return { ...out, status: 'MEMORY_LIMIT', reason: `memory limit of ${req.limits.memoryLimitMiB} MiB exceeded${cause}${where}; peak ${peakMiB} MiB` };
    }
    if (error?.kind === 'BAD_OUTPUT') return { ...out, status: 'BAD_OUTPUT', reason: error.message };
    if (badOutputs) return { ...out, status: 'BAD_OUTPUT', reason: badOutputs };
    if (error?.kind === 'MEMORY_LIMIT') error.message += ` (the process used ${peakMiB} MiB of its ${req.limits.memoryLimitMiB} MiB: a single allocation too large to make?)`;
    if (error) {
      const stack = error.stack ? `\n${error.stack}`.replaceAll(`${jobDir}/src/`, '').replaceAll(`${jobDir}/`, '') : '';
      return { ...out, status: error.kind === 'BAD_SUBMISSION' ? 'BAD_SUBMISSION' : 'CRASH', reason: error.message + stack };
    }
    if (protocolProblem && !result) return { ...out, status: 'CRASH', reason: `the sandbox sent ${protocolProblem}` };
    if (result && code === 0) return { ...out, status: 'OK', outputs: result.outputs };
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    // Dying before 'ready' means the sandbox itself failed to start: say so rather than blame the student.
    const jail = tail.jailLines(); // what the jail's tools said: about the sandbox, kept out of the student's tail
    const blame = ready ? '' : ` (the sandbox failed before loading the submission: a grader or machine problem, not the submission's${jail.length ? `; the sandbox said: ${jail.join(' / ')}` : ''})`;
    return { ...out, status: 'CRASH', reason: `the submission ${how} before returning its outputs${where}${blame}` };
  } finally {
    guard.dispose();
    cpu?.dispose();
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
  const logs = Object.entries(p.logs ?? {}).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)).map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`).join(', ');
  const call = p.call !== undefined && p.call > 1 ? ` in fit call ${p.call},` : ''; // a loop of fit calls: which one
  return `${call} at ${p.unit ?? 'epoch'} ${p.epoch}${p.epochs ? ` of ${p.epochs}` : ''}${logs ? ` (last ${logs})` : ''}`;
}
