// npm run chaos [-- --seed n --count n --keep]: a generated class of hostile
// and honest submissions, graded twice. Run A grades it without interruption.
// Run B grades it into another folder while the grader is SIGKILLed at three
// random points and restarted (resume is automatic) until it exits normally.
// Checked: every submission has exactly one result (lost = 0), B's verdicts
// equal A's, no forged result channel message is scored, and nothing is left
// behind (sandboxed processes, dlgrade-* cgroups, job folders). Reported: wall
// time, lost results, orphans after each kill and at the end, verdict
// mismatches and the grader's peak RSS. Writes results/chaos/report.json;
// exits 1 when a check fails.
//
// The grader is started as `node --import tsx grader/cli/main.ts …` so that
// SIGKILL hits the grader itself, not a wrapper (npx/npm/tsx) in front of it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../grader/spec/load.ts';
import { tinySiameseAssignment, writeTinyMnist } from '../test/helpers/fixtures.ts';

const { values: opt } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '200' },
    kills: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false }, // keep the scratch folder (class, outputs, logs)
  },
});
const SEED = Number(opt.seed), COUNT = Number(opt.count), KILLS = Number(opt.kills);
if (!Number.isInteger(SEED) || !Number.isInteger(COUNT) || COUNT < 10 || !Number.isInteger(KILLS) || KILLS < 0) {
  console.error('usage: npm run chaos -- [--seed <int>] [--count <int ≥ 10>] [--kills <int>] [--keep]');
  process.exit(2);
}
const TIME_LIMIT = 6, MEMORY_LIMIT = 512;
const RUN_TIMEOUT_MS = 15 * 60_000; // one grader run; far above what it should take
const MAIN = join(REPO_ROOT, 'grader', 'cli', 'main.ts');
const CGROUP_ROOTS = ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids'];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the class

const TF = `import * as tf from '@tensorflow/tfjs';\n`;
const PIXEL = `export async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }\n`;
const EMBED = `export async function distance(m, a, b) { return tf.tidy(() => m.predict(a).sub(m.predict(b)).square().sum(1).sqrt()); }\n`;
const trainDoing = (body: string) => `${TF}export async function train() { ${body} }\n${PIXEL}`;

/** How many pairs the tiny siamese assignment scores (what a forger must produce). */
let PAIRS = 0;

type Expect = 'PASS' | 'FAIL' | 'CRASH' | 'BAD_SUBMISSION' | 'MEMORY_LIMIT' | 'TIME_LIMIT' | 'NOT_SCORED';
interface Kind { name: string; weight: number; expect: Expect; code: (i: number) => string }

/** An honest trainer: the given layers, compiled and fitted with model.fit; its softmax is the embedding. */
const fitTrainer = (i: number, what: string, initializer: string, layers: string, epochs: number) => `${TF}// chaos #${i}: ${what}
export async function train({ images, labels }) {
  const init = (k) => tf.initializers.${initializer}({ seed: ${SEED * 1000 + i} + k });
  const m = tf.sequential({ layers: [
${layers}
  ] });
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const y = tf.oneHot(labels, 10);
  await m.fit(images, y, { epochs: ${epochs}, batchSize: 32, shuffle: false, verbose: 0 });
  y.dispose();
  return m;
}
${EMBED}`;

/** A small dense classifier (~1–2 s on wasm). */
const denseFit = (i: number) => {
  const units = [64, 96, 128][int(0, 2)]!, epochs = int(5, 10);
  return fitTrainer(i, 'an honest small trainer', 'glorotUniform', `    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: ${units}, activation: 'relu', kernelInitializer: init(1) }),
    tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }),`, epochs);
};

/** A tiny CNN, likewise. */
const convFit = (i: number) => fitTrainer(i, 'an honest small CNN', 'heNormal', `    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, strides: 2, activation: 'relu', kernelInitializer: init(1) }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }),`, int(2, 4));

const KINDS: Kind[] = [
  { name: 'honest-fit', weight: 28, expect: 'PASS', code: denseFit },
  { name: 'honest-cnn', weight: 6, expect: 'PASS', code: convFit },
  { name: 'honest-pixel', weight: 8, expect: 'PASS', code: (i) => trainDoing(`return ${i};`) },
  { name: 'weak-random', weight: 5, expect: 'FAIL', code: (i) => `${TF}export async function train() {}\nexport async function distance(_m, a) { return tf.randomUniform([a.shape[0]], 0, 1, 'float32', ${i}); }\n` },
  { name: 'crash-throw', weight: 4, expect: 'CRASH', code: (i) => trainDoing(`throw new Error('chaos #${i} gives up');`) },
  { name: 'crash-distance', weight: 2, expect: 'CRASH', code: (i) => `${TF}export async function train() {}\nexport async function distance() { throw new RangeError('chaos #${i}: no distance'); }\n` },
  { name: 'crash-exit', weight: 3, expect: 'CRASH', code: (i) => trainDoing(`console.log('chaos #${i} leaving'); process.exit(${1 + (i % 100)});`) },
  { name: 'crash-type', weight: 2, expect: 'CRASH', code: (i) => trainDoing(`const o = null; return o.field${i};`) },
  { name: 'crash-reject', weight: 2, expect: 'CRASH', code: (i) => trainDoing(`Promise.reject(new Error('chaos #${i} unhandled')); await new Promise((r) => setTimeout(r, 3000));`) },
  { name: 'bad-syntax', weight: 2, expect: 'BAD_SUBMISSION', code: (i) => `${TF}// chaos #${i}\nexport async function train( {\n` },
  { name: 'bad-export', weight: 2, expect: 'BAD_SUBMISSION', code: (i) => `${TF}// chaos #${i}\nexport async function train() {}\n` },
  { name: 'oom-buffers', weight: 5, expect: 'MEMORY_LIMIT', code: (i) => trainDoing(`const keep = []; for (let k = 0; k < 30 + ${i % 5}; k++) keep.push(new Uint8Array(100 << 20).fill(1)); return keep;`) },
  { name: 'oom-tensors', weight: 3, expect: 'MEMORY_LIMIT', code: (i) => trainDoing(`const keep = []; for (let k = 0; k < 40 + ${i % 5}; k++) { const t = tf.fill([25 << 20], 1); await t.data(); keep.push(t); } return keep;`) },
  { name: 'timeout-loop', weight: 3, expect: 'TIME_LIMIT', code: (i) => trainDoing(`let x = ${i}; while (true) { x = (x * 31 + 7) % 1000003; }`) },
  { name: 'timeout-pending', weight: 2, expect: 'TIME_LIMIT', code: (i) => trainDoing(`await new Promise(() => { setInterval(() => {}, ${100 + i}); });`) },
  { name: 'timeout-fit', weight: 2, expect: 'TIME_LIMIT', code: (i) => denseFit(i).replace(/epochs: \d+/, 'epochs: 100000') },
  { name: 'flood-stdout', weight: 4, expect: 'PASS', code: (i) => trainDoing(`const line = 'o'.repeat(1023) + '\\n'; for (let k = 0; k < ${int(4, 10)} * 1024; k++) process.stdout.write(line); return ${i};`) },
  { name: 'flood-stderr', weight: 3, expect: 'PASS', code: (i) => trainDoing(`const line = 'e'.repeat(511) + '\\n'; for (let k = 0; k < ${int(4, 10)} * 2048; k++) process.stderr.write(line); return ${i};`) },
  { name: 'flood-lines', weight: 3, expect: 'PASS', code: (i) => trainDoing(`for (let k = 0; k < ${int(50, 150)} * 1000; k++) console.log(k); return ${i};`) },
  // Writes a result line to the channel's fd itself and exits before the runner can answer.
  { name: 'forged-train', weight: 5, expect: 'NOT_SCORED', code: (i) => trainDoing(`require('fs').writeSync(3, JSON.stringify({ t: 'result', outputs: { distances: Array.from({ length: ${PAIRS} }, (_, k) => (k * ${i + 7}) % 13) } }) + '\\n'); process.exit(0);`) },
  // Computes honest distances (they would pass), but hands them in over the channel itself.
  { name: 'forged-distance', weight: 5, expect: 'NOT_SCORED', code: (i) => `${TF}// chaos #${i}: a forger
const acc = [];
export async function train() { return null; }
export async function distance(_m, a, b) {
  const d = tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
  acc.push(...(await d.data()));
  if (acc.length >= ${PAIRS}) {
    const fs = require('fs');
    fs.writeSync(3, JSON.stringify({ t: 'ready', backend: { name: 'wasm' } }) + '\\n');
    fs.writeSync(3, JSON.stringify({ t: 'result', outputs: { distances: acc } }) + '\\n');
    process.exit(0);
  }
  return d;
}
` },
];

function generate(dir: string): Map<string, Kind> {
  mkdirSync(dir, { recursive: true });
  const total = KINDS.reduce((s, k) => s + k.weight, 0);
  const kinds = new Map<string, Kind>();
  for (let i = 0; i < COUNT; i++) {
    let r = rand() * total, kind = KINDS[0]!;
    for (const k of KINDS) { if ((r -= k.weight) < 0) { kind = k; break; } }
    const id = `c${String(i).padStart(3, '0')}-${kind.name}`;
    writeFileSync(join(dir, `${id}.ts`), kind.code(i));
    kinds.set(id, kind);
  }
  return kinds;
}

// ---------------------------------------------------------------- grader runs

interface Run { pid: number; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; peakMiB: () => number; t0: number }

function launch(args: string[], log: string): Run {
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', fd, fd], env: { ...process.env, CI: 'true' } });
  closeSync(fd);
  const pid = child.pid!;
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch { /* exited */ }
  }, 100);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => { clearInterval(poll); res({ code, signal }); }));
  return { pid, exit, peakMiB: () => Math.round(peak), t0: performance.now() };
}

const resultFiles = (out: string) => { try { return readdirSync(join(out, 'results')).filter((f) => f.endsWith('.json')); } catch { return []; } };

/** Results this grader run graded itself (not reused), counted from its JSON-lines events. */
function freshResults(log: string): number {
  try { return readFileSync(log, 'utf8').split('"event":"result","reused":false').length - 1; } catch { return 0; }
}

/** The run's begin event: how many submissions it found already graded. */
function alreadyGraded(log: string): number | undefined {
  try {
    const line = readFileSync(log, 'utf8').split('\n').find((l) => l.startsWith('{"event":"begin"'));
    if (!line) return undefined;
    const b = JSON.parse(line) as { total: number; toRun: number };
    return b.total - b.toRun;
  } catch { return undefined; }
}

/** Resolves to 'exited' or 'reached' (n fresh results in this run), whichever comes first. */
async function until(run: Run, log: string, n: number): Promise<'exited' | 'reached'> {
  let exited = false;
  void run.exit.then(() => { exited = true; });
  for (;;) {
    if (exited) return 'exited';
    if (freshResults(log) >= n) return 'reached';
    if (performance.now() - run.t0 > RUN_TIMEOUT_MS) throw new Error(`grader ${run.pid} ran longer than ${RUN_TIMEOUT_MS / 60000} min`);
    await sleep(150);
  }
}

/** The grader's code (every file under grader/): if other edits change it mid-run, resumed runs rightly regrade. */
function codeDigest(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(REPO_ROOT, 'grader'));
  return h.digest('hex');
}

async function finish(run: Run): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const timer = setTimeout(() => { try { process.kill(run.pid, 'SIGKILL'); } catch { /* gone */ } }, Math.max(0, RUN_TIMEOUT_MS - (performance.now() - run.t0)));
  const r = await run.exit;
  clearTimeout(timer);
  return r;
}

// ---------------------------------------------------------------- leftovers

interface Leftovers { processes: { pid: number; cmd: string }[]; cgroups: string[]; foreignCgroups: number; jobDirs: string[] }
const total = (l: Leftovers) => l.processes.length + l.cgroups.length + l.jobDirs.length;

function processesUsing(dir: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      let cwd = '';
      try { cwd = readlinkSync(`/proc/${e}/cwd`); } catch { /* not readable */ }
      if (cmd.includes(dir) || cwd === dir || cwd.startsWith(dir + '/')) found.push({ pid: Number(e), cmd: cmd.slice(0, 160) });
    } catch { /* gone */ }
  }
  return found;
}

function dlgradeCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name.startsWith('dlgrade-')) found.push(p);
      if (depth < 12) walk(p, depth + 1);
    }
  };
  for (const root of CGROUP_ROOTS) walk(root, 0);
  return found;
}

/** dlgrade-<pid>-… (older names) or dlgrade-<pid>.<start time>-… (owner tags): made by one of our graders. */
const ownedBy = (pids: Set<number>) => (path: string) => {
  const m = /\/dlgrade-(\d+)[.-][^/]*$/.exec(path);
  return !!m && pids.has(Number(m[1]));
};

async function leftovers(cache: string, graderPids: Set<number>, waitMs = 5000): Promise<Leftovers> {
  const t0 = performance.now();
  let procs = processesUsing(cache);
  while (procs.length && performance.now() - t0 < waitMs) { await sleep(200); procs = processesUsing(cache); }
  const all = dlgradeCgroups();
  const mine = all.filter(ownedBy(graderPids));
  let jobDirs: string[] = [];
  try { jobDirs = readdirSync(join(cache, 'jobs')); } catch { /* none yet */ }
  return { processes: procs, cgroups: mine, foreignCgroups: all.length - mine.length, jobDirs };
}

const describe = (l: Leftovers) => `${l.processes.length} processes, ${l.cgroups.length} cgroups, ${l.jobDirs.length} job folders` + (l.foreignCgroups ? ` (+${l.foreignCgroups} dlgrade cgroups of other graders, not counted)` : '');

/** What we clean up ourselves at the very end, after reporting: only what our own graders left. */
function sweep(l: Leftovers): void {
  for (const p of l.processes) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  for (const cg of l.cgroups.sort((a, b) => b.length - a.length)) {
    for (let k = 0; k < 20; k++) {
      try { rmdirSync(cg); break; } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') break; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); }
    }
  }
}

// ---------------------------------------------------------------- main

interface Result { verdict: string; submission: { id: string } }
function readResults(out: string): Map<string, Result> {
  const m = new Map<string, Result>();
  for (const f of resultFiles(out)) {
    try {
      const r = JSON.parse(readFileSync(join(out, 'results', f), 'utf8')) as Result;
      m.set(r.submission.id, r);
    } catch (e) {
      console.error(`unreadable result ${f}: ${(e as Error).message}`);
    }
  }
  return m;
}

const tWall = performance.now();
const codeAtStart = codeDigest();
const scratch = mkdtempSync(join(tmpdir(), 'dlgrade-chaos-'));
chmodSync(scratch, 0o755); // the sandbox's own uid must reach the cache inside
const cache = join(scratch, 'cache'), cls = join(scratch, 'class'), outA = join(scratch, 'out-a'), outB = join(scratch, 'out-b');
const dataDir = writeTinyMnist(join(scratch, 'idx'));
const assignment = tinySiameseAssignment(scratch);
{
  const task = JSON.parse(readFileSync(join(assignment, 'assignment.json'), 'utf8')).task;
  PAIRS = task.positivesPerClass * 10 + task.negativesPerCombination * 45;
}
const kinds = generate(cls);
const ids = [...kinds.keys()];
const mix = new Map<string, number>();
for (const k of kinds.values()) mix.set(k.name, (mix.get(k.name) ?? 0) + 1);
console.log(`chaos: seed ${SEED}, ${COUNT} submissions (${[...mix].map(([k, n]) => `${k} ${n}`).join(', ')}) in ${scratch}`);

const common = (out: string) => ['grade', assignment, cls, '--out', out, '--cache-dir', cache, '--data-dir', dataDir,
  '--concurrency', '2', '--time-limit', String(TIME_LIMIT), '--memory-limit', String(MEMORY_LIMIT), '--json', '-'];
const graderPids = new Set<number>();
const runs: { run: string; pid: number; sec: number; exit: string; peakMiB: number; alreadyGraded?: number; fresh: number; resultsAtEnd: number }[] = [];
const record = (name: string, r: Run, e: { code: number | null; signal: string | null }, out: string, log: string) => {
  const row = { run: name, pid: r.pid, sec: Math.round((performance.now() - r.t0) / 100) / 10, exit: e.signal ?? String(e.code), peakMiB: r.peakMiB(), alreadyGraded: alreadyGraded(log), fresh: freshResults(log), resultsAtEnd: resultFiles(out).length };
  runs.push(row);
  console.log(`  ${name}: pid ${row.pid}, ${row.sec} s, exit ${row.exit}, ${row.alreadyGraded ?? '?'} reused + ${row.fresh} graded, ${row.resultsAtEnd} result files, grader peak ${row.peakMiB} MiB`);
  return row;
};
const normalExit = (e: { code: number | null; signal: string | null }) => e.signal === null && (e.code === 0 || e.code === 1);

// Run A: uninterrupted.
console.log('run A (uninterrupted)');
const a = launch(common(outA), join(scratch, 'a.log'));
graderPids.add(a.pid);
const exitA = await finish(a);
const rowA = record('A', a, exitA, outA, join(scratch, 'a.log'));
if (!normalExit(exitA)) {
  console.error(`run A did not finish normally (exit ${rowA.exit}); log: ${join(scratch, 'a.log')}`);
  console.error(readFileSync(join(scratch, 'a.log'), 'utf8').split('\n').filter((l) => !l.startsWith('{')).slice(-20).join('\n'));
  process.exit(1);
}
const afterA = await leftovers(cache, graderPids, 2000);

// Run B: SIGKILL at KILLS random points: after a random number of results graded by that run, plus a random delay.
console.log(`run B (SIGKILL ×${KILLS}, resumed each time)`);
const kills: { afterFresh: number; delayMs: number; killed: boolean; alreadyGraded?: number; freshAtKill: number; resultsAtKill: number; afterSec: number; leftovers: Leftovers }[] = [];
let segment = 0;
for (let k = 0; k < KILLS; k++) {
  const remaining = Math.max(1, COUNT - resultFiles(outB).length);
  const afterFresh = int(Math.min(3, remaining), Math.max(Math.min(3, remaining), Math.floor(remaining * 0.45)));
  const delayMs = int(0, 2500);
  const log = join(scratch, `b${segment + 1}.log`);
  const r = launch(common(outB), log);
  graderPids.add(r.pid);
  const how = await until(r, log, afterFresh);
  let killed = false;
  if (how === 'reached') {
    await sleep(delayMs);
    try { process.kill(r.pid, 'SIGKILL'); killed = true; } catch { /* finished meanwhile */ }
  }
  const e = await finish(r);
  killed &&= e.signal === 'SIGKILL';
  const row = record(`B${++segment}${killed ? ' (killed)' : ''}`, r, e, outB, log);
  const left = await leftovers(cache, graderPids);
  kills.push({ afterFresh, delayMs, killed, alreadyGraded: row.alreadyGraded, freshAtKill: freshResults(log), resultsAtKill: row.resultsAtEnd, afterSec: row.sec, leftovers: left });
  console.log(`    SIGKILL after ${afterFresh} fresh results + ${delayMs} ms: ${killed ? `killed with ${row.resultsAtEnd} results in out B` : 'the grader had already finished'}; 5 s later: ${describe(left)}`);
  for (const p of left.processes.slice(0, 4)) console.log(`      pid ${p.pid}: ${p.cmd}`);
  if (!killed && normalExit(e)) break;
}
let finalExit: { code: number | null; signal: string | null } = { code: null, signal: null };
let finalReused: number | undefined;
for (let attempt = 0; attempt < 5; attempt++) {
  const log = join(scratch, `b${segment + 1}.log`);
  const r = launch(common(outB), log);
  graderPids.add(r.pid);
  finalExit = await finish(r);
  finalReused = record(`B${++segment} (resumed to the end)`, r, finalExit, outB, log).alreadyGraded;
  if (normalExit(finalExit)) break;
}
const codeChanged = codeDigest() !== codeAtStart;
if (codeChanged) console.log('  NOTE: grader/ changed during this run (someone edited it), so resumed runs rightly regraded instead of reusing results');
const finalLeft = await leftovers(cache, graderPids);
console.log(`  after the final run: ${describe(finalLeft)}`);

// Compare.
const resA = readResults(outA), resB = readResults(outB);
const lostA = ids.filter((id) => !resA.has(id)), lostB = ids.filter((id) => !resB.has(id));
const strays = [...resB.keys()].filter((id) => !kinds.has(id));
const summaryB = existsSync(join(outB, 'summary.json')) ? JSON.parse(readFileSync(join(outB, 'summary.json'), 'utf8')) : undefined;
const summaryA = existsSync(join(outA, 'summary.json')) ? JSON.parse(readFileSync(join(outA, 'summary.json'), 'utf8')) : undefined;
const summaryIds: string[] = (summaryB?.results ?? []).map((r: Result) => r.submission.id);
const duplicates = summaryIds.filter((id, k) => summaryIds.indexOf(id) !== k);
const leftoverTemp = readdirSync(join(outB, 'results')).filter((f) => !f.endsWith('.json'));
const mismatches = ids.filter((id) => resA.has(id) && resB.has(id) && resA.get(id)!.verdict !== resB.get(id)!.verdict)
  .map((id) => ({ id, a: resA.get(id)!.verdict, b: resB.get(id)!.verdict }));
const scored = new Set(['PASS', 'FAIL']);
const forgedScored = [...kinds].filter(([, k]) => k.expect === 'NOT_SCORED')
  .flatMap(([id]) => [['A', resA.get(id)], ['B', resB.get(id)]] as const)
  .filter(([, r]) => r && scored.has(r.verdict)).map(([run, r]) => ({ run, id: r!.submission.id, verdict: r!.verdict }));
const unexpected = [...kinds].filter(([id, k]) => k.expect !== 'NOT_SCORED' && resA.has(id) && resA.get(id)!.verdict !== k.expect)
  .map(([id, k]) => ({ id, expected: k.expect, got: resA.get(id)!.verdict, reason: ((resA.get(id) as { reason?: string }).reason ?? '').split('\n')[0]!.slice(0, 140) }));
const processesAfterKills = kills.reduce((s, k) => s + k.leftovers.processes.length, 0);
const orphansFinal = total(finalLeft);
const wallSec = Math.round((performance.now() - tWall) / 100) / 10;
const sumCounts = (s: { counts?: Record<string, number> } | undefined) => JSON.stringify(Object.fromEntries(Object.entries(s?.counts ?? {}).sort()));

const report = {
  seed: SEED, count: COUNT, mix: Object.fromEntries(mix), timeLimitSec: TIME_LIMIT, memoryLimitMiB: MEMORY_LIMIT,
  wallSec, runs,
  kills: kills.map((k) => ({ ...k, leftovers: { processes: k.leftovers.processes.length, cgroups: k.leftovers.cgroups.length, jobDirs: k.leftovers.jobDirs.length, processList: k.leftovers.processes.slice(0, 10) } })),
  leftoversAfterRunA: { processes: afterA.processes.length, cgroups: afterA.cgroups.length, jobDirs: afterA.jobDirs.length },
  orphansFinal: { processes: finalLeft.processes.length, cgroups: finalLeft.cgroups.length, jobDirs: finalLeft.jobDirs.length, total: orphansFinal },
  lost: lostB.length, lostIds: lostB, lostInRunA: lostA.length, strayResults: strays, duplicateResultsInSummary: duplicates, tempFilesLeftInResults: leftoverTemp.length,
  summaryCountsA: summaryA?.counts, summaryCountsB: summaryB?.counts, summariesEqual: sumCounts(summaryA) === sumCounts(summaryB), reusedInFinalRun: finalReused, graderCodeChangedDuringRun: codeChanged,
  mismatches, forgedScored, unexpectedVerdictsInRunA: unexpected,
  graderPeakMiB: { A: rowA.peakMiB, B: Math.max(0, ...runs.filter((r) => r.run.startsWith('B')).map((r) => r.peakMiB)) },
};
mkdirSync(join(REPO_ROOT, 'results', 'chaos'), { recursive: true });
writeFileSync(join(REPO_ROOT, 'results', 'chaos', 'report.json'), JSON.stringify(report, null, 2) + '\n');

const rows: [string, string][] = [
  ['submissions', `${COUNT} (seed ${SEED})`],
  ['wall time', `${wallSec} s (run A ${rowA.sec} s; run B ${runs.filter((r) => r.run.startsWith('B')).reduce((s, r) => s + r.sec, 0).toFixed(1)} s in ${segment} starts)`],
  ['reused on each start of B', runs.filter((r) => r.run.startsWith('B')).map((r) => r.alreadyGraded ?? '?').join(', ') + (codeChanged ? ' (grader/ was edited during the run)' : '')],
  ['lost results', `${lostB.length}${lostA.length ? ` (run A lost ${lostA.length})` : ''}${strays.length ? `, ${strays.length} stray` : ''}${duplicates.length ? `, ${duplicates.length} duplicated` : ''}`],
  ...kills.map((k, n) => [`orphans after kill ${n + 1}`, k.killed ? describe(k.leftovers) : '(not killed: finished first)'] as [string, string]),
  ['orphans at the end', `${orphansFinal} (${describe(finalLeft)})`],
  ['verdict mismatches A/B', `${mismatches.length}${mismatches.length ? ': ' + mismatches.slice(0, 8).map((m) => `${m.id} ${m.a}→${m.b}`).join(', ') : ''}`],
  ['summary counts', `A ${sumCounts(summaryA)}${sumCounts(summaryA) === sumCounts(summaryB) ? ' = B' : ` ≠ B ${sumCounts(summaryB)}`}`],
  ['forged results scored', `${forgedScored.length}${forgedScored.length ? ': ' + forgedScored.slice(0, 6).map((f) => `${f.run}:${f.id} ${f.verdict}`).join(', ') : ''}`],
  ['unexpected verdicts (A)', `${unexpected.length}${unexpected.length ? ': ' + unexpected.slice(0, 6).map((u) => `${u.id} ${u.got}`).join(', ') : ''}`],
  ['grader peak memory', `${report.graderPeakMiB.A} MiB (A), ${report.graderPeakMiB.B} MiB (B)`],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log('\n' + rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
for (const u of unexpected.slice(0, 10)) console.log(`  unexpected: ${u.id}: ${u.got} (expected ${u.expected}) ${u.reason}`);
console.log(`report: ${join(REPO_ROOT, 'results', 'chaos', 'report.json')}`);

// Exit 1 on: a lost result, a sandbox that outlived its killed grader, anything left at the end,
// a verdict that differs from the uninterrupted run, or a forged result that got scored.
const failed = lostB.length > 0 || strays.length > 0 || duplicates.length > 0 || processesAfterKills > 0 || orphansFinal > 0
  || mismatches.length > 0 || !report.summariesEqual || forgedScored.length > 0 || !normalExit(finalExit);

sweep(finalLeft);
if (opt.keep) console.log(`kept ${scratch}`);
else {
  try { rmSync(scratch, { recursive: true, force: true }); } catch (e) { console.log(`could not remove ${scratch}: ${(e as Error).message}`); }
}
process.exit(failed ? 1 : 0);
