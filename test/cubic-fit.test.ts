// WORK1.1–1.4 end to end: each reference passes its own rubric, each weak or
// broken submission fails it for the documented reason, the starter does not pass.
// Graded on the real specs. WORK1.3 and WORK1.4, whose items are about checkpoints and saved
// artifacts, get half the training points (500 of 1,000: each of their six trained submissions does
// half the work; their references still meet the MSE item, at about 0.04 and 0.06 < 0.1); the rubric
// and the held-out points stay the real ones. WORK1.1 and WORK1.2 keep their 1,000: their MSE is
// what they check (at 500 the custom loop's reference misses the item, the Keras one nears 0.06).
// The full-size runs are `npm run acceptance`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { cubicData, mse } from '../grader/tasks/function-fit/data.ts';
import { tempDir, testSecret } from './helpers/fixtures.ts';

const cacheRoot = tempDir();
const specs = tempDir();

/** The real spec of `id`, for the checkpoint and save/restore assignments with half their training points, in a folder of its own. */
function halfTrain(id: string): string {
  if (!['cubic-fit-checkpoints', 'cubic-fit-save-restore'].includes(id)) return id;
  const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'assignments', id, 'assignment.json'), 'utf8'));
  delete spec.$schema; delete spec.statement; delete spec.starter;
  assert.is(spec.task.trainCount, 1000);
  const dir = join(specs, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...spec, task: { ...spec.task, trainCount: 500 } }));
  return dir;
}

async function grade(id: string, paths: string[]): Promise<Map<string, BatchSummary['results'][number]>> {
  const assignment = loadAssignment(halfTrain(id));
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(paths.map((p) => join(REPO_ROOT, p))), mode: 'grade', secret: testSecret(), outDir: join(cacheRoot, 'out', id),
    concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot, backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  return new Map(s.results.map((r) => [r.submission.id, r]));
}

const item = (r: BatchSummary['results'][number], id: string) => r.rubric.find((i) => i.id === id)!;

test('the cubic data is deterministic and its noise floor is what the statement says', () => {
  const spec = { coefficients: [1, -0.6, -1.2, 0.5] as [number, number, number, number], xRange: [-2, 2] as [number, number], noiseStd: 0.2, trainCount: 1000, testCount: 500 };
  const a = cubicData(spec, 1), b = cubicData(spec, 1), c = cubicData(spec, 2);
  assert.equal(a.xTest, b.xTest);
  assert.not.equal(a.xTest, c.xTest);
  const truth = a.xTest.map((x) => ((x - 0.6) * x - 1.2) * x + 0.5);
  const floor = mse(truth, a.yTest);
  assert.ok(floor > 0.03 && floor < 0.05, `noise floor ${floor}`);
});

test('WORK1.1 keras: reference passes; a straight line fails on MSE; the starter does not pass', async () => {
  const r = await grade('cubic-fit-keras', ['reference/cubic-fit-keras', 'examples/cubic-fit-keras/linear.ts', 'assignments/cubic-fit-keras/starter.ts']);
  assert.is(r.get('cubic-fit-keras')!.verdict, 'PASS', r.get('cubic-fit-keras')!.reason);
  assert.ok(r.get('cubic-fit-keras')!.metrics.mse! < 0.06);
  assert.is(r.get('linear')!.verdict, 'FAIL');
  assert.not.ok(item(r.get('linear')!, 'mse').passed);
  assert.ok(item(r.get('linear')!, 'uses-fit').passed);
  assert.is.not(r.get('starter')!.verdict, 'PASS');
});

test('WORK1.2 custom loop: reference passes with counted optimizer steps; model.fit is refused', async () => {
  const r = await grade('cubic-fit-custom-loop', ['reference/cubic-fit-custom-loop', 'examples/cubic-fit-custom-loop/uses-fit.ts', 'assignments/cubic-fit-custom-loop/starter.ts']);
  const ref = r.get('cubic-fit-custom-loop')!;
  assert.is(ref.verdict, 'PASS', ref.reason);
  assert.is(ref.metrics.optimizer_steps, 120 * 16);
  assert.is(r.get('uses-fit')!.verdict, 'BAD_SUBMISSION');
  assert.match(r.get('uses-fit')!.reason!, /model\.fit and model\.fitDataset are disabled/);
  assert.is(r.get('starter')!.verdict, 'FAIL');
  assert.is(r.get('starter')!.metrics.optimizer_steps, 0);
});

test('WORK1.3 checkpoints: the grader restores the latest checkpoint in a fresh process; one final save is not enough', async () => {
  const r = await grade('cubic-fit-checkpoints', ['reference/cubic-fit-checkpoints', 'examples/cubic-fit-checkpoints/save-at-end.ts', 'assignments/cubic-fit-checkpoints/starter.ts']);
  const ref = r.get('cubic-fit-checkpoints')!;
  assert.is(ref.verdict, 'PASS', ref.reason);
  assert.is(ref.metrics.checkpoints_written, 12);
  assert.is(ref.metrics.restore_max_abs_diff, 0);
  const weak = r.get('save-at-end')!;
  assert.is(weak.verdict, 'FAIL');
  assert.is(weak.metrics.checkpoints_written, 0, 'its one save came after fit returned');
  assert.is(weak.metrics.checkpoint_folders, 1);
  assert.is(r.get('starter')!.verdict, 'CRASH'); // restore() throws "not written yet"
  assert.match(r.get('starter')!.reason!, /restore\(\) is not written yet/);
});

test('WORK1.4 save/restore: both artifacts reload in the grader; a second whole model is not weights only', async () => {
  const r = await grade('cubic-fit-save-restore', ['reference/cubic-fit-save-restore', 'examples/cubic-fit-save-restore/whole-model-twice.ts', 'assignments/cubic-fit-save-restore/starter.ts']);
  const ref = r.get('cubic-fit-save-restore')!;
  assert.is(ref.verdict, 'PASS', ref.reason);
  assert.is(ref.metrics.weights_only, 1);
  const weak = r.get('whole-model-twice')!;
  assert.is(weak.verdict, 'FAIL');
  assert.ok(item(weak, 'model-restore').passed);
  assert.not.ok(item(weak, 'weights-only').passed);
  assert.match(weak.reason!, /verification stage: weights\/weights\.json \+ its shards do not load/);
  assert.not.match(weak.reason!, /dlgrade-test|\.dlgrade-cache/, 'no grader paths in messages');
  assert.is(r.get('starter')!.verdict, 'FAIL');
});

test.run();
