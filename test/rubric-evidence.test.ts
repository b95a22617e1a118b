// Integrity review: what each rubric item rests on (measured by the grader,
// verified by a process without student code, or only an integrity signal
// observed inside the submission's own process), review flags for results
// implausibly far beyond the reference, and the cap on a submission's source.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { judge } from '../grader/grade/judge.ts';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { formatResult, quietReporter } from '../grader/report/console.ts';
import { junitXml } from '../grader/report/junit.ts';
import type { SubmissionResult } from '../grader/report/result.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { CompileError, compileSubmission } from '../grader/sandbox/compile.ts';
import type { SandboxOutcome } from '../grader/sandbox/run-sandboxed.ts';
import { ASSIGNMENTS_DIR, effectiveLimits, loadAssignment, loadDefaultLimits } from '../grader/spec/load.ts';
import type { RubricItem } from '../grader/spec/types.ts';
import type { PreparedTask } from '../grader/tasks/types.ts';
import { tempDir, testSecret, tinySiameseAssignment, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();

const errorOf = (f: () => unknown): Error => {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected an error');
};

// ---- the spec ----

test('signal items carrying half or more of the points: refused at load, naming the file', () => {
  const dir = tinySiameseAssignment(root, 'signal-heavy', {
    task: { kind: 'image-classify', dataset: 'mnist', trainCount: 150 },
    rubric: [
      { id: 'accuracy', title: 'accuracy', metric: 'accuracy', op: '>', threshold: 0.5, points: 1, evidence: 'measured' },
      { id: 'fit', title: 'trained with model.fit', metric: 'fit_calls', op: '>=', threshold: 1, points: 1, evidence: 'signal' },
      { id: 'evaluate', title: 'model.evaluate', metric: 'evaluate_calls', op: '>=', threshold: 1, points: 1, evidence: 'signal' },
    ],
  });
  const err = errorOf(() => loadAssignment(dir));
  assert.match(err.message, `${join(dir, 'assignment.json')}: integrity-signal items carry 2 of 3 points; they may carry less than half`);
  assert.match(err.message, /fit, evaluate/);
  // Exactly half is refused too; less than half loads.
  const half = tinySiameseAssignment(root, 'signal-half', {
    task: { kind: 'image-classify', dataset: 'mnist', trainCount: 150 },
    rubric: [
      { id: 'accuracy', title: 'accuracy', metric: 'accuracy', op: '>', threshold: 0.5, points: 2, evidence: 'measured' },
      { id: 'fit', title: 'fit', metric: 'fit_calls', op: '>=', threshold: 1, points: 2, evidence: 'signal' },
    ],
  });
  assert.match(errorOf(() => loadAssignment(half)).message, /signal-half\/assignment\.json: integrity-signal items carry 2 of 4 points/);
  const ok = tinySiameseAssignment(root, 'signal-minority', {
    task: { kind: 'image-classify', dataset: 'mnist', trainCount: 150 },
    rubric: [
      { id: 'accuracy', title: 'accuracy', metric: 'accuracy', op: '>', threshold: 0.5, points: 3, evidence: 'measured' },
      { id: 'fit', title: 'fit', metric: 'fit_calls', op: '>=', threshold: 1, points: 2, evidence: 'signal' },
    ],
  });
  assert.is(loadAssignment(ok).spec.rubric[1]!.evidence, 'signal');
});

test('evidence is required on every item and must be one of the three kinds', () => {
  const dir = join(root, 'no-evidence');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({
    id: 'no-evidence', title: 't', source: 's', seed: 1,
    task: { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 2 },
    rubric: [{ id: 'auc', title: 'AUC', metric: 'auc', op: '>', threshold: 0.9, points: 1 }, { id: 'b', title: 'b', metric: 'auc', op: '>', threshold: 0.9, evidence: 'proven' }],
  }));
  const err = errorOf(() => loadAssignment(dir));
  assert.match(err.message, join(dir, 'assignment.json'));
  assert.match(err.message, /rubric\.0: missing field "evidence"/);
  assert.match(err.message, /rubric\.1\.evidence: must be one of "measured", "verified", "signal"/);
});

test('review bounds must lie beyond the threshold, on the side the op favours', () => {
  const bad = tinySiameseAssignment(root, 'bad-review', {
    rubric: [
      { id: 'auc', title: 'AUC', metric: 'auc', op: '>', threshold: 0.9, points: 1, evidence: 'measured', reviewAbove: 0.8 },
      { id: 'acc', title: 'acc', metric: 'best_accuracy', op: '>', threshold: 0.9, points: 1, evidence: 'measured', reviewBelow: 0.95 },
    ],
  });
  const err = errorOf(() => loadAssignment(bad));
  assert.match(err.message, /rubric\[0\]\.reviewAbove 0\.8 must be above the threshold 0\.9/);
  assert.match(err.message, /rubric\[1\]\.reviewBelow: only for lower-is-better items/);
});

const BUNDLED = readdirSync(ASSIGNMENTS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

test('every bundled assignment loads, with evidence on every item and signal items in the minority', () => {
  assert.ok(BUNDLED.length >= 12, `found ${BUNDLED.join(', ')}`);
  for (const id of BUNDLED) {
    const { spec } = loadAssignment(id);
    const total = spec.rubric.reduce((s, r) => s + r.points, 0);
    const signal = spec.rubric.filter((r) => r.evidence === 'signal').reduce((s, r) => s + r.points, 0);
    for (const r of spec.rubric) assert.ok(['measured', 'verified', 'signal'].includes(r.evidence), `${id}/${r.id}: evidence ${r.evidence}`);
    assert.ok(signal * 2 < total, `${id}: signal ${signal} of ${total}`);
    assert.ok(spec.rubric.some((r) => r.evidence !== 'signal'), id);
  }
  // What the review named as in-realm observations is labelled as such.
  const evidenceOf = (id: string, item: string) => loadAssignment(id).spec.rubric.find((r) => r.id === item)!.evidence;
  assert.is(evidenceOf('fashion-mnist-classify', 'fit'), 'signal');
  assert.is(evidenceOf('fashion-mnist-classify', 'evaluate'), 'signal');
  assert.is(evidenceOf('mnist-adder', 'tf-data'), 'signal');
  assert.is(evidenceOf('iris-custom-training', 'steps'), 'signal');
  assert.is(evidenceOf('mobilenet-transfer', 'pretrained-base'), 'signal');
  assert.is(evidenceOf('deepdream-region', 'octaves'), 'signal');
  assert.is(evidenceOf('deepdream-region', 'valid-image'), 'signal');
  assert.is(evidenceOf('deepdream-region', 'target-gain'), 'verified');
  assert.is(evidenceOf('cubic-fit-save-restore', 'model-restore'), 'verified');
  assert.is(evidenceOf('siamese-mnist', 'auc'), 'measured');
  assert.is(evidenceOf('auto-mpg-regression', 'mae'), 'measured');
  // The thresholds did not move.
  assert.is(loadAssignment('siamese-mnist').spec.rubric[0]!.threshold, 0.97);
  assert.is(loadAssignment('siamese-mnist').spec.rubric[0]!.reviewAbove, 0.998);
  assert.is(loadAssignment('cubic-fit-keras').spec.rubric[0]!.reviewBelow, 0.02);
});

// ---- judging ----

const outcome = (outputs: unknown): SandboxOutcome => ({ status: 'OK', outputs, outputTail: [], outputBytes: 0, elapsedSec: 1, cpuSec: 1, peakMiB: 1, timings: { compileSec: 0 } });
const prepared = (metrics: Record<string, number>): PreparedTask => ({
  files: {}, params: {}, dataset: { name: 'd', checksum: 'c', evaluatedOn: 'e' },
  outputSchema: { type: 'object' }, checkOutputs() {}, score: () => metrics,
});
const auc: RubricItem = { id: 'auc', title: 'AUC', metric: 'auc', op: '>', threshold: 0.97, points: 3, evidence: 'measured', reviewAbove: 0.998, reference: 0.986 };
const fit: RubricItem = { id: 'fit', title: 'trained with model.fit', metric: 'fit_calls', op: '>=', threshold: 1, points: 1, evidence: 'signal' };
const mae: RubricItem = { id: 'mae', title: 'MAE', metric: 'mae', op: '<', threshold: 2.5, points: 3, evidence: 'measured', reviewBelow: 1 };

test('judge flags a value beyond reviewAbove / reviewBelow and keeps the verdict', () => {
  const high = judge(outcome({}), prepared({ auc: 0.9999, fit_calls: 1 }), [auc, fit]);
  assert.is(high.verdict, 'PASS');
  assert.is(high.points, 4);
  assert.equal(high.flags, ['review: auc 0.9999 is far above what the reference reaches (0.986; flagged above 0.998); a lookup table of the public test labels would look like this']);
  assert.is(high.rubric[0]!.evidence, 'measured');
  assert.is(high.rubric[1]!.evidence, 'signal');

  const plausible = judge(outcome({}), prepared({ auc: 0.986, fit_calls: 1 }), [auc, fit]);
  assert.is(plausible.verdict, 'PASS');
  assert.is(plausible.flags, undefined);

  const low = judge(outcome({}), prepared({ mae: 0.4 }), [mae]);
  assert.is(low.verdict, 'PASS');
  assert.equal(low.flags, ['review: mae 0.4000 is far below what the assignment expects (flagged below 1); a lookup table of the held-out targets would look like this']);

  // A flagged item that fails another item still FAILs: flags never change the verdict.
  const mixed = judge(outcome({}), prepared({ auc: 0.9999, fit_calls: 0 }), [auc, fit]);
  assert.is(mixed.verdict, 'FAIL');
  assert.is(mixed.flags!.length, 1);
  // Nothing measured, nothing flagged.
  const crashed = judge({ ...outcome(undefined), status: 'CRASH', reason: 'boom' }, prepared({}), [auc, fit]);
  assert.is(crashed.flags, undefined);
  assert.is(crashed.rubric[1]!.evidence, 'signal');
});

// ---- reports ----

function fakeResult(flags?: string[]): SubmissionResult {
  const j = judge(outcome({}), prepared({ auc: 0.9999, fit_calls: 1 }), [auc, fit]);
  return {
    schemaVersion: 1, submission: { id: 'alice', path: '/x/alice.ts', sha256: 'h' }, assignment: { id: 'siamese-mnist', title: 't', specHash: 's' },
    mode: 'grade', gradingKey: 'k', verdict: j.verdict, ...(flags ? { flags } : {}), rubric: j.rubric, metrics: j.metrics, points: j.points, maxPoints: j.maxPoints,
    outputTail: [], outputBytes: 0, usage: { elapsedSec: 1, peakMiB: 1, compileSec: 0, harnessSec: 0 },
    limits: { timeLimitSec: 10, memoryLimitMiB: 512, maxBatchSize: 64, maxSourceKiB: 1024 },
    environment: {} as SubmissionResult['environment'], dataset: { name: 'd', checksum: 'c', evaluatedOn: 'e' }, seed: 1, startedAt: '', finishedAt: '',
  };
}

test('console marks integrity-signal items; the verdict text is unchanged; flags are printed', () => {
  const r = fakeResult(['review: auc 0.9999 is far above what the reference reaches (0.986)']);
  const text = formatResult(r);
  assert.match(text, /^PASS {11}alice/);
  assert.match(text, '✓ trained with model.fit (integrity signal): fit_calls 1 >= 1');
  assert.match(text, '✓ AUC: auc 0.9999 > 0.97');
  assert.not.match(text, /AUC \(integrity signal\)/);
  assert.match(text, 'flagged: review: auc 0.9999 is far above what the reference reaches (0.986)');
});

test('console: a failing item\'s hint is shown once (on the item), other reason lines as reason', () => {
  const j = judge(outcome({}), prepared({ auc: 0.3, fit_calls: 1 }), [auc, fit]);
  assert.is(j.verdict, 'FAIL');
  const hint = 'an AUC below 0.5 means your scores may be reversed: larger must mean the positive class';
  assert.ok(j.reason?.includes(hint), `the reason carries the hint for JUnit and the platforms: ${j.reason}`);
  const text = formatResult({ ...fakeResult(), verdict: j.verdict, rubric: j.rubric, reason: `${j.reason}\nverification stage: model did not load` });
  assert.is(text.split(hint).length - 1, 1, text);
  assert.match(text, /reason: verification stage: model did not load/);
});

test('JUnit names integrity-signal cases and carries evidence as a property; flags as suite properties', () => {
  const r = fakeResult(['review: auc too high']);
  const summary: BatchSummary = {
    assignment: r.assignment, mode: 'grade', total: 1, passed: 1, reused: 0, counts: { PASS: 1 }, points: r.points, maxPoints: r.maxPoints, elapsedSec: 1, interrupted: false, results: [r],
  };
  const xml = junitXml(summary);
  assert.match(xml, 'name="trained with model.fit (fit_calls >= 1) [integrity signal]"');
  assert.match(xml, 'name="AUC (auc > 0.97)"');
  assert.match(xml, /<property name="evidence" value="signal"\/>/);
  assert.match(xml, /<property name="evidence" value="measured"\/>/);
  assert.match(xml, /<property name="flagged" value="review: auc too high"\/>/);
  assert.match(xml, /<property name="verdict" value="PASS"\/>/);
});

// ---- the source size cap ----

test('limits: maxSourceKiB defaults to 1024, from limits.json', () => {
  assert.is(loadDefaultLimits().maxSourceKiB, 1024);
  const p = join(root, 'old-limits.json');
  writeFileSync(p, JSON.stringify({ timeLimitSec: 300, memoryLimitMiB: 2048, maxBatchSize: 512 }));
  assert.is(loadDefaultLimits(p).maxSourceKiB, 1024);
  writeFileSync(p, JSON.stringify({ timeLimitSec: 300, memoryLimitMiB: 2048, maxBatchSize: 512, maxSourceKiB: 0 }));
  assert.throws(() => loadDefaultLimits(p), /maxSourceKiB: must be >= 1/);
  const a = loadAssignment(tinySiameseAssignment(root, 'source-cap', { limits: { maxSourceKiB: 64 } }));
  assert.is(effectiveLimits(loadDefaultLimits(), a).maxSourceKiB, 64);
});

test('compileSubmission refuses source over maxSourceBytes, naming the limit and who sets it', async () => {
  const dir = join(root, 'big-src');
  writeSubmission(dir, 'index.ts', `export const table = '${'7'.repeat(6000)}';\nexport async function train() {}\n`);
  const err = await compileSubmission(join(dir, 'index.ts'), dir, join(root, 'big.cjs'), { maxSourceBytes: 4 * 1024 }).then(() => undefined, (e) => e as Error);
  assert.ok(err instanceof CompileError, String(err));
  assert.match(err!.message, /index\.ts is 5\.9 KiB: a submission's source files may total at most 4 KiB/);
  assert.match(err!.message, /maxSourceKiB = 4/);
  assert.match(err!.message, /instructor can configure/);
  // Under the cap it compiles.
  await compileSubmission(join(dir, 'index.ts'), dir, join(root, 'big.cjs'), { maxSourceBytes: 8 * 1024 });
});

test('the real pipeline: a submission over maxSourceKiB is BAD_SUBMISSION naming the limit', async () => {
  const dataDir = writeTinyMnist(join(root, 'idx'));
  const assignment = loadAssignment(tinySiameseAssignment(root, 'cap-pipeline'));
  const subs = join(root, 'cap-subs');
  writeSubmission(subs, 'lookup.ts', `const TABLE = '${'0123456789'.repeat(300)}';\nexport async function train() { return TABLE; }\nexport async function distance() { return [0]; }\n`);
  const summary = await runBatch({
    assignment, submissions: discoverSubmissions([join(subs, 'lookup.ts')]), mode: 'grade', secret: testSecret(), outDir: join(root, 'cap-out'),
    concurrency: 1, limits: { timeLimitSec: 20, memoryLimitMiB: 768, maxBatchSize: 64, maxSourceKiB: 2 }, cacheRoot: join(root, 'cache'), dataDir, backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  const r = summary.results[0]!;
  assert.is(r.verdict, 'BAD_SUBMISSION', r.reason);
  assert.match(r.reason!, /lookup\.ts is 3 KiB: a submission's source files may total at most 2 KiB \(the limit maxSourceKiB = 2, which the instructor can configure/);
  assert.is(r.limits.maxSourceKiB, 2);
});

test.run();
