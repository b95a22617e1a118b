// notes 001, lab 1 / lab 10 (mnist-cnn) end to end on a small synthetic MNIST: the real spec with
// 600 training images and a 45 s limit, the real reference and weak example, graded through the
// sandbox on wasm. Accuracy and the conv / pooling layers both come from the saved model, read by
// the trusted side: a dense-only model fails the layer items, and a Dense that calls itself Conv2D
// yields a model.json that does not load, so nothing of it is counted.
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
const dataDir = writeTinyMnist(join(root, 'idx'), 600, 200);
type Result = BatchSummary['results'][number];

function small(): string {
  const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'assignments', 'mnist-cnn', 'assignment.json'), 'utf8'));
  delete spec.$schema; delete spec.statement; delete spec.starter;
  const dir = join(root, 'assignments', 'mnist-cnn');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...spec, limits: { ...spec.limits, timeLimitSec: 45 }, task: { ...spec.task, trainCount: 500, predictBatch: 100 } }));
  return dir;
}

const explain = (r: Result) => `${r.verdict}: ${r.reason ?? ''} ${JSON.stringify(r.metrics)} ${(r.outputTail ?? []).slice(-5).join(' | ')}`;
const item = (r: Result, id: string) => r.rubric.find((i) => i.id === id)!;

// A Dense layer that reports itself as Conv2D, and a Flatten that reports itself as MaxPooling2D.
const DISGUISED = `import * as tf from '@tensorflow/tfjs';
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(images, labels.toFloat(), { epochs: 3, batchSize: 64, verbose: 0 });
  (model.layers[0] as any).getClassName = () => 'MaxPooling2D';
  (model.layers[1] as any).getClassName = () => 'Conv2D';
  return model;
}
`;

test('mnist-cnn: the CNN reference passes (accuracy and layers from the saved model); dense-only fails the conv and pooling items; disguised layer classes count nothing', async () => {
  const assignment = loadAssignment(small());
  const s = await runBatch({
    assignment, submissions: discoverSubmissions([join(REPO_ROOT, 'reference/mnist-cnn'), join(REPO_ROOT, 'examples/mnist-cnn/dense-only.ts'), writeSubmission(join(root, 'subs'), 'disguised.ts', DISGUISED)]),
    mode: 'grade', secret: testSecret(), outDir: join(root, 'out'), concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment),
    cacheRoot: join(root, 'cache'), dataDir, backend: 'wasm', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  const r = new Map(s.results.map((x) => [x.submission.id, x]));
  const ref = r.get('mnist-cnn')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.equal([ref.metrics.conv_layers, ref.metrics.pooling_layers], [2, 2], 'two conv → pool blocks, read from the saved model.json');
  assert.is(ref.environment.backend?.name, 'wasm');

  const dense = r.get('dense-only')!;
  assert.is(dense.verdict, 'FAIL', explain(dense));
  assert.equal([dense.metrics.conv_layers, dense.metrics.pooling_layers], [0, 0]);
  assert.not.ok(item(dense, 'conv').passed);
  assert.not.ok(item(dense, 'pooling').passed);
  assert.match(dense.reason ?? '', /no convolution layer: start the model with tf\.layers\.conv2d/);

  const disguised = r.get('disguised')!;
  assert.is(disguised.verdict, 'FAIL', explain(disguised));
  assert.equal([disguised.metrics.conv_layers, disguised.metrics.pooling_layers, disguised.metrics.accuracy], [0, 0, 0], explain(disguised));
  assert.match(disguised.reason ?? '', /does not load/);
});

test.run();
