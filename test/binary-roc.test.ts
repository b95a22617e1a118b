// binary-roc (course notes 004, C4_W2) end to end on a small synthetic MNIST:
// the real assignment spec with the tiny data's two classes (6 = positive,
// 0 = negative; each lights its own band of rows), graded through the sandbox
// on wasm. The reference trains a CNN for real and passes; a submission that
// never trains but scores the band of class 6 proves what the sandbox was
// handed (two classes only, labels 1/0) and passes; the same scores cut at a
// threshold above every score keep their AUC and lose accuracy; reversed
// scores fail with the hint saying so; a missing or NaN threshold is refused.
// The full-size run is `npm run acceptance -- binary-roc`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { tempDir, testSecret, tinyImages, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
// 600 training images (60 per class), 200 test images (20 per class).
const dataDir = writeTinyMnist(join(root, 'idx'), 600, 200);
type Result = BatchSummary['results'][number];

function small(): string {
  const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'assignments/binary-roc/assignment.json'), 'utf8'));
  delete spec.$schema; delete spec.statement; delete spec.starter;
  const dir = join(root, 'assignments', 'binary-roc');
  mkdirSync(dir, { recursive: true });
  const task = { ...spec.task, dataset: 'mnist', trainCount: 500, positiveClass: 6, negativeClass: 0, predictBatch: 16 };
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...spec, limits: { ...spec.limits, timeLimitSec: 45 }, task }));
  return dir;
}

async function grade(paths: string[], mode: 'grade' | 'check' = 'grade'): Promise<Map<string, Result>> {
  const assignment = loadAssignment(small());
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(paths), mode, secret: testSecret(), outDir: join(root, 'out', mode),
    concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), dataDir,
    backend: 'wasm', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  return new Map(s.results.map((r) => [r.submission.id, r]));
}

const item = (r: Result, id: string) => r.rubric.find((i) => i.id === id)!;
const explain = (r: Result) => `${r.verdict}: ${r.reason ?? ''} ${JSON.stringify(r.metrics)} ${(r.outputTail ?? []).slice(-5).join(' | ')}`;

// No training: the score is the brightness of rows 16–19, the band of class 6 in the tiny data.
// train() checks what it was handed (only classes 6 and 0, labelled 1 and 0, 50 of each among the
// first 500) and throws otherwise. What it returns (`returned`) is what score() gets.
const band = (thresholdLine: string, returned = '{ threshold: 0.5 }') => `import * as tf from '@tensorflow/tfjs';
${thresholdLine}
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const y = Array.from(await labels.data()), n = images.shape[0];
  const bands = Array.from(await images.slice([0, 16, 0, 0], [-1, 4, -1, -1]).mean([1, 2, 3]).data());
  const others = Array.from(await images.slice([0, 4, 0, 0], [-1, 4, -1, -1]).mean([1, 2, 3]).data());
  if (n !== 100 || y.filter((v) => v === 1).length !== 50 || y.some((v) => v !== 0 && v !== 1)) throw new Error('handed ' + n + ' images, labels ' + [...new Set(y)]);
  // label 1 lights rows 16-19 (class 6), label 0 rows 4-7 (class 0): nothing of another class.
  if (y.some((v, i) => (v === 1 ? bands[i]! < 0.5 : others[i]! < 0.5))) throw new Error('an image of another class');
  return ${returned};
}
export async function score(_m: unknown, images: tf.Tensor4D) {
  return images.slice([0, 16, 0, 0], [-1, 4, -1, -1]).mean([1, 2, 3]);
}
`;

test('binary-roc: the CNN reference and a band scorer pass; a threshold above every score keeps AUC and fails accuracy; reversed scores fail with the hint; no threshold or a NaN one is refused', async () => {
  const subs = join(root, 'subs');
  const r = await grade([
    join(REPO_ROOT, 'reference/binary-roc'), join(REPO_ROOT, 'examples/binary-roc/reversed.ts'),
    writeSubmission(subs, 'band.ts', band('')),
    writeSubmission(subs, 'too-high.ts', band('export const threshold = 1e9;', '{}')),
    writeSubmission(subs, 'no-threshold.ts', band('', '{}')),
    writeSubmission(subs, 'nan-threshold.ts', band('export const threshold = 0.5;', '{ threshold: NaN }')),
  ]);
  const ref = r.get('binary-roc')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.is(ref.environment.backend?.name, 'wasm');
  assert.ok(ref.metrics.auc! > 0.97 && ref.metrics.accuracy! > 0.9, explain(ref));
  assert.ok(ref.metrics.threshold! > 0 && ref.metrics.threshold! < 1 && ref.metrics.threshold !== 0.5, `the threshold train() chose on its validation images: ${explain(ref)}`);
  // The report's plots, from the scores and the hidden labels: 40 test images, 20 of each class.
  assert.equal(ref.plots?.confusion?.labels, ['0', '6']);
  assert.is(ref.plots!.confusion!.counts.flat().reduce((a, b) => a + b, 0), 40);
  assert.equal(ref.plots!.confusion!.counts.map((row) => row[0]! + row[1]!), [20, 20]);
  assert.ok(ref.plots?.roc && ref.plots.roc.fpr.length === ref.plots.roc.tpr.length && ref.plots.roc.auc === ref.metrics.auc);

  const b = r.get('band')!;
  assert.is(b.verdict, 'PASS', explain(b));
  assert.equal([b.metrics.auc, b.metrics.accuracy, b.metrics.threshold], [1, 1, 0.5]);
  assert.equal(b.plots!.confusion!.counts, [[20, 0], [0, 20]]);

  const high = r.get('too-high')!;
  assert.is(high.verdict, 'FAIL', explain(high));
  assert.ok(item(high, 'auc').passed, 'the scores are as good as before');
  assert.not.ok(item(high, 'accuracy').passed);
  assert.is(high.metrics.accuracy, 0.5, 'everything called T-shirt: right on the 20 negatives only');
  assert.is(high.metrics.best_accuracy, 1);
  assert.equal(high.plots!.confusion!.counts, [[20, 0], [20, 0]]);
  assert.match(item(high, 'accuracy').detail, /best single threshold on these same scores would reach 1\.0000/);

  const rev = r.get('reversed')!;
  assert.is(rev.verdict, 'FAIL', explain(rev));
  assert.ok(rev.metrics.auc! < 0.1 && rev.metrics.accuracy! < 0.2, explain(rev));
  assert.match(item(rev, 'auc').detail, /reversed/);

  const none = r.get('no-threshold')!;
  assert.is(none.verdict, 'BAD_SUBMISSION', explain(none));
  assert.match(none.reason ?? '', /return \{ model, threshold \} from train\(\)/);
  const nan = r.get('nan-threshold')!;
  assert.is(nan.verdict, 'BAD_OUTPUT', explain(nan));
  assert.match(nan.reason ?? '', /the threshold train\(\) returned is NaN/);
});

test('binary-roc check mode: measured on held-back training images of the two classes only', async () => {
  const r = (await grade([writeSubmission(join(root, 'subs-check'), 'band.ts', band(''))], 'check')).get('band')!;
  assert.is(r.verdict, 'PASS', explain(r));
  // The 100 training images past the first 500 hold 10 of each class: 20 evaluated.
  assert.equal(r.plots!.confusion!.counts, [[10, 0], [0, 10]]);
  assert.is(tinyImages(600, 1).labels.slice(500).filter((c) => c === 0 || c === 6).length, 20);
});

test.run();
