// WORK2, WORK3, WORK4 and notes-001 lab 2 end to end on a small synthetic MNIST: the real
// assignment specs with smaller counts and a 45 s limit, the real reference
// solutions (which size their training to the limit), graded through the
// sandbox on wasm. Each reference passes every rubric item; each weak
// submission fails the item it was written to miss. The full-size runs are
// `npm run acceptance`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { tempDir, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'), 600, 200);
type Result = BatchSummary['results'][number];

/** The real spec of `id` with the task's counts replaced, in a folder of its own. */
function small(id: string, task: Record<string, unknown>): string {
  const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'assignments', id, 'assignment.json'), 'utf8'));
  delete spec.$schema; delete spec.statement; delete spec.starter;
  const dir = join(root, 'assignments', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...spec, limits: { ...spec.limits, timeLimitSec: 45 }, task: { ...spec.task, ...task } }));
  return dir;
}

async function grade(assignmentDir: string, paths: string[]): Promise<Map<string, Result>> {
  const assignment = loadAssignment(assignmentDir);
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(paths), mode: 'grade', outDir: join(root, 'out', assignment.spec.id),
    concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), dataDir,
    backend: 'wasm', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  return new Map(s.results.map((r) => [r.submission.id, r]));
}

const item = (r: Result, id: string) => r.rubric.find((i) => i.id === id)!;
const explain = (r: Result) => `${r.verdict}: ${r.reason ?? ''} ${JSON.stringify(r.metrics)} ${(r.outputTail ?? []).slice(-5).join(' | ')}`;

function allPassOnWasm(r: Result) {
  assert.is(r.verdict, 'PASS', explain(r));
  assert.ok(r.rubric.every((i) => i.passed));
  assert.is(r.environment.backend?.name, 'wasm');
  assert.ok(r.environment.backend!.kernels.includes('Conv2DBackpropFilter'), 'trained a CNN with the added kernels');
}

test('WORK4 siamese: the CNN reference passes on wasm; constant distances fail on AUC', async () => {
  const dir = small('siamese-mnist', { trainCount: 500, positivesPerClass: 6, negativesPerCombination: 2, predictBatch: 100 });
  const constant = writeSubmission(join(root, 'subs-siamese'), 'constant.ts', `import * as tf from '@tensorflow/tfjs-node';
export async function train() { return null; }
export async function distance(_m: unknown, a: tf.Tensor4D) { return tf.ones([a.shape[0]]); }
`);
  const r = await grade(dir, [join(REPO_ROOT, 'reference/siamese-mnist'), constant]);
  allPassOnWasm(r.get('siamese-mnist')!);
  assert.ok(r.get('siamese-mnist')!.metrics.auc! > 0.97);
  assert.is(r.get('constant')!.verdict, 'FAIL');
  assert.is(r.get('constant')!.metrics.auc, 0.5);
});

test('WORK2 mnist-adder: the CNN-twin reference passes every item; a two-branch model fails the twin item', async () => {
  const dir = small('mnist-adder', { trainCount: 500, evalPairs: 300, predictBatch: 100 });
  const r = await grade(dir, [join(REPO_ROOT, 'reference/mnist-adder'), join(REPO_ROOT, 'examples/mnist-adder/no-twin.ts')]);
  allPassOnWasm(r.get('mnist-adder')!);
  const weak = r.get('no-twin')!;
  assert.is(weak.verdict, 'FAIL', explain(weak));
  assert.not.ok(item(weak, 'twin').passed);
});

test('WORK3 se-lenet: the reference passes with its SE block found and features rendered; a plain LeNet fails the SE item', async () => {
  const dir = small('se-lenet', { trainCount: 500, featuresPerClass: 4, predictBatch: 100 });
  const r = await grade(dir, [join(REPO_ROOT, 'reference/se-lenet'), join(REPO_ROOT, 'examples/se-lenet/plain-lenet.ts')]);
  const ref = r.get('se-lenet')!;
  allPassOnWasm(ref);
  assert.ok((ref.artifacts ?? []).some((a) => a.endsWith('.png')), 'feature renders in the report');
  const weak = r.get('plain-lenet')!;
  assert.is(weak.verdict, 'FAIL', explain(weak));
  assert.not.ok(item(weak, 'se-block').passed);
  assert.ok(item(weak, 'accuracy').passed, 'a plain LeNet still learns');
});

test('notes 001 lab 2 fashion-mnist-classify: the Keras-workflow reference passes; one that never evaluates fails that item', async () => {
  const dir = small('fashion-mnist-classify', { trainCount: 500, predictBatch: 100 });
  const r = await grade(dir, [join(REPO_ROOT, 'reference/fashion-mnist-classify'), join(REPO_ROOT, 'examples/fashion-mnist-classify/few-images.ts')]);
  const ref = r.get('fashion-mnist-classify')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.equal([ref.metrics.fit_calls, ref.metrics.evaluate_calls], [1, 1]);
  const weak = r.get('few-images')!;
  assert.is(weak.verdict, 'FAIL', explain(weak));
  assert.not.ok(item(weak, 'evaluate').passed);
});

test('WORK6 mobilenet-transfer: the frozen-base reference passes; a from-scratch CNN fails the pretrained item; batch 1024 is refused', async () => {
  const dir = small('mobilenet-transfer', { trainCount: 400, valCount: 100 });
  const r = await grade(dir, ['reference/mobilenet-transfer', 'examples/mobilenet-transfer/from-scratch.ts', 'examples/mobilenet-transfer/batch-1024.ts'].map((p) => join(REPO_ROOT, p)));
  const ref = r.get('mobilenet-transfer')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.is(ref.metrics.epochs_evaluated, 5, 'the grader predicted after each of the 5 epochs');
  assert.is(ref.metrics.pretrained_base_used, 1);
  assert.is(ref.environment.backend?.name, 'wasm');
  const scratch = r.get('from-scratch')!;
  assert.is(scratch.verdict, 'FAIL', explain(scratch));
  assert.not.ok(item(scratch, 'pretrained-base').passed);
  const big = r.get('batch-1024')!;
  assert.is(big.verdict, 'BAD_SUBMISSION', explain(big));
  assert.match(big.reason ?? '', /1024/);
});

test.run();
