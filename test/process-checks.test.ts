// Process checks that used to pass without the work, each graded through the real pipeline
// (sandbox on wasm, small data): a submission that games the check, which used to pass its item
// and must now fail it, beside an honest twin that must still pass.
//   - a hand-written loop: trainOnBatch is refused like fit/fitDataset (it ran fit's training step);
//   - checkpoints: only saves made inside an epoch-end callback of a running fit count;
//   - batch size: enforced for fitDataset over any dataset, and for hand-written loops over tf.data;
//   - the pretrained base: zeroing its weights must cost the predictions their accuracy (graded in
//     test/image-assignments.test.ts, WORK6);
//   - octaves: a size counts only if what its gradient steps changed is in the returned picture
//     (countOctaves here; graded end to end in test/deepdream.test.ts).
// The old criterion's value stays visible in a metric beside the new one where there is one
// (checkpoint_folders, base_ran_in_predict, scales_with_steps).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { countOctaves } from '../grader/tasks/deepdream/region.ts';
import { fusedCorrelation } from '../grader/tasks/deepdream/sandbox.ts';
import { tempDir, testSecret, writeSubmission } from './helpers/fixtures.ts';

const root = tempDir();
type Result = BatchSummary['results'][number];
const item = (r: Result, id: string) => r.rubric.find((i) => i.id === id)!;
const explain = (r: Result) => `${r.verdict}: ${r.reason ?? ''} ${JSON.stringify(r.metrics)} ${(r.outputTail ?? []).slice(-5).join(' | ')}`;

/** The real spec of `id`, with limits and task fields replaced, in a folder of its own (named `id`, under `tag`). */
function spec(id: string, tag: string, change: { limits?: Record<string, unknown>; task?: Record<string, unknown> } = {}): string {
  const s = JSON.parse(readFileSync(join(REPO_ROOT, 'assignments', id, 'assignment.json'), 'utf8'));
  delete s.$schema; delete s.statement; delete s.starter;
  const dir = join(root, tag, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...s, limits: { ...s.limits, ...change.limits }, task: { ...s.task, ...change.task } }));
  return dir;
}

async function grade(assignmentDir: string, paths: string[], dataDir?: string): Promise<Map<string, Result>> {
  const assignment = loadAssignment(assignmentDir);
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(paths), mode: 'grade', secret: testSecret(), outDir: join(root, 'out', assignmentDir.replaceAll('/', '_')),
    concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), ...(dataDir ? { dataDir } : {}),
    backend: 'wasm', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  return new Map(s.results.map((r) => [r.submission.id, r]));
}

const MLP = `tf.sequential({ layers: [
  tf.layers.dense({ inputShape: [1], units: 64, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
  tf.layers.dense({ units: 64, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
] })`;
const PREDICT = `export async function predict(model: tf.LayersModel, x: tf.Tensor2D) { return model.predict(x) as tf.Tensor; }`;
/** Row chunks of `n` of the training data, as {xs, ys} batches. */
const CHUNKS = `function chunks(x: tf.Tensor2D, y: tf.Tensor2D, n: number) {
  const out: { xs: tf.Tensor; ys: tf.Tensor }[] = [];
  for (let s = 0; s < x.shape[0]; s += n) { const k = Math.min(n, x.shape[0] - s); out.push({ xs: x.slice([s, 0], [k, 1]), ys: y.slice([s, 0], [k, 1]) }); }
  return out;
}`;

// The honest twin of the first two tests, each reference on the same real spec (its tf.variableGrads
// loop passing with 120 × 16 optimizer steps; its epoch-end callback counting 12 checkpoints), is
// graded in test/cubic-fit.test.ts (WORK1.2, WORK1.3): here only the submissions that game the check.
test('hand-written loop: trainOnBatch is refused (also through a reference taken at load time)', async () => {
  const dir = join(root, 'subs-loop');
  const onBatch = (name: string, call: string, head = '') => writeSubmission(dir, name, `import * as tf from '@tensorflow/tfjs';
${head}
export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }) {
  const model = ${MLP};
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  for (let epoch = 0; epoch < 120; epoch++) {
    for (let s = 0; s < 1000; s += 64) {
      const k = Math.min(64, 1000 - s);
      const xb = x.slice([s, 0], [k, 1]), yb = y.slice([s, 0], [k, 1]);
      await ${call};
      tf.dispose([xb, yb]);
    }
  }
  return model;
}
${PREDICT}
`);
  const paths = [
    onBatch('train-on-batch.ts', 'model.trainOnBatch(xb, yb)'),
    onBatch('captured-train-on-batch.ts', 'trainOnBatch.call(model, xb, yb)', 'const trainOnBatch = tf.LayersModel.prototype.trainOnBatch; // taken before the grader refuses it'),
  ];
  const r = await grade(spec('cubic-fit-custom-loop', 'loop'), paths);
  for (const id of ['train-on-batch', 'captured-train-on-batch']) {
    const g = r.get(id)!;
    assert.is(g.verdict, 'BAD_SUBMISSION', explain(g));
    assert.match(g.reason ?? '', /model\.trainOnBatch is disabled/);
    assert.match(g.reason ?? '', /optimizer\.minimize/, 'says what to use instead');
  }
});

// Half the training points (500 of 1,000): what is checked is where the checkpoints were written; the
// MSE item, which both still pass, only shows that nothing but the checkpoint item fails.
test('checkpoints: folders saved after fit returns (increasing mtimes, or behind decoy saves in the callback) count for nothing', async () => {
  const dir = join(root, 'subs-checkpoints');
  const restore = `export async function restore(ctx: { checkpointDir: string }) { return tf.loadLayersModel(\`file://\${ctx.checkpointDir}/epoch-120/model.json\`); }`;
  const afterFit = writeSubmission(dir, 'save-all-after-fit.ts', `import * as tf from '@tensorflow/tfjs';
export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }, ctx: { checkpointDir: string }) {
  const model = ${MLP};
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 120, batchSize: 64, verbose: 0 });
  // Twelve "checkpoints", one after another (so their modification times increase), all of the final model.
  for (let e = 10; e <= 120; e += 10) {
    await model.save(\`file://\${ctx.checkpointDir}/epoch-\${e}\`);
    await new Promise((res) => setTimeout(res, 20));
  }
}
${restore}
`);
  const decoys = writeSubmission(dir, 'decoy-saves.ts', `import * as tf from '@tensorflow/tfjs';
export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }, ctx: { checkpointDir: string }) {
  const model = ${MLP};
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  // Saves inside the callback, but not into epoch-N folders; those are written after fit.
  const decoy = { onEpochEnd: async (epoch: number) => { if ((epoch + 1) % 10 === 0) await model.save(\`file://\${ctx.checkpointDir}/tmp-\${epoch + 1}\`); } };
  await model.fit(x, y, { epochs: 120, batchSize: 64, verbose: 0, callbacks: decoy });
  for (let e = 10; e <= 120; e += 10) {
    await model.save(\`file://\${ctx.checkpointDir}/epoch-\${e}\`);
    await new Promise((res) => setTimeout(res, 20));
  }
}
${restore}
`);
  const r = await grade(spec('cubic-fit-checkpoints', 'checkpoints', { task: { trainCount: 500 } }), [afterFit, decoys]);
  for (const id of ['save-all-after-fit', 'decoy-saves']) {
    const g = r.get(id)!;
    assert.is(g.verdict, 'FAIL', explain(g));
    assert.is(g.metrics.checkpoint_folders, 12, 'the old check (12 folders, increasing mtimes) would have passed');
    assert.is(g.metrics.checkpoints_written, 0);
    assert.not.ok(item(g, 'checkpoints').passed);
    assert.ok(item(g, 'mse').passed && item(g, 'restorable').passed, explain(g));
  }
});

test('batch size on fitDataset: a generator of 100-row batches, pre-batched tf.data.array chunks (also re-batched by 1 and squeezed) are refused under a limit of 64, also when caught; 64-row twins train', async () => {
  const dir = join(root, 'subs-fit-dataset');
  const sub = (name: string, dataset: string, fitCall = 'await model.fitDataset(ds, { epochs: 60, verbose: 0 });') => writeSubmission(dir, name, `import * as tf from '@tensorflow/tfjs';
${CHUNKS}
export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }) {
  const model = ${MLP};
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  const ds = ${dataset};
  ${fitCall}
  return model;
}
${PREDICT}
`);
  const generator = (n: number) => `tf.data.generator(function* () { for (const c of chunks(x, y, ${n})) yield c; })`;
  const paths = [
    sub('generator-100.ts', generator(100)),
    sub('array-100.ts', 'tf.data.array(chunks(x, y, 100))'),
    sub('rebatched-100.ts', `tf.data.array(chunks(x, y, 100)).batch(1).map((e: any) => ({ xs: e.xs.squeeze([0]), ys: e.ys.squeeze([0]) }))`),
    sub('caught-100.ts', generator(100), `try { await model.fitDataset(ds, { epochs: 1, verbose: 0 }); } catch { /* carry on */ }
  await model.fit(x, y, { epochs: 60, batchSize: 64, verbose: 0 });`),
    sub('generator-64.ts', generator(64)),
    sub('array-64.ts', 'tf.data.array(chunks(x, y, 64))'),
  ];
  const r = await grade(spec('cubic-fit-keras', 'fit-dataset', { limits: { maxBatchSize: 64 } }), paths);
  for (const id of ['generator-100', 'array-100', 'rebatched-100', 'caught-100']) {
    const g = r.get(id)!;
    assert.is(g.verdict, 'BAD_SUBMISSION', explain(g));
    assert.match(g.reason ?? '', /model\.fitDataset.*batch size 100 exceeds this assignment's limit of 64/, id);
  }
  for (const id of ['generator-64', 'array-64']) {
    const g = r.get(id)!;
    assert.is.not(g.verdict, 'BAD_SUBMISSION', explain(g));
    assert.ok(item(g, 'mse').passed, explain(g));
  }
});

test('batch size in a hand-written loop over tf.data: iterator().next, forEachAsync and toArray yielding 100-row batches are refused under a limit of 64; a 50-row loop passes', async () => {
  const dir = join(root, 'subs-loop-dataset');
  const loop = (name: string, n: number, consume: string) => writeSubmission(dir, name, `import * as tf from '@tensorflow/tfjs';
${CHUNKS}
export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }) {
  const model = ${MLP};
  const optimizer = tf.train.adam(0.01);
  const ds = tf.data.array(chunks(x, y, ${n}));
  const step = (b: { xs: tf.Tensor; ys: tf.Tensor }) => tf.tidy(() => { optimizer.minimize(() => tf.losses.meanSquaredError(b.ys, model.apply(b.xs) as tf.Tensor) as tf.Scalar); });
  for (let epoch = 0; epoch < 60; epoch++) {
    ${consume}
  }
  return model;
}
${PREDICT}
`);
  const iterate = `const it = await ds.iterator();
    for (let r = await it.next(); !r.done; r = await it.next()) step(r.value);`;
  const paths = [
    loop('iterator-100.ts', 100, iterate),
    loop('for-each-100.ts', 100, 'await ds.forEachAsync(step);'),
    loop('to-array-100.ts', 100, 'for (const b of await ds.toArray()) step(b);'),
    loop('iterator-50.ts', 50, iterate),
  ];
  const r = await grade(spec('cubic-fit-custom-loop', 'loop-dataset', { limits: { maxBatchSize: 64 } }), paths);
  for (const id of ['iterator-100', 'for-each-100', 'to-array-100']) {
    const g = r.get(id)!;
    assert.is(g.verdict, 'BAD_SUBMISSION', explain(g));
    assert.match(g.reason ?? '', /dataset iterator.*batch size 100 exceeds this assignment's limit of 64/, id);
  }
  const honest = r.get('iterator-50')!;
  assert.is(honest.verdict, 'PASS', explain(honest));
  assert.is(honest.metrics.optimizer_steps, 60 * 20);
});

// The pretrained-base check (a predict() that runs the base on a dummy input but classifies the
// pixels without it) is graded in test/image-assignments.test.ts, WORK6, in the same batch as the
// frozen-base reference that test grades anyway.

test('countOctaves: a size counts when its change was fused into the picture, or when every gradient there was zero', () => {
  const s = (size: number, fused: number, stalled = false) => ({ height: size, width: size, gradientSteps: 20, fused, stalled });
  assert.is(countOctaves([s(131, 0.56), s(183, 0.63), s(256, 0.69)]), 3);
  assert.is(countOctaves([s(141, 0), s(192, 0.09), s(256, 0.99)]), 1, 'thrown away');
  assert.is(countOctaves([s(131, 0, true), s(183, 0.63), s(256, 0.79)]), 3, 'nothing to climb at 131 px');
  const change = { delta: Float32Array.from([1, 2, 3, 4, 5, 6, 9, 9, 9]), inside: Uint8Array.from([1, 1, 0]) };
  const first = new Float32Array(9), last = Float32Array.from([2, 4, 6, 8, 10, 12, -50, 0, 50]);
  assert.ok(Math.abs(fusedCorrelation(first, last, change) - 1) < 1e-9, 'any units, cells outside the region ignored');
  assert.is(fusedCorrelation(first, first, change), 0, 'no change');
});

// The octave check (throwaway gradient passes at two smaller sizes do not count; the reference
// fuses all three) is graded in test/deepdream.test.ts, in the same batch as the reference and the
// other weak dreams that test grades anyway.

test.run();
