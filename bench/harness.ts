// Harness benchmarks: what grading costs beyond the submission's own work,
// and how many submissions an instructor grades per hour on this machine.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { defaultCacheRoot, effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { secretFromValue } from '../grader/spec/secret.ts';

const TRIVIAL = `import * as tf from '@tensorflow/tfjs';
export async function train() { return null; }
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
`;

/** Embedding nets of the two small classes: the CNN the assignment asks for, and the cheapest real trainer. */
const NETS = {
  conv: `tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, activation: 'relu' }), tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 12, kernelSize: 5, activation: 'relu' }), tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(), tf.layers.dense({ units: 64, activation: 'relu' }), tf.layers.dense({ units: 16 })`,
  mlp: `tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 64, activation: 'relu' }), tf.layers.dense({ units: 16 })`,
};
export type ClassKind = keyof typeof NETS;

/** A small real siamese trainer: contrastive loss on balanced pair batches of 64, a custom loop of `steps` steps. */
export const SMALL = (steps: number, kind: ClassKind) => `import * as tf from '@tensorflow/tfjs';
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const net = tf.sequential({ layers: [${NETS[kind]}] });
  const opt = tf.train.adam(1e-3);
  const lab = await labels.data();
  const by: number[][] = Array.from({ length: 10 }, () => []);
  lab.forEach((d, i) => by[d]!.push(i));
  const pick = (d: number) => by[d]![Math.floor(Math.random() * by[d]!.length)]!;
  for (let s = 0; s < ${steps}; s++) {
    const ia: number[] = [], ib: number[] = [], y: number[] = [];
    for (let i = 0; i < 64; i++) { const d = i % 10, e = i % 2 ? (d + 1 + (i % 9)) % 10 : d; ia.push(pick(d)); ib.push(pick(e)); y.push(i % 2); }
    opt.minimize(() => {
      const d = (net.apply(tf.gather(images, ia)) as tf.Tensor).sub(net.apply(tf.gather(images, ib)) as tf.Tensor).square().sum(1).add(1e-6).sqrt();
      const t = tf.tensor1d(y);
      return tf.scalar(1).sub(t).mul(d.square()).add(t.mul(tf.relu(tf.scalar(1).sub(d)).square())).mean() as tf.Scalar;
    });
  }
  return net;
}
export async function distance(net: tf.Sequential, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => (net.predict(a) as tf.Tensor).sub(net.predict(b) as tf.Tensor).square().sum(1).sqrt());
}
`;

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function classOf(n: number, code: string): string {
  const dir = scratch('dlgrade-bench-');
  chmodSync(dir, 0o755);
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `student-${String(i).padStart(2, '0')}.ts`), code.replace('export async function train', `// student ${i}\nexport async function train`));
  return dir;
}

export async function grade(dir: string | string[], concurrency: number, assignmentId = 'siamese-mnist'): Promise<BatchSummary> {
  const assignment = loadAssignment(assignmentId);
  const out = scratch('dlgrade-bench-out-');
  return runBatch({
    assignment, submissions: discoverSubmissions(Array.isArray(dir) ? dir : [dir]), mode: 'grade', secret: secretFromValue('dlgrade-bench-secret-not-for-grading', 'bench'), outDir: out, concurrency,
    limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: defaultCacheRoot(),
    backend: 'auto', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const wall = (r: BatchSummary['results'][number]) => (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;

/** Busy CPU time of the whole machine (all cores, seconds), from /proc/stat; undefined elsewhere. */
function machineBusySec(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / 100; // all but idle and iowait, in USER_HZ
  } catch {
    return undefined;
  }
}

export interface BatchRun { sec: number; perHour: number; busyCores?: number; medianSubmissionSec: number }
export interface BatchBench { kind: ClassKind; steps: number; submissions: number; c1: BatchRun; c2: BatchRun; ratio: number }

export interface HarnessBench {
  /** Medians over trivial submissions graded one at a time: wall = everything the grader spends on one (spawn, compile, backend, data, 17,000 predictions, scoring). */
  overhead: { submissions: number; wallSec: number; harnessSec: number; compileSec: number; startupSec: number; firstWallSec: number };
  batches: BatchBench[];
}

async function timedBatch(dir: string, concurrency: number, size: number): Promise<BatchRun> {
  const b0 = machineBusySec();
  const s = await grade(dir, concurrency);
  const b1 = machineBusySec();
  return {
    sec: s.elapsedSec,
    perHour: (3600 * size) / s.elapsedSec,
    // How many cores the batch kept busy on average (the machine's, so other load shows up too).
    ...(b0 !== undefined && b1 !== undefined ? { busyCores: (b1 - b0) / s.elapsedSec } : {}),
    medianSubmissionSec: median(s.results.map((r) => r.usage.elapsedSec)),
  };
}

/** One class of `size` identical small trainers, graded at concurrency 1 then 2. */
export async function benchBatch(kind: ClassKind, steps: number, size = 20): Promise<BatchBench> {
  const cls = classOf(size, SMALL(steps, kind));
  const c1 = await timedBatch(cls, 1, size);
  const c2 = await timedBatch(cls, 2, size);
  return { kind, steps, submissions: size, c1, c2, ratio: c2.sec / c1.sec };
}

export async function benchHarness(opts: { overheadRuns?: number; classSize?: number } = {}): Promise<HarnessBench> {
  const n = opts.overheadRuns ?? 5;
  const trivial = await grade(classOf(n, TRIVIAL), 1);
  const rs = trivial.results;
  const overhead = {
    submissions: n,
    wallSec: median(rs.map(wall)),
    harnessSec: median(rs.map((r) => r.usage.harnessSec)),
    compileSec: median(rs.map((r) => r.usage.compileSec)),
    startupSec: median(rs.map((r) => r.usage.startupSec ?? 0)),
    firstWallSec: wall(rs[0]!), // includes starting the pool's worker thread
  };
  // The class the assignment asks for (small CNN embeddings, ~5 s each), then the shortest real jobs (~1 s each),
  // where V8's own background threads bound the ratio (see bench/index.ts).
  const batches = [await benchBatch('conv', 100, opts.classSize), await benchBatch('mlp', 150, opts.classSize)];
  return { overhead, batches };
}

export interface ReferenceBench { assignment: string; verdict: string; metrics: Record<string, number>; elapsedSec: number; peakMiB: number; backend: string }

/** Grades an assignment's reference solution for real and reports its metric, time and memory. */
export async function benchReference(assignmentId: string): Promise<ReferenceBench> {
  const s = await grade(join(REPO_ROOT, 'reference', assignmentId), 1, assignmentId);
  const r = s.results[0]!;
  return { assignment: assignmentId, verdict: r.verdict + (r.reason ? `: ${r.reason.split('\n')[0]}` : ''), metrics: r.metrics, elapsedSec: r.usage.elapsedSec, peakMiB: r.usage.peakMiB, backend: r.environment.backend?.name ?? '?' };
}
