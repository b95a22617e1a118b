// What an assignment gets wrong is found when it loads (or, for what needs the
// data, when its task is prepared once per batch), never per student; a
// self-check hands the sandbox no label of an image it is evaluated on; the
// grader's own code is part of what a result was graded under.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAssignment, REPO_ROOT } from '../grader/spec/load.ts';
import { taskHost } from '../grader/tasks/hosts.ts';
import type { Mode, PreparedTask } from '../grader/tasks/types.ts';
import { readInt32s } from '../grader/tasks/shared/images.ts';
import { computeFingerprint, graderFingerprint } from '../grader/util/fingerprint.ts';
import { runEnvironment } from '../grader/report/environment.ts';
import { tempDir, testSecret, tinyImages, tinySiameseAssignment, writeTinyMnist } from './helpers/fixtures.ts';
import { drawSeed } from '../grader/spec/secret.ts';

const root = tempDir();
const N_TRAIN = 200, N_TEST = 100;
const dataDir = writeTinyMnist(join(root, 'idx'), N_TRAIN, N_TEST);
const cacheRoot = join(root, 'cache');

const errorOf = (f: () => unknown): Error => {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected an error');
};

async function prepare(dir: string, mode: Mode): Promise<PreparedTask> {
  const assignment = loadAssignment(dir);
  return taskHost(assignment.spec.task.kind, assignment.specPath).prepare({ assignment, mode, draw: drawSeed(assignment, mode, testSecret()), cacheRoot, dataDir });
}

/** Runs `code` (an ES module body) in a fresh Node with tsx, so a code path that never ends fails the test instead of hanging it. */
function inChild(code: string, timeoutMs = 30_000) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs });
  return { timedOut: r.error !== undefined || r.signal !== null, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---- Finding 1: rubric metrics, task parameters, pair counts ----

test('a rubric metric the task does not compute fails at load, naming the file and the field', () => {
  const dir = tinySiameseAssignment(root, 'misspelled', {
    rubric: [
      { id: 'auc', title: 'AUC', metric: 'auc', op: '>', threshold: 0.9, points: 1 },
      { id: 'acc', title: 'Accuracy', metric: 'acc', op: '>', threshold: 0.9, points: 1 },
    ],
  });
  const err = errorOf(() => loadAssignment(dir));
  assert.is(err.message, `${join(dir, 'assignment.json')}: rubric[1].metric "acc" is not computed by task siamese-pairs (it computes: auc, best_accuracy, threshold_accuracy, shared_embedding)`);
});

test('task parameters are checked against the task schema at load, naming the task fields', () => {
  const dir = tinySiameseAssignment(root, 'bad-params', { task: { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 0, extra: true } });
  const err = errorOf(() => loadAssignment(dir));
  assert.match(err.message, join(dir, 'assignment.json'));
  assert.match(err.message, /task\.negativesPerCombination: must be >= 1/);
  assert.match(err.message, /task: unknown field "extra"/);
  const unknown = tinySiameseAssignment(root, 'bad-kind', { task: { kind: 'siamese-pair' } });
  assert.throws(() => loadAssignment(unknown), /assignment\.json: task\.kind "siamese-pair" is not a known task/);
  // The task's defaults are filled in at load; the spec hash is what it always was.
  const ok = loadAssignment(tinySiameseAssignment(root, 'defaults', { task: { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 2 } }));
  assert.is(ok.spec.task.predictBatch, 1000);
});

test('every bundled assignment names only metrics its task computes', () => {
  for (const id of ['siamese-mnist', 'mnist-adder', 'se-lenet', 'fashion-mnist-classify', 'mobilenet-transfer', 'auto-mpg-regression', 'iris-custom-training', 'cubic-fit-keras', 'deepdream-region']) loadAssignment(id);
});

test('more distinct negative pairs than two classes allow: the siamese task fails in prepare, naming file and field (no endless loop)', () => {
  // Check split: training images 150..199, 5 per class, so 25 negative pairs per combination.
  const dir = tinySiameseAssignment(root, 'too-many-negatives', { task: { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 500, predictBatch: 50 } });
  const r = inChild(`
    import { loadAssignment } from './grader/spec/load.ts';
    import { siamesePairs } from './grader/tasks/siamese-pairs/host.ts';
    try {
      siamesePairs.prepare({ assignment: loadAssignment(${JSON.stringify(dir)}), mode: 'check', draw: '7/check', cacheRoot: ${JSON.stringify(cacheRoot)}, dataDir: ${JSON.stringify(dataDir)} });
      console.log('NO ERROR');
    } catch (e) { console.log('ERROR ' + e.message); }
  `);
  assert.not.ok(r.timedOut, 'prepare looped forever');
  assert.is(r.stdout.trim(), `ERROR ${join(dir, 'assignment.json')}: task.negativesPerCombination 500 is more than the 25 distinct pairs classes 0 and 1 allow in the check split`, r.stderr);
});

test('impossible positive counts and too few images per class name the field too', async () => {
  const pos = tinySiameseAssignment(root, 'too-many-positives', { task: { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 150, positivesPerClass: 11, negativesPerCombination: 2 } });
  const e1 = await prepare(pos, 'check').then(() => undefined, (e: Error) => e);
  assert.is(e1?.message, `${join(pos, 'assignment.json')}: task.positivesPerClass 11 is more than the 10 distinct pairs class 0 allows in the check split`);
  // Grade mode: the test split (10 per class, 45 positive pairs) is enough.
  await prepare(pos, 'grade');
  const big = tinySiameseAssignment(root, 'too-big-train', { task: { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 5000, positivesPerClass: 1, negativesPerCombination: 1 } });
  const e2 = await prepare(big, 'grade').then(() => undefined, (e: Error) => e);
  assert.is(e2?.message, `${join(big, 'assignment.json')}: task.trainCount 5000 is more than the 200 training images of mnist`);
  const tight = tinySiameseAssignment(root, 'no-check-images', { task: { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 190, positivesPerClass: 1, negativesPerCombination: 1 } });
  const e3 = await prepare(tight, 'check').then(() => undefined, (e: Error) => e);
  assert.match(e3?.message ?? '', /task\.trainCount 190 leaves 10 of the 200 training images for the self-check; it needs at least 20/);
});

// ---- Finding 2: check mode hands no label of an evaluated image ----

const firstLabels = (n: number) => Array.from(tinyImages(N_TRAIN, 1).labels.subarray(0, n));

const imageTasks: [string, Record<string, unknown>, string][] = [
  ['siamese-pairs', { dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 2, predictBatch: 50 }, 'auc'],
  ['image-classify', { dataset: 'mnist', trainCount: 150 }, 'accuracy'],
  ['mnist-adder', { dataset: 'mnist', trainCount: 150, evalPairs: 40 }, 'accuracy'],
  ['se-lenet', { dataset: 'mnist', trainCount: 150, featuresPerClass: 1 }, 'accuracy'],
  ['mobilenet-transfer', { dataset: 'mnist', base: 'mobilenet_v2', trainCount: 150, valCount: 30, epochs: 1 }, 'val_accuracy'],
];

for (const [kind, params, metric] of imageTasks) {
  test(`${kind}: in check mode the sandbox's training labels are exactly the first trainCount; grade mode is unchanged`, async () => {
    const dir = tinySiameseAssignment(root, `labels-${kind}`, { task: { kind, ...params }, rubric: [{ id: 'm', title: 'm', metric, op: '>', threshold: 0, points: 1 }] });
    const check = await prepare(dir, 'check');
    const handed = readFileSync(check.files.trainLabels!);
    assert.is(handed.length, 150, 'one label per training image, none for the evaluated ones');
    assert.equal(Array.from(handed), firstLabels(150));
    assert.is(check.files.evalImages, check.files.trainImages, 'check mode evaluates on training images…');
    for (const role of ['pairsA', 'pairsB', 'evalIdx', 'valIdx']) {
      if (!check.files[role]) continue;
      assert.ok(Array.from(readInt32s(check.files[role]!)).every((i) => i >= 150), `…past trainCount only (${role})`);
    }
    const grade = await prepare(dir, 'grade');
    assert.is(readFileSync(grade.files.trainLabels!).length, N_TRAIN, 'grade mode evaluates on the test split and keeps the whole training-labels file');
  });
}

test('se-lenet: a self-check does not evaluate on the feature images, whose request order gives their classes away', async () => {
  const dir = tinySiameseAssignment(root, 'se-features', { task: { kind: 'se-lenet', dataset: 'mnist', trainCount: 150, featuresPerClass: 2 }, rubric: [{ id: 'm', title: 'm', metric: 'accuracy', op: '>', threshold: 0, points: 1 }] });
  const check = await prepare(dir, 'check');
  const features = new Set(readInt32s(check.files.featureIdx!));
  const evaluated = Array.from(readInt32s(check.files.evalIdx!));
  assert.is(evaluated.length, 50 - 20);
  assert.ok(evaluated.every((i) => !features.has(i)));
  assert.is(readInt32s((await prepare(dir, 'grade')).files.evalIdx!).length, N_TEST);
});

test('tabular: the self-check evaluates on graded training rows and hands out no target of them; grade hands out no test target', async () => {
  const dir = tinySiameseAssignment(root, 'iris-split', { task: { kind: 'tabular', dataset: 'iris', testFraction: 0.2, variant: 'fit' }, rubric: [{ id: 'm', title: 'm', metric: 'accuracy', op: '>', threshold: 0, points: 1 }] });
  const assignment = loadAssignment(dir);
  const prep = (mode: Mode) => taskHost('tabular', assignment.specPath).prepare({ assignment, mode, draw: drawSeed(assignment, mode, testSecret()), cacheRoot }) as PreparedTask;
  const grade = prep('grade'), check = prep('check');
  for (const t of [grade, check]) {
    assert.equal(t.files, {}, 'no files');
    assert.equal(Object.keys(t.params).sort(), ['classes', 'columns', 'variant', 'xTest', 'xTrain', 'yTrain'], 'targets of training rows only');
    assert.is((t.params.xTrain as unknown[]).length, (t.params.yTrain as unknown[]).length);
  }
  const n = (t: PreparedTask, k: string) => (t.params[k] as unknown[]).length;
  assert.is(n(check, 'xTrain') + n(check, 'xTest'), n(grade, 'xTrain'), 'the self-check splits as many rows as grade trains on (a public split; grade\'s is secret)');
});

// ---- Finding 3: the grader's own code is part of the resume key ----

test('graderFingerprint changes with a grader file, the version or the lockfile; cached per root', () => {
  const copy = (name: string) => {
    const d = join(tempDir(), name);
    mkdirSync(d, { recursive: true });
    cpSync(join(REPO_ROOT, 'package.json'), join(d, 'package.json'));
    cpSync(join(REPO_ROOT, 'package-lock.json'), join(d, 'package-lock.json'));
    cpSync(join(REPO_ROOT, 'grader'), join(d, 'grader'), { recursive: true });
    return d;
  };
  const a = copy('a'), b = copy('b');
  const fa = graderFingerprint(a);
  assert.match(fa, /^[0-9a-f]{64}$/);
  assert.is(computeFingerprint(b), fa, 'same files, same fingerprint, wherever they are');
  const auc = join(b, 'grader/metrics/auc.ts');
  writeFileSync(auc, readFileSync(auc, 'utf8') + '\n// a scoring fix\n');
  assert.is.not(computeFingerprint(b), fa);
  writeFileSync(join(b, 'grader/metrics/new.ts'), '');
  const withNew = computeFingerprint(b);
  const pkg = JSON.parse(readFileSync(join(a, 'package.json'), 'utf8'));
  writeFileSync(join(a, 'package.json'), JSON.stringify({ ...pkg, version: '9.9.9' }));
  assert.is(graderFingerprint(a), fa, 'computed once per process');
  assert.is.not(computeFingerprint(a), fa);
  assert.is.not(withNew, computeFingerprint(a));
  assert.is(runEnvironment({} as never).graderHash, graderFingerprint());
});

test.run();
