// triplet-oneshot (course notes 004, C4_W4) end to end on a small synthetic
// MNIST: the real spec (siamese-pairs with class subsets, a threshold and the
// saved triplet model) with smaller counts, graded through the sandbox on
// wasm. The reference trains its triplet model for real on six of the eight
// digits, chooses its threshold on the two it held out, and passes every
// item; a submission that trains nothing proves the sandbox got only the
// eight training classes, and fails the shared item for want of a saved
// triplet model; three separate towers fail the shared item read from the
// saved topology. The full-size run is `npm run acceptance -- triplet-oneshot`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { tempDir, testSecret, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
// 600 training images (60 per class), 200 test images (20 per class).
const dataDir = writeTinyMnist(join(root, 'idx'), 600, 200);
type Result = BatchSummary['results'][number];

function small(task: Record<string, unknown> = {}): string {
  const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'assignments/triplet-oneshot/assignment.json'), 'utf8'));
  delete spec.$schema; delete spec.statement; delete spec.starter;
  const dir = join(root, 'assignments', 'triplet-oneshot');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...spec, limits: { ...spec.limits, timeLimitSec: 45 }, task: { ...spec.task, trainCount: 500, positivesPerClass: 20, negativesPerCombination: 40, predictBatch: 40, ...task } }));
  return dir;
}

async function grade(paths: string[]): Promise<Map<string, Result>> {
  const assignment = loadAssignment(small());
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(paths), mode: 'grade', secret: testSecret(), outDir: join(root, 'out'),
    concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), dataDir,
    backend: 'wasm', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  return new Map(s.results.map((r) => [r.submission.id, r]));
}

const item = (r: Result, id: string) => r.rubric.find((i) => i.id === id)!;
const explain = (r: Result) => `${r.verdict}: ${r.reason ?? ''} ${JSON.stringify(r.metrics)} ${(r.outputTail ?? []).slice(-5).join(' | ')}`;

// Trains nothing. train() throws unless it was handed the 400 images of the eight training digits
// among the first 500 (no 3, no 7); distance is the difference of the rows each image lights.
const NO_TRIPLET = `import * as tf from '@tensorflow/tfjs';
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const y = Array.from(await labels.data());
  if (images.shape[0] !== 400 || y.length !== 400 || y.some((d) => d === 3 || d === 7)) throw new Error('handed ' + images.shape[0] + ' images of digits ' + [...new Set(y)]);
  return { model: null, threshold: 1 };
}
const rowCentre = (x: tf.Tensor4D) => x.mean([2, 3]).mul(tf.range(0, 28).reshape([1, 28])).sum(1).div(x.mean([2, 3]).sum(1));
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) { return rowCentre(a).sub(rowCentre(b)).abs(); }
`;

test('triplet-oneshot: the shared-CNN triplet reference passes every item; a submission handed only the 8 training digits that saves no triplet model, and three separate towers, fail the shared item', async () => {
  const r = await grade([join(REPO_ROOT, 'reference/triplet-oneshot'), join(REPO_ROOT, 'examples/triplet-oneshot/three-towers.ts'), writeSubmission(join(root, 'subs'), 'no-triplet.ts', NO_TRIPLET)]);
  const ref = r.get('triplet-oneshot')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.is(ref.environment.backend?.name, 'wasm');
  assert.is(ref.metrics.shared_embedding, 3, 'the embedding Sequential, called on anchor, positive and negative in the saved model.json');
  // 20 + 20 positive pairs of the unseen 3s and 7s, 40 negative ones between them.
  assert.is(ref.plots!.confusion!.counts.flat().reduce((a, b) => a + b, 0), 80);
  assert.equal(ref.plots!.confusion!.counts.map((row) => row[0]! + row[1]!), [40, 40]);
  assert.ok(ref.plots?.roc?.auc === ref.metrics.auc);
  // Its threshold comes from pairs of two training digits it held out of training, never from 3 or 7.
  const log = (ref.outputTail ?? []).join('\n');
  const held = log.match(/training on digits ([\d, ]+); validation digits (\d), (\d) \(held out\)/);
  assert.ok(held, log);
  const trained = held![1]!.split(', ').map(Number), valDigits = [Number(held![2]), Number(held![3])];
  assert.equal([...trained, ...valDigits].sort(), [0, 1, 2, 4, 5, 6, 8, 9], log);
  assert.match(log, new RegExp(`validation pairs of digits ${valDigits[0]} and ${valDigits[1]}: AUC [\\d.]+, accuracy [\\d.]+ at threshold`));

  const none = r.get('no-triplet')!;
  assert.is(none.verdict, 'FAIL', explain(none));
  assert.ok(item(none, 'auc').passed && item(none, 'accuracy').passed, explain(none));
  assert.is(none.metrics.shared_embedding, 0);
  assert.match(item(none, 'shared').detail, /triplet-model\/model\.json is missing/);

  const towers = r.get('three-towers')!;
  assert.is(towers.verdict, 'FAIL', explain(towers));
  assert.is(towers.metrics.shared_embedding, 0, explain(towers));
  assert.match(item(towers, 'shared').detail, /called on three different inputs/);
});

test('triplet-oneshot: an evaluated class among the training classes is refused at load', async () => {
  const dir = small({ trainClasses: [0, 1, 2, 3, 4, 5, 6, 8] });
  const assignment = loadAssignment(dir);
  let message = '';
  try {
    const s = await runBatch({
      assignment, submissions: discoverSubmissions([writeSubmission(join(root, 'subs2'), 'x.ts', NO_TRIPLET)]), mode: 'grade', secret: testSecret(), outDir: join(root, 'out2'),
      concurrency: 1, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), dataDir,
      backend: 'wasm', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
    });
    message = s.results.map((x) => `${x.verdict} ${x.reason}`).join('\n');
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /share class 3/);
});

test.run();
