// Notes 001 labs 4 and 9: the tabular loaders on the real package files and
// on bad files, the seeded stratified hold-out, and both assignments graded
// end to end (their full data is small, so this is the acceptance run too).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTabular } from '../grader/data/tabular.ts';
import { holdOut } from '../grader/tasks/tabular/host.ts';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { tempDir, testSecret } from './helpers/fixtures.ts';

const root = tempDir();

test('Auto MPG and Iris load from their npm packages: the rows the tutorials use', () => {
  const cars = loadTabular('auto-mpg');
  assert.is(cars.x.length, 392); // 398 cars, 6 without horsepower
  assert.is(cars.columns.length, 9);
  assert.ok(cars.x.every((r) => r.length === 9 && r.slice(6).reduce((a, b) => a + b) === 1), 'one-hot origin');
  assert.ok(cars.y.every((v) => v > 5 && v < 50));
  const iris = loadTabular('iris');
  assert.is(iris.x.length, 150);
  assert.equal(iris.classes, ['setosa', 'versicolor', 'virginica']);
  assert.equal([0, 1, 2].map((c) => iris.y.filter((y) => y === c).length), [50, 50, 50]);
  assert.match(iris.checksum, /^[0-9a-f]{64}$/);
});

test('a bad file in --data-dir is a clear error naming the file and the row', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'iris.json'), JSON.stringify([[5.1, 3.5, 1.4, 0.2, 'setosa'], [4.9, 'x', 1.4, 0.2, 'setosa']]));
  assert.throws(() => loadTabular('iris', dir), (e: Error) => e.message.includes(join(dir, 'iris.json')) && /row 1 is not \[4 numbers, species\]/.test(e.message));
  writeFileSync(join(dir, 'cars.json'), '{ not json');
  assert.throws(() => loadTabular('auto-mpg', dir), /cars\.json: not valid JSON/);
  assert.throws(() => loadTabular('iris', join(dir, 'missing')), /iris\.json: not found/);
});

test('the hold-out is seeded, disjoint, and stratified for classes', () => {
  const y = loadTabular('iris').y;
  const a = holdOut(y, 3, 0.2, 's'), b = holdOut(y, 3, 0.2, 's'), c = holdOut(y, 3, 0.2, 't');
  assert.equal(a, b);
  assert.not.equal(a.test, c.test);
  assert.is(a.test.length + a.train.length, 150);
  assert.is(new Set([...a.test, ...a.train]).size, 150);
  assert.equal([0, 1, 2].map((k) => a.test.filter((i) => y[i] === k).length), [10, 10, 10]);
});

async function grade(id: string, paths: string[]): Promise<Map<string, BatchSummary['results'][number]>> {
  const assignment = loadAssignment(id);
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(paths.map((p) => join(REPO_ROOT, p))), mode: 'grade', secret: testSecret(), outDir: join(root, 'out', id),
    concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  return new Map(s.results.map((r) => [r.submission.id, r]));
}

test('lab 4 auto-mpg-regression: the reference passes on MAE; unnormalised features fail; the starter does not pass', async () => {
  const r = await grade('auto-mpg-regression', ['reference/auto-mpg-regression', 'examples/auto-mpg-regression/unnormalised.ts', 'assignments/auto-mpg-regression/starter.ts']);
  const ref = r.get('auto-mpg-regression')!;
  assert.is(ref.verdict, 'PASS', ref.reason);
  assert.ok(ref.metrics.mae! < 3 && ref.metrics.fit_calls === 1);
  assert.is(ref.dataset.checksum, loadTabular('auto-mpg').checksum);
  assert.is(r.get('unnormalised')!.verdict, 'FAIL');
  assert.ok(r.get('unnormalised')!.metrics.mae! > 5);
  assert.is(r.get('starter')!.verdict, 'CRASH');
});

test('lab 9 iris-custom-training: the hand-written loop passes; model.fit is refused; one step is not enough', async () => {
  const r = await grade('iris-custom-training', ['reference/iris-custom-training', 'examples/iris-custom-training/uses-fit.ts', 'examples/iris-custom-training/one-step.ts']);
  const ref = r.get('iris-custom-training')!;
  assert.is(ref.verdict, 'PASS', ref.reason);
  assert.is(ref.metrics.optimizer_steps, 100 * 4); // 100 epochs of ⌈120 / 32⌉ batches
  assert.is(r.get('uses-fit')!.verdict, 'BAD_SUBMISSION');
  assert.match(r.get('uses-fit')!.reason!, /model\.fit and model\.fitDataset are disabled/);
  const weak = r.get('one-step')!;
  assert.is(weak.verdict, 'FAIL');
  assert.is(weak.metrics.optimizer_steps, 1);
  assert.ok(weak.rubric.find((i) => i.id === 'steps')!.passed && !weak.rubric.find((i) => i.id === 'accuracy')!.passed);
});

test.run();
