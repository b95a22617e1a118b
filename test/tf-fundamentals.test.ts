// notes 001, lab 7 / lab 8 (tf-fundamentals, task kind function-check): the expected values the
// host computes in plain JavaScript, checked on cases worked by hand; then the real assignment
// graded through the sandbox: the reference (tf.moments, tf.oneHot, tf.grad, tf.variableGrads, a
// registered custom layer) passes every item, the weak example fails the gradient item and the
// layer's saved-config and own-reload items, and grading never names an expected value of the
// secret draw.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { drawInputs, expectGradOfCubic, expectOneHot, expectRegressionStep, expectStandardize, mismatch } from '../grader/tasks/function-check/host.ts';
import { tempDir, testSecret, writeSubmission } from './helpers/fixtures.ts';

type Result = BatchSummary['results'][number];
const root = tempDir();

test('expected values, worked by hand', () => {
  // Columns [1, 3] (mean 2, std 1) and [0, 10] (mean 5, std 5): both become [−1, 1].
  assert.equal(expectStandardize([[1, 0], [3, 10]]).values, [-1, -1, 1, 1]);
  assert.equal(expectOneHot([2, 0], 3), { values: [0, 0, 1, 1, 0, 0], shape: [2, 3] });
  // f = x³ − 2x² + 5x + 7: f'(2) = 12 − 8 + 5 = 9, f'(0) = 5.
  assert.equal(expectGradOfCubic([1, -2, 5, 7], [2, 0]).values, [9, 5]);
  // One point x = 1, y = 3, w = 1, b = 0: residual −2, dL/dw = dL/db = 2·(−2) = −4; lr 0.1 → w 1.4, b 0.4.
  const step = expectRegressionStep({ w: [1], b: 0, x: [[1]], y: [3], lr: 0.1 }).values;
  assert.ok(Math.abs(step[0]! - 1.4) < 1e-12 && Math.abs(step[1]! - 0.4) < 1e-12, String(step));
});

test('comparison: tolerance relative to max(1, |expected|), shapes up to size-1 axes, NaN and errors', () => {
  const want = { values: [1000, 0.5], shape: [2] };
  assert.is(mismatch({ values: [1000.5, 0.5004], shape: [2, 1] }, want, 1e-3), undefined);
  assert.match(mismatch({ values: [1002, 0.5], shape: [2] }, want, 1e-3)!, /value 0 .* is 1002, where 1000 was expected/);
  assert.match(mismatch({ values: [1000, null], shape: [2] }, want, 1e-3)!, /value 1 .* is NaN/);
  assert.match(mismatch({ values: [1000, 0.5], shape: [1, 2] }, { values: [1000, 0.5], shape: [2, 1] }, 1e-3) ?? 'same', /same/);
  assert.match(mismatch({ values: [1, 2, 3], shape: [3] }, want, 1e-3)!, /shape \[3\] where \[2\] was expected/);
  assert.is(mismatch({ error: 'f() threw: boom' }, want, 1e-3), 'f() threw: boom');
  // Grade mode names no expected value.
  assert.not.match(mismatch({ values: [1002, 0.5], shape: [2] }, want, 1e-3, false)!, /1000/);
});

test('the draw: the same for the same seed, another for another, every input finite', () => {
  const a = drawInputs('s1', 3), b = drawInputs('s1', 3), c = drawInputs('s2', 3);
  assert.equal(a, b);
  assert.not.equal(a, c);
  assert.ok(JSON.stringify(a).match(/null|NaN/) === null);
  for (const s of a.standardize) assert.ok(s.x.length >= 5 && s.x.every((row) => row.length === s.x[0]!.length));
  for (const o of a.toOneHot) assert.ok(o.labels.every((l) => Number.isInteger(l) && l >= 0 && l < o.depth));
});

// Multiplies by the config's constants instead of its weights: right until the weights change.
// The reference's functions, its class replaced.
const IGNORES_WEIGHTS = `${readFileSync(join(REPO_ROOT, 'reference/tf-fundamentals/index.ts'), 'utf8').split('/** y = x · scale + shift')[0]}
export class ScaleShift extends tf.layers.Layer {
  static className = 'ScaleShift';
  a: number; b: number;
  constructor(c: any) { super(c); this.a = c.initialScale ?? 1; this.b = c.initialShift ?? 0; }
  override build(s: any) { const d = s.at(-1); this.addWeight('scale', [d], 'float32', tf.initializers.constant({ value: this.a })); this.addWeight('shift', [d], 'float32', tf.initializers.constant({ value: this.b })); }
  override call(x: any) { return (Array.isArray(x) ? x[0] : x).mul(this.a).add(this.b); }
  override getConfig() { return { ...super.getConfig(), initialScale: this.a, initialShift: this.b }; }
}
tf.serialization.registerClass(ScaleShift);
`;

test('tf-fundamentals graded: the reference passes every item; the weak example fails the gradient, saved-config and own-reload items', async () => {
  const assignment = loadAssignment('tf-fundamentals');
  const subs = [join(REPO_ROOT, 'reference/tf-fundamentals'), join(REPO_ROOT, 'examples/tf-fundamentals/wrong-gradient.ts'), join(REPO_ROOT, 'assignments/tf-fundamentals/starter.ts')];
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(subs), mode: 'grade', secret: testSecret(), outDir: join(root, 'out'), concurrency: 2,
    limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  const r = new Map(s.results.map((x) => [x.submission.id, x]));
  const explain = (x: Result) => `${x.verdict}: ${x.reason ?? ''} ${JSON.stringify(x.metrics)}`;
  const ref = r.get('tf-fundamentals')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.ok(Object.values(ref.metrics).every((v) => v === 1), explain(ref));

  const weak = r.get('wrong-gradient')!;
  assert.is(weak.verdict, 'FAIL', explain(weak));
  const failed = weak.rubric.filter((i) => !i.passed).map((i) => i.id).sort();
  assert.equal(failed, ['grad', 'layer-config', 'layer-own-reload'], explain(weak));
  assert.match(weak.reason ?? '', /getConfig\(\) must return/);
  assert.match(weak.reason ?? '', /registerClass/);
  // Grading names the value returned, never the expected value of the secret draw.
  assert.match(weak.reason ?? '', /gradOfCubic\(coefficients, xs\), case 1 of 3: value 0 \(in row-major order\) is -?[\d.]+, which is not the expected value/);

  const starter = r.get('starter')!;
  assert.is(starter.verdict, 'FAIL', explain(starter));
  assert.is(starter.points, 0);
  assert.match(starter.reason ?? '', /standardize\(\) threw: not implemented yet/);
});

test('a layer that ignores its weights fails the output item on the set weights only', async () => {
  const assignment = loadAssignment('tf-fundamentals');
  const s = await runBatch({
    assignment, submissions: discoverSubmissions([writeSubmission(join(root, 'subs'), 'ignores-weights.ts', IGNORES_WEIGHTS)]), mode: 'check', secret: testSecret(), outDir: join(root, 'out-check'), concurrency: 1,
    limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  const x = s.results[0]!;
  assert.is(x.metrics.layer_output_ok, 0.5, `${x.reason} ${JSON.stringify(x.metrics)}`);
  assert.is(x.metrics.grad_ok, 1);
  // check mode (the public draw) names the expected value.
  assert.match(x.reason ?? '', /case 2 of 2: value \d+ \(in row-major order\) is -?[\d.]+, where -?[\d.]+ was expected/);
});

test.run();
