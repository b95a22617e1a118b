// The instructor's grading secret: where it comes from (created 0600 on first
// use, $DLGRADE_SECRET, --secret-file), what it refuses, and what it changes.
// Grade-mode draws follow the secret; check-mode draws do not. A cubic
// submission that writes down the statement's coefficients fails in grade
// mode while the trained reference passes; the tabular hold-out cannot be
// recomputed from the public seed; results name the secret, and another secret
// is another resume key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { defaultSecretFile, drawSeed, resolveSecret, SecretError, type Secret } from '../grader/spec/secret.ts';
import { taskHost } from '../grader/tasks/hosts.ts';
import { cubic, cubicData } from '../grader/tasks/function-fit/data.ts';
import { holdOut } from '../grader/tasks/tabular/host.ts';
import { loadTabular } from '../grader/data/tabular.ts';
import type { Mode, PreparedTask } from '../grader/tasks/types.ts';
import { readInt32s } from '../grader/tasks/shared/images.ts';
import { sha256 } from '../grader/util/fs.ts';
import { cliBatch } from './helpers/cli-batch.ts';
import { tempDir, testSecret, tinySiameseAssignment, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
const A = testSecret('secret-A-0123456789abcdef'), B = testSecret('secret-B-0123456789abcdef');

const errorOf = (f: () => unknown): Error => {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected an error');
};
const noLog = () => { throw new Error('unexpected message'); };

// ---- where the secret comes from ----

test('the default secret file is created on first use: 32 random bytes, mode 0600, one line saying where', () => {
  const config = join(root, 'config-1');
  const lines: string[] = [];
  const s = resolveSecret({ env: { XDG_CONFIG_HOME: config, HOME: join(root, 'home') }, log: (l) => lines.push(l) });
  const file = join(config, 'dlgrade', 'secret');
  assert.is(s.source, file);
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.is(statSync(join(config, 'dlgrade')).mode & 0o077, 0, 'its folder is private too');
  assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
  assert.is(s.key.toString(), readFileSync(file, 'utf8').trim());
  assert.is(s.id, sha256(s.key).slice(0, 16));
  assert.is(lines.length, 1);
  assert.ok(lines[0]!.includes(`created a new grading secret in ${file}`), lines[0]);
  assert.match(lines[0]!, /can only be reproduced with it: keep it private, back it up/);
  // Second use: the same secret, silently.
  const again = resolveSecret({ env: { XDG_CONFIG_HOME: config }, log: noLog });
  assert.equal(again.key, s.key);
  // Without XDG_CONFIG_HOME: ~/.config/dlgrade/secret.
  assert.is(defaultSecretFile({ HOME: '/home/x' }), '/home/x/.config/dlgrade/secret');
});

test('$DLGRADE_SECRET is the secret itself; --secret-file wins over it; the same text gives the same key either way', () => {
  const config = join(root, 'config-2');
  const s = resolveSecret({ env: { DLGRADE_SECRET: 'a-long-enough-class-secret', XDG_CONFIG_HOME: config }, log: noLog });
  assert.is(s.source, '$DLGRADE_SECRET');
  assert.is(s.key.toString(), 'a-long-enough-class-secret');
  assert.not.ok(existsSync(join(config, 'dlgrade')), 'no file is created when the environment gives the secret');
  const file = join(root, 'class-secret');
  writeFileSync(file, 'a-long-enough-class-secret\n', { mode: 0o600 });
  const f = resolveSecret({ secretFile: file, env: { DLGRADE_SECRET: 'another-long-enough-secret' }, log: noLog });
  assert.is(f.source, file);
  assert.is(f.id, s.id, 'a trailing newline is not part of the secret');
});

test('a short, empty, world-readable, missing or in-repository secret is a clear error naming where it came from', () => {
  const short = errorOf(() => resolveSecret({ env: { DLGRADE_SECRET: 'too-short' } }));
  assert.instance(short, SecretError);
  assert.is(short.message, '$DLGRADE_SECRET: the grading secret must be at least 16 characters, got 9');
  assert.match(errorOf(() => resolveSecret({ env: { DLGRADE_SECRET: '' } })).message, /\$DLGRADE_SECRET is set but empty/);
  const file = (name: string, content: string, mode = 0o600) => {
    const p = join(root, name);
    writeFileSync(p, content, { mode });
    chmodSync(p, mode);
    return p;
  };
  const empty = file('empty-secret', '\n');
  assert.is(errorOf(() => resolveSecret({ secretFile: empty })).message, `${empty}: the grading secret file is empty`);
  const tiny = file('tiny-secret', 'abc');
  assert.is(errorOf(() => resolveSecret({ secretFile: tiny })).message, `${tiny}: the grading secret must be at least 16 characters, got 3`);
  const open = file('open-secret', 'x'.repeat(64), 0o644);
  assert.is(errorOf(() => resolveSecret({ secretFile: open })).message, `${open}: the grading secret is readable or writable by every user (mode 644); run: chmod 600 ${open}`);
  const missing = join(root, 'no-such-secret');
  assert.match(errorOf(() => resolveSecret({ secretFile: missing })).message, new RegExp(`^${missing}: no such grading secret file \\(--secret-file is never created`));
  assert.not.ok(existsSync(missing), 'a mistyped --secret-file never becomes a new secret');
  const dir = join(root, 'a-folder');
  mkdirSync(dir, { mode: 0o700 });
  assert.is(errorOf(() => resolveSecret({ secretFile: dir })).message, `${dir}: the grading secret must be a regular file`);
  const inRepo = errorOf(() => resolveSecret({ secretFile: join(REPO_ROOT, 'secret'), forbiddenDirs: [REPO_ROOT] }));
  assert.match(inRepo.message, /must not be inside/);
  const inCache = errorOf(() => resolveSecret({ env: { XDG_CONFIG_HOME: join(root, 'cache', 'cfg') }, forbiddenDirs: [join(root, 'cache')] }));
  assert.match(inCache.message, /must not be inside/);
  assert.not.ok(existsSync(join(root, 'cache', 'cfg')), 'nothing created where the sandbox may read');
});

// ---- what it draws ----

const dataDir = writeTinyMnist(join(root, 'idx'), 200, 100);
const cacheRoot = join(root, 'cache');

async function prepare(dir: string, mode: Mode, secret?: Secret): Promise<PreparedTask> {
  const assignment = loadAssignment(dir);
  return taskHost(assignment.spec.task.kind, assignment.specPath).prepare({ assignment, mode, draw: drawSeed(assignment, mode, secret), cacheRoot, dataDir });
}

test('draw seeds: grade is an HMAC of the secret (equal for one secret, different for two); check is the public seed whatever the secret', () => {
  const a = loadAssignment('cubic-fit-keras');
  assert.is(drawSeed(a, 'grade', A), drawSeed(a, 'grade', testSecret('secret-A-0123456789abcdef')));
  assert.is.not(drawSeed(a, 'grade', A), drawSeed(a, 'grade', B));
  assert.match(drawSeed(a, 'grade', A), /^[0-9a-f]{64}$/);
  assert.not.ok(drawSeed(a, 'grade', A).includes(String(a.spec.seed)));
  assert.is.not(drawSeed(a, 'grade', A), drawSeed(loadAssignment('cubic-fit-custom-loop'), 'grade', A), 'each assignment its own draw');
  assert.is(drawSeed(a, 'check'), `${a.spec.seed}/check`);
  assert.is(drawSeed(a, 'check', A), drawSeed(a, 'check', B));
  assert.throws(() => drawSeed(a, 'grade'), /grading cubic-fit-keras needs the grading secret/);
});

test('pair and image subsets: grade draws follow the secret; check draws do not', async () => {
  const tasks: [string, Record<string, unknown>, string, string][] = [
    ['siamese-pairs', { dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 2, predictBatch: 50 }, 'auc', 'pairsA'],
    ['mnist-adder', { dataset: 'mnist', trainCount: 150, evalPairs: 40 }, 'accuracy', 'pairsA'],
    ['se-lenet', { dataset: 'mnist', trainCount: 150, featuresPerClass: 1 }, 'accuracy', 'featureIdx'],
  ];
  for (const [kind, params, metric, role] of tasks) {
    const dir = tinySiameseAssignment(root, `draws-${kind}`, { task: { kind, ...params }, rubric: [{ id: 'm', title: 'm', metric, op: '>', threshold: 0, points: 1, evidence: 'measured' }] });
    const idx = async (mode: Mode, s?: Secret) => Array.from(readInt32s((await prepare(dir, mode, s)).files[role]!));
    const gradeA = await idx('grade', A), gradeA2 = await idx('grade', A), gradeB = await idx('grade', B);
    assert.equal(gradeA, gradeA2, `${kind}: one secret, one draw`);
    assert.not.equal(gradeA, gradeB, `${kind}: another secret, another draw`);
    assert.equal(await idx('check', A), await idx('check', B), `${kind}: check ignores the secret`);
  }
});

test('cubic: grade draws the grader\'s cubic, training and held-out points from the secret; check is what it always was', async () => {
  const a = loadAssignment('cubic-fit-keras');
  const p = a.spec.task as unknown as Parameters<typeof cubicData>[0];
  const prep = (mode: Mode, s?: Secret) => taskHost('function-fit', a.specPath).prepare({ assignment: a, mode, draw: drawSeed(a, mode, s), cacheRoot }) as PreparedTask;
  const gA = prep('grade', A), gB = prep('grade', B);
  assert.equal(gA.params, prep('grade', A).params);
  assert.not.equal(gA.params.xTest, gB.params.xTest);
  assert.not.equal(gA.params.xTrain, gB.params.xTrain);
  // Check mode: training points from the public seed, held-out points from "<seed>/check", the statement's cubic.
  const check = prep('check', A);
  assert.equal(check.params, prep('check', B).params);
  assert.equal(check.params.xTrain, cubicData(p, a.spec.seed).xTrain);
  assert.equal(check.params.yTrain, cubicData(p, a.spec.seed).yTrain);
  assert.equal(check.params.xTest, cubicData(p, `${a.spec.seed}/check`).xTest);
  assert.not.ok(JSON.stringify(gA.params).includes(drawSeed(a, 'grade', A)), 'the draw seed never reaches the sandbox');
  // The statement's coefficients, written down, miss the MSE threshold in grade mode whatever the secret
  // (and pass in check mode, where the statement's cubic is the truth).
  const threshold = a.spec.rubric.find((r) => r.metric === 'mse')!.threshold;
  const hardcoded = (t: PreparedTask) => t.score({ predictions: (t.params.xTest as number[]).map((x) => cubic(p.coefficients, x)), fitCalls: 1 }).mse!;
  assert.ok(hardcoded(check) < threshold, `check: ${hardcoded(check)}`);
  for (let i = 0; i < 50; i++) {
    const mse = hardcoded(prep('grade', testSecret(`many-secrets-${i}-0123456789`)));
    assert.ok(mse > 2 * threshold, `secret ${i}: the statement's cubic scores MSE ${mse}`);
  }
  // The grader's cubic is near the statement's: a least-squares cubic through its training points is within ±0.3.
  const fit = leastSquaresCubic(gA.params.xTrain as number[], gA.params.yTrain as number[]);
  fit.forEach((c, i) => assert.ok(Math.abs(c - p.coefficients[i]!) < 0.3 + 0.05, `coefficient ${i}: ${c} vs ${p.coefficients[i]}`));
  assert.not.match(JSON.stringify(gA.dataset), /\d\.\d{5}/, 'results do not give away the grader\'s coefficients');
});

test('tabular: the graded hold-out is secret-seeded (not the public seed\'s), its training rows follow; check is what it always was', () => {
  for (const id of ['iris-custom-training', 'auto-mpg-regression']) {
    const a = loadAssignment(id);
    const p = a.spec.task as unknown as { dataset: 'iris' | 'auto-mpg'; testFraction: number };
    const table = loadTabular(p.dataset);
    const k = table.classes?.length ?? 0;
    const prep = (mode: Mode, s?: Secret) => taskHost('tabular', a.specPath).prepare({ assignment: a, mode, draw: drawSeed(a, mode, s), cacheRoot }) as PreparedTask;
    const rowsOf = (xs: unknown) => (xs as number[][]).map((x) => table.x.findIndex((r) => r.every((v, j) => v === x[j]))).sort((m, n) => m - n);
    const gradedA = rowsOf(prep('grade', A).params.xTest), gradedB = rowsOf(prep('grade', B).params.xTest);
    assert.equal(rowsOf(prep('grade', A).params.xTest), gradedA);
    assert.not.equal(gradedA, gradedB, `${id}: another secret, another hold-out`);
    // Whatever a submission can compute from the public seed is not the graded hold-out.
    for (const guess of [String(a.spec.seed), `${a.spec.seed}/grade`, `${a.spec.seed}/check`, `${a.spec.seed}`]) {
      for (const byTarget of [false, true]) {
        const guessed = holdOut(table.y, k, p.testFraction, guess, byTarget).test;
        const overlap = guessed.filter((i) => gradedA.includes(i)).length;
        assert.ok(overlap < gradedA.length * 0.5, `${id}: the seed "${guess}" recovers ${overlap} of ${gradedA.length} graded rows`);
      }
    }
    const { xTrain, xTest } = prep('grade', A).params as { xTrain: number[][]; xTest: number[][] };
    assert.is(xTrain.length + xTest.length, table.x.length, 'the training rows handed out are the rest');
    assert.not.equal(rowsOf(xTrain), rowsOf(prep('grade', B).params.xTrain), 'and change with the secret');
    // Check: a public split of the public seed's training rows, as always, whatever the secret.
    const outer = holdOut(table.y, k, p.testFraction, String(a.spec.seed));
    const inner = holdOut(outer.train.map((i) => table.y[i]!), k, p.testFraction, `${a.spec.seed}/check`);
    assert.equal(rowsOf(prep('check', A).params.xTest), inner.test.map((j) => outer.train[j]!).sort((m, n) => m - n));
    assert.equal(prep('check', A).params, prep('check', B).params);
  }
});

// ---- the real pipeline ----

const results = join(root, 'out');

async function grade(id: string, paths: string[], mode: Mode, secret: Secret | undefined, out: string, resume = false): Promise<BatchSummary> {
  const assignment = loadAssignment(id);
  return runBatch({
    assignment, submissions: discoverSubmissions(paths), mode, secret, outDir: out,
    concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot, backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume, reporter: quietReporter(),
  });
}

/** The cheat: the statement's cubic, written down; one token model.fit call for the "uses fit" item. */
function hardcodedCubic(): string {
  const c = (loadAssignment('cubic-fit-keras').spec.task as unknown as { coefficients: number[] }).coefficients;
  return writeSubmission(join(root, 'class'), 'hardcoded.ts', `import * as tf from '@tensorflow/tfjs';
const C = ${JSON.stringify(c)}; // copied from assignments/cubic-fit-keras/assignment.json
export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 1, verbose: 0 });
  return model;
}
export async function predict(_model: unknown, x: tf.Tensor2D) {
  return tf.tidy(() => x.pow(3).mul(C[0]).add(x.square().mul(C[1])).add(x.mul(C[2])).add(C[3]));
}
`);
}

// The trained reference PASSes in grade mode (a secret's draw, MSE < 0.06): test/cubic-fit.test.ts, WORK1.1.
test('cubic-fit-keras end to end: the hardcoded statement cubic FAILs MSE in grade mode', async () => {
  const cheat = hardcodedCubic();
  // Graded into the folder the next test resumes from.
  const s = await grade('cubic-fit-keras', [cheat], 'grade', A, join(results, 'resume'));
  const bad = s.results[0]!;
  assert.is(bad.submission.id, 'hardcoded');
  assert.is(bad.verdict, 'FAIL', bad.reason);
  assert.not.ok(bad.rubric.find((i) => i.metric === 'mse')!.passed);
  assert.ok(bad.metrics.mse! > 0.2, `hardcoded MSE ${bad.metrics.mse}`);
  assert.is(bad.dataset.drawId, A.id, 'the result names the secret');
  // The self-check (public draw, the statement's cubic) cannot tell: the cheat passes there, as before.
  const c = await grade('cubic-fit-keras', [cheat], 'check', undefined, join(results, 'keras-check'));
  assert.is(c.results[0]!.verdict, 'PASS', c.results[0]!.reason);
  assert.is(c.results[0]!.dataset.drawId, 'public');
});

test('grade mode needs a secret; results carry its id; another secret invalidates the resume key', async () => {
  const cheat = hardcodedCubic();
  const out = join(results, 'resume');
  await grade('cubic-fit-keras', [cheat], 'grade', undefined, join(results, 'no-secret')).then(
    () => assert.unreachable('graded without a secret'),
    (e: Error) => assert.match(e.message, /needs the grading secret/),
  );
  // Graded by the previous test, with secret A, into this folder.
  const onDisk = JSON.parse(readFileSync(join(out, 'results', 'hardcoded.json'), 'utf8'));
  assert.is(onDisk.submission.id, 'hardcoded');
  assert.is(onDisk.dataset.drawId, A.id);
  assert.not.ok(JSON.stringify(onDisk).includes(A.key.toString()), 'the secret itself is never written');
  const same = await grade('cubic-fit-keras', [cheat], 'grade', A, out, true);
  assert.is(same.reused, 1, 'same secret: the result is reused');
  const other = await grade('cubic-fit-keras', [cheat], 'grade', B, out, true);
  assert.is(other.reused, 0, 'another secret: graded again');
  assert.is(other.results[0]!.dataset.drawId, B.id);
  assert.is.not(other.results[0]!.gradingKey, onDisk.gradingKey);
  assert.is.not(other.results[0]!.metrics.mse, onDisk.metrics.mse);
});

test('CLI: grade creates the default secret on first use and says so; a short $DLGRADE_SECRET and check --secret-file are usage errors', () => {
  const cheat = hardcodedCubic();
  const config = join(root, 'cli-config');
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', XDG_CONFIG_HOME: config };
  delete env.DLGRADE_SECRET;
  const cli = (args: string[], e = env) => spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root, env: e });
  const args = ['grade', 'cubic-fit-keras', cheat, '--out', join(root, 'cli-out'), '--cache-dir', cacheRoot, '-q'];
  // One process for the calls that share an environment (the secret is created by the first).
  const [r1, r2, check, help] = cliBatch([
    { args },
    { args },
    { args: ['check', 'cubic-fit-keras', cheat, '--secret-file', join(config, 'dlgrade', 'secret'), '--cache-dir', cacheRoot] },
    { args: ['--help'] },
  ], { cwd: root, env }).map((x) => ({ status: x.code, stdout: x.out, stderr: x.err }));
  assert.is(r1!.status, 1, r1!.stderr);
  const file = join(config, 'dlgrade', 'secret');
  assert.ok(r1!.stderr.includes(`dlgrade: created a new grading secret in ${file}`), r1!.stderr);
  assert.is(statSync(file).mode & 0o777, 0o600);
  const id = sha256(readFileSync(file, 'utf8').trim()).slice(0, 16);
  assert.is(JSON.parse(readFileSync(join(root, 'cli-out', 'results', 'hardcoded.json'), 'utf8')).dataset.drawId, id);
  assert.is(r2!.status, 1, r2!.stderr);
  assert.not.match(r2!.stderr, /created a new grading secret/);
  const short = cli(args, { ...env, DLGRADE_SECRET: 'short' });
  assert.is(short.status, 2);
  assert.match(short.stderr, /\$DLGRADE_SECRET: the grading secret must be at least 16 characters, got 5/);
  assert.is(check!.status, 2);
  assert.match(check!.stderr, /--secret-file is for grade; check draws from the public seed/);
  assert.match(help!.stdout, /--secret-file <path>/);
});

/** Least-squares cubic (normal equations, Gaussian elimination): [c3, c2, c1, c0]. */
function leastSquaresCubic(xs: number[], ys: number[]): number[] {
  const m = Array.from({ length: 4 }, () => new Array(5).fill(0));
  xs.forEach((x, n) => {
    const f = [x ** 3, x ** 2, x, 1];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) m[i]![j] += f[i]! * f[j]!;
      m[i]![4] += f[i]! * ys[n]!;
    }
  });
  for (let i = 0; i < 4; i++) {
    for (let r = i + 1; r < 4; r++) {
      const f = m[r]![i] / m[i]![i];
      for (let c = i; c < 5; c++) m[r]![c] -= f * m[i]![c];
    }
  }
  const out = new Array(4).fill(0);
  for (let i = 3; i >= 0; i--) out[i] = (m[i]![4] - [0, 1, 2, 3].slice(i + 1).reduce((s, j) => s + m[i]![j] * out[j], 0)) / m[i]![i];
  return out;
}

test.run();
