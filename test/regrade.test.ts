// Regrading after a fix: a rerun regrades only what a change affects.
// A rubric change re-judges PASS/FAIL results from their stored metrics and
// runs nothing; a task change reruns everything; a crash is run again whatever
// changed; report/ and cli/ code are not in the resume key at all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary, type Reporter } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { canRejudge, withPrevious } from '../grader/grade/regrade.ts';
import { formatSummary, quietReporter } from '../grader/report/console.ts';
import type { SubmissionResult } from '../grader/report/result.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { loadAssignment, REPO_ROOT } from '../grader/spec/load.ts';
import { computeFingerprint, isPresentation } from '../grader/util/fingerprint.ts';
import { tempDir, testSecret, tinySiameseAssignment, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'));
const cacheRoot = join(root, 'cache');
const subs = join(root, 'subs');
const out = join(root, 'out');
const TASK = { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 2, predictBatch: 50 };
const rubric = (threshold: number, title = 'AUC', points = 1, op = '>') => [{ id: 'auc', title, metric: 'auc', op, threshold, points, evidence: 'measured' }];

const TF = `import * as tf from '@tensorflow/tfjs';\n`;
const TRAIN = `export async function train() { return null; }\n`;
// Three honest-to-goodness scorers of different quality, and one that crashes.
const pixel = `${TF}${TRAIN}export async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }\n`;
const reversed = `${TF}${TRAIN}export async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt().neg()); }\n`;
const middling = `${TF}${TRAIN}export async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).abs().slice([0, 0, 0, 0], [-1, 10, 28, 1]).sum([1, 2, 3])); }\n`;
const crashes = `${TF}export async function train() { throw new Error('deliberate'); }\nexport async function distance() { return []; }\n`;

/** A reporter that counts sandbox starts: a re-judgement starts none. */
function counting(): Reporter & { starts: string[] } {
  const starts: string[] = [];
  return { ...quietReporter(), starts, start: (id: string) => { starts.push(id); } };
}

function writeSpec(overrides: Record<string, unknown>): string {
  return tinySiameseAssignment(root, 'regrade', { task: TASK, ...overrides });
}

async function grade(reporter: Reporter, resume = true): Promise<BatchSummary> {
  const assignment = loadAssignment(join(root, 'regrade'));
  return runBatch({
    assignment, submissions: discoverSubmissions([subs]), mode: 'grade', secret: testSecret(), outDir: out,
    concurrency: 2, limits: { timeLimitSec: 30, memoryLimitMiB: 1024, maxBatchSize: 64, maxSourceKiB: 1024 }, cacheRoot, dataDir, backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume, reporter,
  });
}

const byId = (s: BatchSummary) => new Map(s.results.map((r) => [r.submission.id, r]));
const onDisk = (id: string): SubmissionResult => JSON.parse(readFileSync(join(out, 'results', `${id}.json`), 'utf8'));

let first: Map<string, SubmissionResult>;

test.before(async () => {
  writeSubmission(subs, 'pixel.ts', pixel);
  writeSubmission(subs, 'reversed.ts', reversed);
  writeSubmission(subs, 'middling.ts', middling);
  writeSubmission(subs, 'crashes.ts', crashes);
  writeSpec({ rubric: rubric(0, 'AUC', 1, '>=') }); // every AUC passes ">= 0"
  const r = counting();
  const s = await grade(r);
  assert.is(r.starts.length, 4, 'the first run runs everyone');
  first = byId(s);
});

test('the first run: PASS for the three scorers (AUC >= 0), CRASH for the fourth; judge inputs stored; no previous', () => {
  for (const id of ['pixel', 'reversed', 'middling']) {
    const r = first.get(id)!;
    assert.is(r.verdict, 'PASS', `${id}: ${r.reason}`);
    assert.ok(r.judgeInputs, `${id} keeps what its judgement rests on`);
    assert.is(r.previous, undefined);
    assert.ok(canRejudge(r, loadAssignment(join(root, 'regrade')).spec.rubric));
  }
  assert.is(first.get('crashes')!.verdict, 'CRASH');
  assert.not.ok(canRejudge(first.get('crashes')!, loadAssignment(join(root, 'regrade')).spec.rubric), 'a crash is not re-judged from metrics');
  assert.ok(first.get('reversed')!.metrics.auc! < 0.5, 'the reversed scorer ranks pairs backwards');
  assert.ok(first.get('pixel')!.metrics.auc! > first.get('reversed')!.metrics.auc!);
});

test('a rubric-only change re-judges from stored metrics: no PASS/FAIL submission runs, verdicts change with previous set', async () => {
  const cut = (first.get('pixel')!.metrics.auc! + first.get('middling')!.metrics.auc!) / 2;
  const [hi, lo] = first.get('pixel')!.metrics.auc! > first.get('middling')!.metrics.auc! ? ['pixel', 'middling'] : ['middling', 'pixel'];
  writeSpec({ rubric: rubric(cut, 'AUC (tightened)', 3) });
  const r = counting();
  const s = await grade(r);
  assert.equal(r.starts, ['crashes'], 'only the crash ran again (its verdict does not come from metrics)');
  assert.is(s.rejudged, 3);
  assert.is(s.regraded, 1, 'the crash, run again');
  const now = byId(s);
  for (const id of ['pixel', 'reversed', 'middling']) {
    const was = first.get(id)!, is = now.get(id)!;
    assert.is(is.startedAt, was.startedAt, `${id} was not run again`);
    assert.equal(is.usage, was.usage, `${id}: the run's usage is the stored one`);
    assert.equal(is.metrics, was.metrics);
    assert.is(is.gradingKey, was.gradingKey, 'the run key ignores the rubric');
    assert.is.not(is.assignment.specHash, was.assignment.specHash);
    assert.is(is.maxPoints, 3);
    assert.is(is.rubric[0]!.title, 'AUC (tightened)');
    assert.ok(is.judgedAt! > was.judgedAt!);
    assert.equal(onDisk(id), is, `${id}: the re-judged result is written`);
  }
  assert.is(now.get(hi)!.verdict, 'PASS');
  assert.equal(now.get(hi)!.previous, { verdict: 'PASS', points: 1, gradedAt: first.get(hi)!.judgedAt }, 'points went 1 → 3');
  assert.is(now.get(lo)!.verdict, 'FAIL');
  assert.equal(now.get(lo)!.previous, { verdict: 'PASS', points: 1, gradedAt: first.get(lo)!.judgedAt });
  const rev = now.get('reversed')!;
  assert.is(rev.verdict, 'FAIL');
  assert.match(rev.reason ?? '', /reversed/, 'the AUC hint shows now that the item fails');
  assert.match(rev.rubric[0]!.detail, new RegExp(`^auc \\S+ ≤ ${String(cut).replace('.', '\\.')}`));
  assert.is(now.get('crashes')!.verdict, 'CRASH');
  assert.is(now.get('crashes')!.previous, undefined, 'CRASH, 0 points, as before: nothing changed');
  assert.is(s.changed, 3);
  assert.match(formatSummary(s), /; 3 re-judged from stored metrics, 1 regraded, 3 changed\n$/);
});

test('a title-only change re-judges without changes (no previous); the same spec again reuses everything', async () => {
  const before = byId(await grade(counting()));
  const tightened = loadAssignment(join(root, 'regrade')).spec.rubric[0]!;
  writeSpec({ rubric: [{ ...tightened, title: 'Area under the ROC curve' }] });
  const r = counting();
  const s = await grade(r);
  assert.equal(r.starts, ['crashes']);
  assert.is(s.rejudged, 3);
  assert.is(s.changed, 0);
  for (const [id, was] of before) {
    if (id === 'crashes') continue;
    const is = byId(s).get(id)!;
    assert.is(is.verdict, was.verdict);
    assert.is(is.previous, undefined, `${id}: same verdict and points: nothing to show`);
    assert.is(is.rubric[0]!.title, 'Area under the ROC curve');
  }
  const again = counting();
  const same = await grade(again);
  assert.equal(again.starts, [], 'nothing changed: a crash is reused too');
  assert.is(same.reused, 4);
  assert.is(same.rejudged, 0);
  assert.not.match(formatSummary(same), /re-judged/);
});

test('a task parameter change reruns everything; previous says what changed', async () => {
  const before = byId(await grade(counting()));
  const spec = JSON.parse(readFileSync(join(root, 'regrade', 'assignment.json'), 'utf8'));
  writeSpec({ rubric: spec.rubric, task: { ...TASK, positivesPerClass: 5 } });
  const r = counting();
  const s = await grade(r);
  assert.equal(r.starts.sort(), ['crashes', 'middling', 'pixel', 'reversed']);
  assert.is(s.rejudged, 0);
  assert.is(s.regraded, 4);
  for (const [id, was] of before) {
    const is = byId(s).get(id)!;
    assert.is.not(is.gradingKey, was.gradingKey, `${id}: another run key`);
    assert.is.not(is.startedAt, was.startedAt, `${id} ran again`);
    if (is.verdict !== was.verdict || is.points !== was.points) assert.equal(is.previous, { verdict: was.verdict, points: was.points, gradedAt: was.judgedAt });
    else assert.is(is.previous, undefined);
  }
  // --no-resume runs everything, and still says what changed.
  const forced = counting();
  const all = await grade(forced, false);
  assert.is(forced.starts.length, 4);
  assert.is(all.regraded, 4);
});

test('withPrevious: set only when the verdict or points changed; an earlier previous never carries over', () => {
  const base = { verdict: 'PASS', points: 1, finishedAt: 't0' } as SubmissionResult;
  assert.is(withPrevious({ ...base, previous: { verdict: 'X', points: 0, gradedAt: 'old' } }, base).previous, undefined);
  assert.equal(withPrevious({ ...base, points: 2 }, { ...base, judgedAt: 't1' }).previous, { verdict: 'PASS', points: 1, gradedAt: 't1' });
  assert.equal(withPrevious({ ...base, verdict: 'FAIL', points: 0 }, base).previous, { verdict: 'PASS', points: 1, gradedAt: 't0' });
  assert.is(withPrevious({ ...base, verdict: 'FAIL' }, undefined).previous, undefined);
});

test('the grader fingerprint: report/ and cli/ code and intake change nothing; task, sandbox and judge code do', () => {
  const copy = join(tempDir(), 'repo');
  mkdirSync(copy, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(REPO_ROOT, f), join(copy, f));
  cpSync(join(REPO_ROOT, 'grader'), join(copy, 'grader'), { recursive: true });
  const base = computeFingerprint(copy);
  const touch = (rel: string) => writeFileSync(join(copy, 'grader', rel), `${readFileSync(join(copy, 'grader', rel), 'utf8')}\n// edited\n`);
  for (const rel of ['report/console.ts', 'cli/main.ts', 'grade/intake.ts', 'grade/roster.ts', 'grade/discover.ts']) {
    assert.ok(isPresentation(rel), rel);
    touch(rel);
    assert.is(computeFingerprint(copy), base, `${rel} is presentation only`);
  }
  // A package only reports use (not named by the run's code) regrades nobody.
  const pkg = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(copy, 'package-lock.json'), 'utf8'));
  pkg.dependencies['report-only-lib'] = '1.0.0';
  lock.packages['node_modules/report-only-lib'] = { version: '1.0.0', integrity: 'sha512-x' };
  writeFileSync(join(copy, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(copy, 'package-lock.json'), JSON.stringify(lock));
  assert.is(computeFingerprint(copy), base, 'a package the run does not use');
  lock.packages['node_modules/@tensorflow/tfjs'].integrity = 'sha512-another';
  writeFileSync(join(copy, 'package-lock.json'), JSON.stringify(lock));
  const newTf = computeFingerprint(copy);
  assert.is.not(newTf, base, 'another tfjs build regrades');
  for (const rel of ['grade/judge.ts', 'tasks/types.ts', 'sandbox/channel.ts', 'metrics/auc.ts']) {
    assert.not.ok(isPresentation(rel), rel);
    const was = computeFingerprint(copy);
    touch(rel);
    assert.is.not(computeFingerprint(copy), was, `${rel} decides runs or scores`);
  }
});

test.run();
