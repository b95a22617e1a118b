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
import { tempDir, testSecret, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

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
    assignment, submissions: discoverSubmissions(paths), mode: 'grade', secret: testSecret(), outDir: join(root, 'out', assignment.spec.id),
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

// Two separate Dense branches. Before building, it turns Layer.prototype.inboundNodes into an
// accessor; before returning, it makes every Dense report two inbound nodes, which is what an
// in-realm inspection of the live model read as a weight-shared twin.
const FORGED_TWIN = `import * as tf from '@tensorflow/tfjs';
let forge = false;
Object.defineProperty(tf.layers.Layer.prototype, 'inboundNodes', {
  configurable: true,
  get() { const real = this.__in; return forge && this.getClassName() === 'Dense' && real && real.length === 1 ? [real[0], real[0]] : real; },
  set(v) { this.__in = v; },
});
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const a = tf.input({ shape: [28, 28, 1], name: 'a' }), b = tf.input({ shape: [28, 28, 1], name: 'b' });
  const ea = tf.layers.dense({ units: 32, activation: 'relu' }).apply(tf.layers.flatten().apply(a)) as tf.SymbolicTensor;
  const eb = tf.layers.dense({ units: 32, activation: 'relu' }).apply(tf.layers.flatten().apply(b)) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 19, activation: 'softmax' }).apply(tf.layers.concatenate().apply([ea, eb])) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [a, b], outputs: out });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const lab = await labels.data();
  const n = 256, ia = Int32Array.from({ length: n }, (_, i) => i), ib = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % n);
  await model.fit([tf.gather(images, ia), tf.gather(images, ib)], tf.oneHot(Int32Array.from(ia, (i, k) => lab[i]! + lab[ib[k]!]!), 19), { epochs: 1, batchSize: 64, verbose: 0 });
  forge = true;
  if (model.layers.filter((l) => l.getClassName() === 'Dense' && l.inboundNodes.length === 2).length !== 3) throw new Error('the forgery did not take');
  return model;
}
export async function predict(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) { return model.predict([a, b]) as tf.Tensor; }
`;

test('WORK2 mnist-adder: the CNN-twin reference passes every item; a two-branch model fails the twin item, also when it patches Layer.prototype.inboundNodes', async () => {
  const dir = small('mnist-adder', { trainCount: 500, evalPairs: 300, predictBatch: 100 });
  const r = await grade(dir, [join(REPO_ROOT, 'reference/mnist-adder'), join(REPO_ROOT, 'examples/mnist-adder/no-twin.ts')]);
  const ref = r.get('mnist-adder')!;
  allPassOnWasm(ref);
  // Read from the saved model.json: the twin is the nested Sequential called on both images, the custom class PairFusion.
  assert.equal([ref.metrics.shared_weight_layers, ref.metrics.custom_layers], [1, 1]);
  const weak = r.get('no-twin')!;
  assert.is(weak.verdict, 'FAIL', explain(weak));
  assert.not.ok(item(weak, 'twin').passed);
  // Graded on its own: the reference trains to a time budget, so it gets the CPU it had before.
  const f = (await grade(dir, [writeSubmission(join(root, 'subs-adder'), 'forged-twin.ts', FORGED_TWIN)])).get('forged-twin')!;
  assert.is(f.verdict, 'FAIL', explain(f));
  assert.is(f.metrics.shared_weight_layers, 0, 'the saved graph has no layer called twice');
  assert.not.ok(item(f, 'twin').passed);
});

/** A plain LeNet (functional, named layers), trained briefly; `extra` goes after the model is built. */
const plainLenet = (extra: string, featuresBody = 'return { maps: probe(model, images), vectors: images.reshape([images.shape[0], -1]).slice([0, 300], [-1, 20]) };') => `import * as tf from '@tensorflow/tfjs';
function probe(model: tf.LayersModel, images: tf.Tensor4D) {
  return (tf.model({ inputs: model.inputs, outputs: model.getLayer('conv1').output as tf.SymbolicTensor }).predict(images) as tf.Tensor);
}
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 5, activation: 'relu', name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'se1_squeeze' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'se1_reshape' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 32, activation: 'sigmoid', name: 'se1_gate' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10, activation: 'softmax', name: 'se1_scale' }).apply(x) as tf.SymbolicTensor });
  model.compile({ optimizer: tf.train.adam(3e-3), loss: 'sparseCategoricalCrossentropy' });
  await model.fit(images, labels.toFloat(), { epochs: 3, batchSize: 64, verbose: 0 });
  ${extra}
  return model;
}
export async function features(model: tf.LayersModel, images: tf.Tensor4D) {
  ${featuresBody}
}
`;

// features() runs after the grader saved the model. It patches the live model so that an
// in-realm inspection finds an SE block (class names, inputs, activations, getLayer), and it
// zeroes the live model's weights: the verify stage scores and inspects the saved copy, so the
// accuracy still holds and the SE item still fails.
const FORGED_SE = plainLenet('', `const maps = probe(model, images), vectors = images.reshape([images.shape[0], -1]).slice([0, 300], [-1, 20]);
  const [conv1, squeeze, , gate, scale] = model.layers.slice(1) as any[];
  const as = (l: any, cls: string, inputs: any[], activation?: string) => {
    l.getClassName = () => cls;
    Object.defineProperty(l, 'inboundNodes', { value: [{ inboundLayers: inputs }], configurable: true });
    if (activation) { const c = l.getConfig(); l.getConfig = () => ({ ...c, activation }); }
  };
  as(squeeze, 'GlobalAveragePooling2D', [conv1]);
  as(gate, 'Dense', [squeeze], 'sigmoid');
  as(scale, 'Multiply', [conv1, gate]);
  tf.LayersModel.prototype.getLayer = function (name: string) { return ({ se1_squeeze: squeeze, se1_gate: gate, se1_scale: scale } as any)[name] ?? conv1; };
  model.setWeights(model.getWeights().map((w) => tf.zerosLike(w)));
  return { maps, vectors };`);

// The model built in train() reports a decoy SE model's layers as its own: the model TF.js saves
// from that is no SE-LeNet that loads.
const DECOY_SE = plainLenet(`const di = tf.input({ shape: [4, 4, 2] });
  const sq = tf.layers.globalAveragePooling2d({}).apply(di) as tf.SymbolicTensor;
  const g = tf.layers.reshape({ targetShape: [1, 1, 2] }).apply(tf.layers.dense({ units: 2, activation: 'sigmoid' }).apply(sq)) as tf.SymbolicTensor;
  const decoy = tf.model({ inputs: di, outputs: tf.layers.multiply().apply([di, g]) as tf.SymbolicTensor });
  Object.defineProperty(model, 'layers', { get: () => decoy.layers, configurable: true });`, 'return { maps: images.tile([1, 1, 1, 2]).add(tf.randomUniform([images.shape[0], 28, 28, 2])), vectors: images.reshape([images.shape[0], -1]).slice([0, 300], [-1, 20]) };');

// A pass-through custom layer class named SEBlock in an otherwise plain LeNet.
const NAMED_SE = `import * as tf from '@tensorflow/tfjs';
class SEBlock extends tf.layers.Layer {
  static className = 'SEBlock';
  override computeOutputShape(s: tf.Shape) { return s; }
  override call(x: tf.Tensor | tf.Tensor[]) { return Array.isArray(x) ? x[0]! : x; }
}
tf.serialization.registerClass(SEBlock);
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 5, activation: 'relu', name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  x = new SEBlock({ name: 'se1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(tf.layers.maxPooling2d({ poolSize: 2 }).apply(x)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10, activation: 'softmax' }).apply(x) as tf.SymbolicTensor });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(images, labels.toFloat(), { epochs: 2, batchSize: 64, verbose: 0 });
  return model;
}
export async function features(model: tf.LayersModel, images: tf.Tensor4D) {
  const maps = tf.model({ inputs: model.inputs, outputs: model.getLayer('conv1').output as tf.SymbolicTensor }).predict(images) as tf.Tensor;
  return { maps, vectors: images.reshape([images.shape[0], -1]).slice([0, 300], [-1, 20]) };
}
`;

test('WORK3 se-lenet: the reference passes (accuracy and SE blocks from the saved model, in a process without its code); a plain LeNet, a forged SE report, a decoy and a class named SEBlock fail the SE item', async () => {
  const dir = small('se-lenet', { trainCount: 500, featuresPerClass: 4, predictBatch: 100 });
  const subs = join(root, 'subs-se');
  const r = await grade(dir, [
    join(REPO_ROOT, 'reference/se-lenet'), join(REPO_ROOT, 'examples/se-lenet/plain-lenet.ts'),
    writeSubmission(subs, 'forged-se.ts', FORGED_SE), writeSubmission(subs, 'decoy-se.ts', DECOY_SE), writeSubmission(subs, 'named-se.ts', NAMED_SE),
  ]);
  const ref = r.get('se-lenet')!;
  allPassOnWasm(ref);
  assert.is(ref.metrics.se_blocks, 2, 'both SE blocks of the reference, read from its saved model.json');
  assert.ok(ref.metrics.accuracy! > 0.97);
  assert.ok((ref.artifacts ?? []).some((a) => a.endsWith('.png')), 'feature renders in the report');
  const weak = r.get('plain-lenet')!;
  assert.is(weak.verdict, 'FAIL', explain(weak));
  assert.not.ok(item(weak, 'se-block').passed);
  assert.ok(item(weak, 'accuracy').passed, 'a plain LeNet still learns');

  const forged = r.get('forged-se')!;
  assert.is(forged.verdict, 'FAIL', explain(forged));
  assert.is(forged.metrics.se_blocks, 0, explain(forged));
  assert.ok(item(forged, 'accuracy').passed, `scored from the saved copy, not the live model it zeroed: ${explain(forged)}`);

  const decoy = r.get('decoy-se')!;
  assert.is.not(decoy.verdict, 'PASS', explain(decoy));
  assert.not.ok(item(decoy, 'se-block').passed, explain(decoy));

  const named = r.get('named-se')!;
  assert.is(named.verdict, 'FAIL', explain(named));
  assert.is(named.metrics.se_blocks, 0);
  // Named once (the verify stage's load failure and the SE item say the same sentence), in the student's words.
  const hint = 'the saved model has a custom layer class SEBlock whose insides the grader cannot see; build the SE block from standard layers (globalAveragePooling2d, dense, reshape, multiply)';
  assert.is((named.reason ?? '').split(hint).length - 1, 1, explain(named));
  assert.ok(item(named, 'se-block').detail.endsWith(hint), item(named, 'se-block').detail);
});

// Evaluates, but on images it trained on: the "held out" item used to count any evaluate call.
const EVALUATE_ON_TRAIN = `import * as tf from '@tensorflow/tfjs';
export async function train({ images, labels }) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(images, labels.toFloat(), { epochs: 3, batchSize: 64, verbose: 0 });
  model.evaluate(images.slice([0, 0, 0, 0], [100, 28, 28, 1]), labels.toFloat().slice([0], [100]));
  return model;
}
`;

test('notes 001 lab 2 fashion-mnist-classify: the Keras-workflow reference passes; one that never evaluates, or evaluates on its training images, fails that item', async () => {
  const dir = small('fashion-mnist-classify', { trainCount: 500, predictBatch: 100 });
  const r = await grade(dir, [join(REPO_ROOT, 'reference/fashion-mnist-classify'), join(REPO_ROOT, 'examples/fashion-mnist-classify/few-images.ts'), writeSubmission(join(root, 'subs-fashion'), 'evaluate-on-train.ts', EVALUATE_ON_TRAIN)]);
  const onTrain = r.get('evaluate-on-train')!;
  assert.is(onTrain.metrics.evaluate_calls, 0, explain(onTrain));
  assert.not.ok(item(onTrain, 'evaluate').passed);
  const ref = r.get('fashion-mnist-classify')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.equal([ref.metrics.fit_calls, ref.metrics.evaluate_calls], [1, 1]);
  const weak = r.get('few-images')!;
  assert.is(weak.verdict, 'FAIL', explain(weak));
  assert.not.ok(item(weak, 'evaluate').passed);
});

// Runs the base in predict() on a dummy input, but classifies the pixels without it: the old check
// (the base ran during predict) passed it; zeroing the base's weights must cost the answers their
// accuracy, and costs this one nothing. (Moved here from test/process-checks.test.ts.)
const DUMMY_BASE = `import * as tf from '@tensorflow/tfjs';
let base: tf.LayersModel | undefined;
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { loadBase(o?: object): Promise<tf.LayersModel>; epochs: number }) {
  base = await ctx.loadBase({ inputSize: 32 });
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 32, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(images, labels.toFloat(), { epochs: ctx.epochs, batchSize: 32, verbose: 0 });
  return model;
}
export async function predict(model: tf.LayersModel, images: tf.Tensor4D) {
  tf.dispose(base!.predict(tf.zeros([1, 32, 32, 3]))); // the base "runs in predict"
  return model.predict(images) as tf.Tensor;
}
`;

test('WORK6 mobilenet-transfer: the frozen-base reference passes; a from-scratch CNN fails the pretrained item, and so does a predict() that runs the base on a dummy input; batch 1024 is refused', async () => {
  const dir = small('mobilenet-transfer', { trainCount: 400, valCount: 100 });
  const dummy = writeSubmission(join(root, 'subs-mobilenet'), 'dummy-base.ts', DUMMY_BASE);
  const r = await grade(dir, [...['reference/mobilenet-transfer', 'examples/mobilenet-transfer/from-scratch.ts', 'examples/mobilenet-transfer/batch-1024.ts'].map((p) => join(REPO_ROOT, p)), dummy]);
  const ref = r.get('mobilenet-transfer')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.is(ref.metrics.epochs_evaluated, 5, 'the grader predicted after each of the 5 epochs');
  assert.is(ref.metrics.pretrained_base_used, 1);
  assert.ok(ref.metrics.val_accuracy_base_zeroed! < ref.metrics.val_accuracy! / 2, explain(ref));
  assert.is(ref.environment.backend?.name, 'wasm');
  const scratch = r.get('from-scratch')!;
  assert.is(scratch.verdict, 'FAIL', explain(scratch));
  assert.not.ok(item(scratch, 'pretrained-base').passed);
  const big = r.get('batch-1024')!;
  assert.is(big.verdict, 'BAD_SUBMISSION', explain(big));
  assert.match(big.reason ?? '', /1024/);
  const cheat = r.get('dummy-base')!;
  assert.is(cheat.verdict, 'FAIL', explain(cheat));
  assert.ok(item(cheat, 'val-accuracy').passed, explain(cheat));
  assert.is(cheat.metrics.base_ran_in_predict, 1, 'the old check (the base ran during predict) would have passed');
  assert.is(cheat.metrics.pretrained_base_used, 0);
  assert.is(cheat.metrics.val_accuracy_base_zeroed, cheat.metrics.val_accuracy, 'zeroing the base changes nothing it answers');
});

test.run();
