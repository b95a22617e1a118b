// TypeScript/JavaScript submissions are compiled here into one CommonJS file
// the sandbox runs. The compiler never sees the disk: the grader reads the
// submission's copied folder itself (regular files only, capped in size and
// count) and hands that map to a compiler process of its own (compile-child.ts),
// which resolves every import inside the map. That process runs with a time
// and memory limit, dies with the grader, and as root under an unprivileged
// uid, so a hostile or pathological submission costs only its own compile.
// For a student's self-check the same process then type-checks it (typecheck.ts):
// type errors, or the checker running out of time or memory, are warnings only.
// '@tensorflow/tfjs' (and -core, -layers, -node, …) imports resolve to the runner's tf, whatever
// backend it loaded; tfjs-vis to a module that draws nothing (shims/tf-packages.ts says which is what).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import * as esbuild from 'esbuild';
import { sha256, writeAtomic } from '../util/fs.ts';
import { ENTRY_NAMES } from '../grade/discover.ts'; // one list: what discovery takes for a folder's entry, the compiler compiles
import { detectIsolation, reachableByOthers, type Isolation } from './capabilities.ts';
import { SHIM_SOURCES, SOURCE_LOADERS, type CompileInput, type CompileOutput, type TypeCheckOutput } from './compile-child.ts';
import type { TypeCheckSetup } from './typecheck.ts';
import { jailCommand } from './jail.ts';
import { createMemoryGuard } from './memory.ts';
import { createCpuMeter, wallLimitSec } from './cpu-time.ts';
import { OWNER_TAG } from './owner.ts';

export class CompileError extends Error {
  override name = 'CompileError';
}

/**
 * Total bytes of a submission's source files (.ts/.tsx/.mts/.cts/.js/.mjs/.cjs/.json) when the
 * caller passes no `maxSourceBytes`; grading passes the limits' maxSourceKiB (limits.json, default 1024).
 */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;
/** Source files in one submission. */
export const MAX_SOURCE_FILES = 500;
/** Entries (files and folders of any kind) the grader walks in a submission's folder. */
export const MAX_FOLDER_ENTRIES = 20_000;
/** Wall clock for one compile. */
export const COMPILE_TIME_LIMIT_MS = 20_000;
/** Memory of the compiler process (node and esbuild's service together). */
export const COMPILE_MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024;
/** What the compiler process may send back (the bundle with its inline source map). */
const MAX_COMPILER_OUTPUT = 64 * 1024 * 1024;
const STDERR_KEEP = 8 * 1024;

export interface CompileOptions {
  /** What the machine offers (cgroups, setpriv); detected when not given. */
  isolation?: Isolation;
  timeLimitMs?: number;
  memoryLimitBytes?: number;
  /** Most the source files may total (the limits' maxSourceKiB × 1024); MAX_SOURCE_BYTES when not given. */
  maxSourceBytes?: number;
  /**
   * Type-check the submission too (a student's self-check), in the same compiler process under the same limits,
   * after the bundle is made: type errors, or the checker failing, become warnings and never fail the compile.
   */
  typeCheck?: boolean;
}

/** The file to compile for a submission that is a file or a folder. */
export function entryOf(submissionRoot: string): string {
  if (statSync(submissionRoot).isFile()) return submissionRoot;
  const found = ENTRY_NAMES.map((n) => join(submissionRoot, n)).find((p) => existsSync(p));
  if (!found) throw new CompileError(`${submissionRoot}: no entry file (expected one of ${ENTRY_NAMES.join(', ')})`);
  return found;
}

const mib = (n: number) => `${(n / 1048576).toFixed(n < 1048576 ? 2 : 1).replace(/\.0+$/, '')} MiB`;
const CODE_EXT = new Set(Object.keys(SOURCE_LOADERS).filter((e) => e !== '.json'));

/**
 * Reads the submission's source files into a map keyed by POSIX paths
 * relative to the folder. Regular files only (opened without following
 * links, never a FIFO, socket or device); .json files that would break the
 * size or count cap are left out and named if imported.
 */
function readSubmission(root: string, maxSourceBytes: number): { baseDir: string; files: Record<string, string>; others: Record<string, string> } {
  const cap = maxSourceBytes;
  const size = (n: number) => (n >= 1048576 ? mib(n) : `${+(n / 1024).toFixed(1)} KiB`);
  // Names the limit, so a student knows what to ask for and an instructor where to set it.
  const whose = `the limit maxSourceKiB = ${+(cap / 1024).toFixed(2)}, which the instructor can configure in limits.json or the assignment's limits`;
  const top = lstatSync(root);
  const baseDir = top.isDirectory() ? root : dirname(root);
  const code: string[] = [], json: string[] = [];
  const others: Record<string, string> = {};
  let entries = 0;
  const classify = (rel: string, st: Stats) => {
    if (st.isSymbolicLink()) throw new CompileError(`${rel} is a symbolic link; submissions may not contain links`);
    if (!st.isFile()) throw new CompileError(`${rel} is not a regular file or folder (a FIFO, socket or device); submissions may contain only files and folders`);
    const ext = rel.slice(rel.lastIndexOf('.'));
    if (!rel.includes('.') || !(ext in SOURCE_LOADERS)) others[rel] = `only ${Object.keys(SOURCE_LOADERS).join(', ')} files can be imported`;
    else (CODE_EXT.has(ext) ? code : json).push(rel);
  };
  if (top.isDirectory()) {
    const walk = (dir: string, prefix: string) => {
      for (const name of readdirSync(dir).sort()) {
        if (++entries > MAX_FOLDER_ENTRIES) throw new CompileError(`the submission's folder has more than ${MAX_FOLDER_ENTRIES} files and folders`);
        const rel = prefix + name;
        const st = lstatSync(join(dir, name));
        if (st.isDirectory()) {
          if (name !== 'node_modules' && name !== '.git') walk(join(dir, name), rel + '/');
        } else classify(rel, st);
      }
    };
    walk(root, '');
  } else {
    classify(relative(baseDir, root), top);
  }
  const files: Record<string, string> = {};
  let total = 0, count = 0;
  for (const rel of code) {
    let over = 0;
    const text = readRegular(join(baseDir, rel), rel, cap - total, (size) => { over = size; });
    if (text === undefined) {
      throw new CompileError(total === 0
        ? `${rel} is ${size(over)}: a submission's source files may total at most ${size(cap)} (${whose})`
        : `${rel} (${size(over)}) takes the submission's source files over ${size(cap)}, the most they may total (${whose})`);
    }
    if (++count > MAX_SOURCE_FILES) throw new CompileError(`the submission has more than ${MAX_SOURCE_FILES} source files (at ${rel})`);
    total += Buffer.byteLength(text);
    files[rel] = text;
  }
  for (const rel of json) {
    let over = 0;
    const text = count >= MAX_SOURCE_FILES ? undefined : readRegular(join(baseDir, rel), rel, cap - total, (size) => { over = size; });
    if (text === undefined) {
      others[rel] = over ? `it is ${size(over)} and would take the submission's source files over ${size(cap)} (${whose})` : `the submission has more than ${MAX_SOURCE_FILES} source files`;
      continue;
    }
    count++;
    total += Buffer.byteLength(text);
    files[rel] = text;
  }
  return { baseDir, files, others };
}

/** A regular file's text, read through one descriptor opened without following links or blocking. */
function readRegular(path: string, rel: string, room: number, tooBig: (size: number) => void): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new CompileError(`${rel} is a symbolic link; submissions may not contain links`);
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CompileError(`${rel} is not a regular file; submissions may contain only files and folders`);
    if (st.size > room) { tooBig(st.size); return undefined; }
    const buf = Buffer.alloc(st.size + 1);
    let n = 0, r: number;
    while (n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0) n += r;
    if (n > st.size) { tooBig(n); return undefined; } // grew while being read
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD_SOURCE = join(HERE, 'compile-child.ts');
let childCode: Promise<string> | undefined;

/** Bundles one of the grader's own scripts (trusted code, compiled in-process) to CommonJS. */
async function bundleOwn(entry: string, external: string[]): Promise<Uint8Array> {
  const out = await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent', external });
  return out.outputFiles[0]!.contents;
}

/** The compiler process's script, bundled once per grader process. */
function compilerScript(): Promise<string> {
  childCode ??= bundleOwn(CHILD_SOURCE, ['esbuild']).then((code) => Buffer.from(code).toString('utf8'));
  return childCode;
}

interface Tools { setpriv: boolean; timeout: boolean; esbuild: string; esbuildBinary?: string }
let tools: Tools | undefined;
function compilerTools(): Tools {
  if (tools) return tools;
  const works = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  const req = createRequire(import.meta.url);
  const main = req.resolve('esbuild');
  let binary: string | undefined;
  try {
    binary = process.env.ESBUILD_BINARY_PATH || createRequire(main).resolve(`@esbuild/${process.platform}-${process.arch}/bin/esbuild`);
  } catch { /* esbuild finds it its own way */ }
  tools = { setpriv: works('setpriv', ['--pdeathsig', 'KILL', '--', 'true']), timeout: works('timeout', ['1', 'true']), esbuild: main, esbuildBinary: binary };
  return tools;
}

let checker: TypeCheckSetup | null | undefined;
/** What the type checker needs, found once; null when TypeScript or the TF.js declarations are not installed. */
function typeCheckSetup(): TypeCheckSetup | null {
  if (checker !== undefined) return checker;
  try {
    const req = createRequire(import.meta.url);
    const typescript = req.resolve('typescript');
    const nodeModules = dirname(dirname(dirname(req.resolve('@tensorflow/tfjs/package.json')))) + '/';
    const readable = [dirname(typescript) + '/', ...['@tensorflow/', '@types/', '@webgpu/'].map((d) => nodeModules + d).filter((d) => existsSync(d))];
    checker = { typescript, readable, nodeModules, nodeTypes: existsSync(join(nodeModules, '@types', 'node', 'index.d.ts')) };
  } catch {
    checker = null;
  }
  return checker;
}

const COMPILER_UID = 65534; // nobody: the compiler runs no submission code, it only must not read the grader's files
let seq = 0;

/**
 * Compiles `entry` (inside `root`) to `outfile`; throws CompileError with a message for the student.
 * Returns warnings for the student (tfjs-vis draws nothing; with `typeCheck`, type errors), which never fail a submission.
 */
export async function compileSubmission(entry: string, root: string, outfile: string, options: CompileOptions = {}): Promise<{ warnings: string[] }> {
  const cap = options.maxSourceBytes;
  const { baseDir, files, others } = readSubmission(root, cap !== undefined && Number.isFinite(cap) && cap > 0 ? cap : MAX_SOURCE_BYTES);
  const entryKey = relative(baseDir, entry).split(sep).join('/');
  if (files[entryKey] === undefined) {
    throw new CompileError(others[entryKey] ? `${entryKey}: ${others[entryKey]}` : `${entryKey} is not a source file of the submission`);
  }
  const t = compilerTools();
  const out = await runCompiler({ esbuild: t.esbuild, entry: entryKey, files, others }, options);
  if (out.t === 'ok' && out.warnings) out.warnings = out.warnings.map((w) => w.replaceAll(baseDir + sep, ''));
  if (out.t === 'errors') throw new CompileError(out.errors.replaceAll(baseDir + sep, ''));
  if (out.t === 'fault') throw new Error(`the compiler process failed: ${out.message}`);
  if (out.t === 'crash') throw new CompileError(`the compiler crashed on this submission (${out.message})`);
  // Source paths as the student's own files, relative to the bundle, so stack frames land in the job's src/.
  const map = JSON.parse(out.map) as { sources: string[] };
  const outDir = dirname(outfile);
  map.sources = map.sources.map((s) => {
    if (SHIM_SOURCES.has(s)) return s;
    if (files[s] === undefined) throw new Error(`the compiler returned a source map naming ${JSON.stringify(s)}, not a file of the submission`);
    return relative(outDir, join(baseDir, s)).split(sep).join('/');
  });
  const code = out.code.endsWith('\n') ? out.code : out.code + '\n';
  writeFileSync(outfile, `${code}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`);
  return { warnings: out.warnings ?? [] };
}

async function runCompiler(input: CompileInput, options: CompileOptions): Promise<CompileOutput> {
  const iso = options.isolation ?? detectIsolation();
  const timeLimitMs = options.timeLimitMs ?? COMPILE_TIME_LIMIT_MS;
  const memoryLimit = options.memoryLimitBytes ?? COMPILE_MEMORY_LIMIT_BYTES;
  const t = compilerTools();
  const script = await compilerScript();
  const jailed = iso.filesystem === 'bwrap';
  // In bwrap's fresh root only the compiler's own files exist (any uid can traverse it); elsewhere the uid drop needs them reachable.
  const dropUid = iso.user === 'setpriv' && t.setpriv && (jailed || [process.execPath, t.esbuild, ...(t.esbuildBinary ? [t.esbuildBinary] : [])].every(reachableByOthers));
  // The type checker reads TypeScript's lib and the TF.js declarations; where the dropped uid could not, types go unchecked.
  const setup = options.typeCheck ? typeCheckSetup() : null;
  if (setup && (jailed || !dropUid || setup.readable.every(reachableByOthers))) input = { ...input, typeCheck: setup };
  const id = `${OWNER_TAG}-compile-${threadId}-${++seq}-${randomBytes(4).toString('hex')}`;
  const guard = createMemoryGuard(iso, id, memoryLimit); // a killed grader's is swept by cleanStale
  // The limit counts CPU time, as for submissions: a class graded on a busy machine must not lose its type checks to the neighbours.
  const cpu = createCpuMeter(iso, id);
  // The compiler gets its input on stdin and needs no folder of the grader's: an empty one is its cwd.
  const scratch = mkdtempSync(join(tmpdir(), 'dlgrade-compile-'));
  try {
    if (dropUid) chownSync(scratch, COMPILER_UID, COMPILER_UID);
    const { file, args } = jailCommand({
      iso,
      read: [dirname(dirname(t.esbuild)) + '/', ...(t.esbuildBinary ? [t.esbuildBinary] : []), ...(input.typeCheck?.readable ?? [])],
      write: scratch,
      uid: dropUid ? COMPILER_UID : undefined,
      joinFiles: [...guard.joinFiles, ...cpu.joinFiles],
      backstopSec: Math.ceil(wallLimitSec(timeLimitMs / 1000)) + 5,
      command: [process.execPath, '--max-old-space-size=512', '-e', script],
    });
    const child = spawn(file, args, {
      cwd: scratch,
      detached: true, // own process group: a timeout kills esbuild's service too
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', DLGRADE_COMPILE_CHILD: '1',
        GOMEMLIMIT: String(Math.floor(memoryLimit * 0.7)), // esbuild's Go runtime collects harder before the cgroup's limit
        // Named outright: in the jail, esbuild's own lookup of its platform package finds nothing.
        ...(t.esbuildBinary ? { ESBUILD_BINARY_PATH: t.esbuildBinary } : {}),
      },
    });
    const pid = child.pid;
    const killAll = () => {
      if (pid) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    };
    let timedOut = false, memKilled = false, tooMuch = false;
    const stdout: Buffer[] = [];
    let outBytes = 0, errHead = '', errTail = '';
    child.stdout!.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > MAX_COMPILER_OUTPUT) { tooMuch = true; killAll(); } else stdout.push(c);
    });
    child.stderr!.on('data', (c: Buffer) => {
      const s = c.toString('utf8');
      if (errHead.length < STDERR_KEEP) errHead += s.slice(0, STDERR_KEEP - errHead.length);
      errTail = (errTail + s).slice(-STDERR_KEEP);
    });
    child.stdin!.on('error', () => { /* the compiler died before reading all of it */ });
    if (pid) { guard.watch(pid, () => { memKilled = true; killAll(); }); cpu.watch(pid); }
    const timer = setTimeout(() => { timedOut = true; killAll(); }, wallLimitSec(timeLimitMs / 1000) * 1000); // the backstop: sleeping, blocked or starved
    const cpuCheck = setInterval(() => { if (cpu.seconds() * 1000 > timeLimitMs) { timedOut = true; killAll(); } }, 250);
    const t0 = performance.now();
    child.on('exit', () => killAll()); // esbuild's service, if it outlived node
    child.stdin!.end(JSON.stringify(input));
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res, rej) => {
      child.on('error', rej);
      child.on('close', (code, signal) => res({ code, signal }));
    });
    clearTimeout(timer);
    clearInterval(cpuCheck);
    killAll();
    const stderr = errHead + (errTail.length === STDERR_KEEP ? errTail : '');
    const outOfMemory = () => memKilled || guard.exceeded() || /JavaScript heap out of memory|Reached heap limit|fatal error: (runtime: )?out of memory|runtime: out of memory/.test(stderr);
    const text = Buffer.concat(stdout).toString('utf8');
    const nl = text.indexOf('\n');
    const parsed = <T>(line: string): T | undefined => { try { return JSON.parse(line) as T; } catch { return undefined; } };
    const first = nl < 0 || tooMuch ? undefined : parsed<CompileOutput>(text.slice(0, nl));
    if (input.typeCheck && first?.t === 'ok') {
      // The bundle was made: whatever became of the type check after it costs only warnings.
      const types = parsed<TypeCheckOutput>(text.slice(nl + 1));
      const why = types?.t === 'types-failed' ? types.message
        : timedOut ? `the type checker ran out of time (limit ${timeLimitMs / 1000} s of CPU time)`
        : outOfMemory() ? `the type checker ran out of memory (limit ${mib(memoryLimit)})`
        : `the type checker stopped (${signal ? `killed by ${signal}` : `exit code ${code}`})`;
      const found = types?.t === 'types' ? types.warnings : [`types were not checked: ${why}; the submission is graded as usual`];
      return { ...first, warnings: [...(first.warnings ?? []), ...found] };
    }
    if (timedOut || (signal === 'SIGKILL' && performance.now() - t0 >= wallLimitSec(timeLimitMs / 1000) * 1000)) {
      throw new CompileError(`the compiler ran out of time on this submission (limit ${timeLimitMs / 1000} s of CPU time); very large or deeply nested code can do this`);
    }
    if (tooMuch) throw new CompileError(`the compiled submission is larger than ${mib(MAX_COMPILER_OUTPUT)}`);
    if (outOfMemory()) {
      throw new CompileError(`the compiler ran out of memory on this submission (limit ${mib(memoryLimit)}); very large or deeply nested code can do this`);
    }
    const out = first; // undefined: died before answering
    const goFatal = /^(?:fatal error|panic): (.+)$/m.exec(stderr)?.[1];
    if (out?.t === 'crash') return { t: 'crash', message: goFatal ?? out.message };
    if (out && code === 0) return out;
    if (signal || goFatal) return { t: 'crash', message: goFatal ?? `killed by ${signal}` };
    throw new Error(`the compiler process exited with code ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
  } finally {
    guard.dispose();
    cpu.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const RUNNER_SOURCE = join(HERE, 'child', 'runner.ts');
let runnerPath: string | undefined;

/** Builds the sandbox runner once per grader process into the cache (content-addressed). */
export async function buildRunner(cacheRoot: string): Promise<string> {
  if (runnerPath) return runnerPath;
  const code = await bundleOwn(RUNNER_SOURCE, ['@tensorflow/*']);
  const dir = join(cacheRoot, 'runner');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, `runner-${sha256(code).slice(0, 16)}.cjs`);
  if (!existsSync(path) || sha256(readFileSync(path)) !== sha256(code)) writeAtomic(path, code);
  runnerPath = path;
  return path;
}
