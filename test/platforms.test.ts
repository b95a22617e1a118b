// Course platforms (issue 14): Gradescope's results.json and autograder bundle, PrairieLearn's
// external grader. Writers are checked against schemas written from each platform's published
// format; the exported scripts are run as the platform runs them, against temporary folders laid
// out as the platform lays them out, on the tiny siamese fixture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { REPO_ROOT } from '../grader/spec/load.ts';
import { computeFingerprint } from '../grader/util/fingerprint.ts';
import { gradescopeFailure, gradescopeProblems, gradescopeResults, writeGradescopeResults } from '../grader/report/gradescope.ts';
import { prairielearnFailure, prairielearnProblems, prairielearnResults } from '../grader/report/prairielearn.ts';
import { pickSubmission } from '../grader/cli/platform-run.ts';
import type { SubmissionResult } from '../grader/report/result.ts';
import { cliBatch, type CliRun } from './helpers/cli-batch.ts';
import { TEST_SECRET, tempDir, tinySiameseAssignment, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'));
const assignment = tinySiameseAssignment(root);
const cacheDir = join(root, 'cache');
const TF = `import * as tf from '@tensorflow/tfjs';\n`;
const PASSING = `${TF}export async function train() {}\nexport async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }\n`;
const CRASHING = `${TF}export async function train() { console.log('carol was here'); throw new Error('oops'); }\nexport async function distance() {}\n`;
const NOT_COMPILING = `export async function train( { return 1 }\n`;

// The three export commands, run once as one batch in one process (test/helpers/cli-batch.ts).
const EXPORTS: Record<string, string[]> = {
  gradescope: ['export', 'gradescope', assignment, '--out', join(root, 'gs-bundle')],
  precious: ['export', 'gradescope', assignment, '--out', join(root, 'precious')],
  prairielearn: ['export', 'prairielearn', assignment, '--out', join(root, 'pl-export')],
};
// Not an earlier export: the second gradescope export must refuse to overwrite it.
mkdirSync(join(root, 'precious'));
writeSubmission(join(root, 'precious'), 'notes.txt', 'mine');
let exported: Record<string, CliRun> | undefined;
function exportRun(name: keyof typeof EXPORTS): CliRun {
  if (!exported) {
    const names = Object.keys(EXPORTS);
    const runs = cliBatch(names.map((n) => ({ args: EXPORTS[n]! })), { cwd: root });
    exported = Object.fromEntries(names.map((n, i) => [n, runs[i]!]));
  }
  return exported[name]!;
}

/** A SubmissionResult as run-batch makes one, for the writers' own tests. */
function result(over: Partial<SubmissionResult> = {}): SubmissionResult {
  const item = (passed: boolean, value: number | null) => ({
    id: 'auc', title: 'AUC', metric: 'auc', op: '>' as const, threshold: 0.97, points: 3, evidence: 'measured' as const,
    value, passed, detail: value === null ? 'not measured: CRASH' : `auc ${value} ${passed ? '>' : '<='} 0.97`,
  });
  const signal = { id: 'fit', title: 'fit used', metric: 'fitCalls', op: '>=' as const, threshold: 1, points: 1, evidence: 'signal' as const, value: 1, passed: true, detail: 'fitCalls 1 >= 1' };
  return {
    schemaVersion: 1, submission: { id: 'alice', path: '/x/alice.ts', sha256: 'a'.repeat(64) },
    assignment: { id: 'siamese-mnist', title: 'Siamese', specHash: 'h' }, mode: 'grade', gradingKey: 'k',
    verdict: 'PASS', rubric: [item(true, 0.9843), signal], metrics: { auc: 0.9843, fitCalls: 1 }, points: 4, maxPoints: 4,
    outputTail: ['epoch 1 loss 0.2'], outputBytes: 17,
    usage: { elapsedSec: 18.4, cpuSec: 17.9, peakMiB: 300, compileSec: 0.01, harnessSec: 0.4 },
    limits: { timeLimitSec: 300, memoryLimitMiB: 2048, maxBatchSize: 512 } as SubmissionResult['limits'],
    environment: { dlgrade: '0.1.0', graderHash: 'g', node: 'v20', platform: 'linux', cpus: 2, packages: {}, isolation: {} as SubmissionResult['environment']['isolation'], backend: { name: 'wasm' } as SubmissionResult['environment']['backend'] },
    dataset: { name: 'mnist', checksum: 'c', evaluatedOn: 'test', drawId: '0123456789abcdef' }, seed: 7,
    startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:18Z',
    ...over,
  };
}
const crashed = () => result({
  verdict: 'CRASH', reason: 'Error: oops <script>alert(1)</script>\n    at train (index.ts:2:9)', points: 0, metrics: {},
  rubric: result().rubric.map((r) => ({ ...r, value: null, passed: false, detail: 'not measured: CRASH' })), outputTail: ['carol was here'],
});

test('Gradescope writer: one test per rubric item, measured value vs threshold, verdict on top; valid against the spec schema', () => {
  const pass = gradescopeResults(result({ warnings: ['close to the memory limit: peak 1900 MiB of 2048 MiB'], flags: ['review: auc 0.9999 above 0.998'] }));
  assert.equal(gradescopeProblems(pass), []);
  assert.is(pass.score, 4);
  assert.is(pass.tests!.length, 2);
  assert.equal(pass.tests![0], { ...pass.tests![0], name: 'AUC (auc > 0.97)', score: 3, max_score: 3, status: 'passed', number: '1' });
  assert.match(pass.tests![0]!.output!, /measured auc = 0\.9843; required auc > 0\.97: met/);
  assert.match(pass.tests![1]!.name!, /\[integrity signal\]$/);
  assert.match(pass.output!, /^PASS: 4 of 4 points/);
  assert.match(pass.output!, /Warnings:\n  - close to the memory limit/);
  // Review flags are for the instructor: stored, not in anything a student reads.
  assert.not.match(JSON.stringify([pass.output, pass.tests]), /review/);
  assert.equal((pass.extra_data!.dlgrade as { flags: string[] }).flags, ['review: auc 0.9999 above 0.998']);
  assert.is(pass.stdout_visibility, 'hidden');
  assert.is(pass.output_format, 'text'); // student strings are never rendered as HTML
  assert.is(pass.execution_time, 18);

  const crash = gradescopeResults(crashed(), { visibility: 'after_due_date' });
  assert.equal(gradescopeProblems(crash), []);
  assert.is(crash.score, 0);
  assert.ok(crash.tests!.every((t) => t.status === 'failed' && t.score === 0 && t.visibility === 'after_due_date'));
  assert.match(crash.tests![0]!.output!, /not measured: the run ended with CRASH \(Error: oops/);
  assert.match(crash.output!, /^CRASH: 0 of 4 points/);
  assert.match(crash.output!, /Last lines your program printed:\n  carol was here/);

  const broken = gradescopeFailure('grader', 'bwrap: cannot create a namespace');
  assert.equal(gradescopeProblems(broken), []);
  assert.is(broken.score, 0);
  assert.match(broken.output!, /not your fault/);
});

test('Gradescope schema: written from the spec, it refuses what the spec does not allow', () => {
  assert.ok(gradescopeProblems({ tests: [{ name: 'a', status: 'passed' }] }).length > 0, 'no score anywhere');
  assert.equal(gradescopeProblems({ tests: [{ name: 'a', score: 1, max_score: 1 }] }), []);
  assert.ok(gradescopeProblems({ score: 1, tests: [{ status: 'ok' }] }).some((p) => p.startsWith('/tests/0/status')));
  assert.ok(gradescopeProblems({ score: 1, visibility: 'students' }).length > 0);
  assert.ok(gradescopeProblems({ score: 1, max_points: 3 }).length > 0, 'unknown key');
  assert.throws(() => writeGradescopeResults(join(root, 'bad.json'), { score: 1, output_format: 'rtf' } as never), /Gradescope's specification/);
});

test('PrairieLearn writer: score in [0, 1], tests with points; not gradable only for invalid input and grader errors', () => {
  const pass = prairielearnResults(result({ rubric: [result().rubric[0]!, { ...result().rubric[1]!, passed: false, value: 0 }], points: 3 }));
  assert.equal(prairielearnProblems(pass), []);
  assert.is(pass.gradable, true);
  assert.is(pass.score, 0.75);
  assert.equal(pass.tests!.map((t) => [t.points, t.max_points]), [[3, 3], [0, 1]]);
  assert.match(pass.tests![0]!.output!, /measured auc = 0\.9843; required auc > 0\.97: met/);

  const crash = prairielearnResults(crashed());
  assert.equal(prairielearnProblems(crash), []);
  assert.equal([crash.gradable, crash.score], [true, 0]);
  assert.match(crash.message!, /^CRASH/);

  for (const verdict of ['BAD_SUBMISSION', 'GRADER_ERROR'] as const) {
    const r = prairielearnResults(result({ verdict, reason: 'index.ts:1:30: Expected ")" but found "{"', points: 0 }));
    assert.equal(prairielearnProblems(r), []);
    assert.is(r.gradable, false, verdict);
    assert.is(r.score, undefined);
    assert.match(String(r.format_errors), /Expected "\)"/);
  }
  assert.equal(prairielearnProblems(prairielearnFailure('upload', 'two files')), []);
  // The schema is the docs': score needed when gradable, within [0, 1], every test with points and max_points.
  assert.ok(prairielearnProblems({ gradable: true }).length > 0);
  assert.equal(prairielearnProblems({ gradable: false }), []);
  assert.ok(prairielearnProblems({ score: 1.5 }).length > 0);
  assert.ok(prairielearnProblems({ score: 1, tests: [{ name: 'a', points: 1 }] }).length > 0);
  assert.ok(prairielearnProblems({ score: 1, output: 'x'.repeat(1_000_001) }).some((p) => /1 MB/.test(p)));
});

test('which upload is one submission', () => {
  const up = join(root, 'uploads');
  writeSubmission(join(up, 'one'), 'mine.ts', PASSING);
  writeSubmission(join(up, 'entry'), 'index.ts', PASSING);
  writeSubmission(join(up, 'entry'), 'model.ts', PASSING);
  writeSubmission(join(up, 'nested', 'siamese'), 'index.ts', PASSING);
  writeSubmission(join(up, 'two'), 'a.ts', PASSING);
  writeSubmission(join(up, 'two'), 'b.ts', PASSING);
  mkdirSync(join(up, 'empty'));
  assert.equal(pickSubmission(join(up, 'one')), { path: join(up, 'one', 'mine.ts') });
  assert.equal(pickSubmission(join(up, 'entry')), { path: join(up, 'entry') });
  assert.equal(pickSubmission(join(up, 'nested')), { path: join(up, 'nested', 'siamese') });
  assert.match((pickSubmission(join(up, 'two')) as { problem: string }).problem, /found: a\.ts, b\.ts/);
  assert.match((pickSubmission(join(up, 'empty')) as { problem: string }).problem, /upload is empty/);
});

/** Lays out a Gradescope /autograder in a temp folder, runs the bundle's run_autograder there, returns results.json and dlgrade's own result. */
function runGradescope(bundle: string, name: string, files: Record<string, string>) {
  const ag = join(root, `ag-${name}`);
  cpSync(bundle, join(ag, 'source'), { recursive: true });
  mkdirSync(join(ag, 'results'), { recursive: true });
  for (const [f, code] of Object.entries(files)) writeSubmission(join(ag, 'submission'), f, code);
  const t0 = performance.now();
  const r = spawnSync('bash', [join(ag, 'source', 'run_autograder')], {
    encoding: 'utf8', cwd: ag,
    env: { ...process.env, DLGRADE_SECRET: undefined, DLGRADE_GS_ROOT: ag, DLGRADE_HOME: REPO_ROOT, DLGRADE_DATA_DIR: dataDir, DLGRADE_CACHE_DIR: cacheDir, DLGRADE_WORK_DIR: join(ag, 'work') },
  });
  const seconds = (performance.now() - t0) / 1000;
  const results = JSON.parse(readFileSync(join(ag, 'results', 'results.json'), 'utf8'));
  const dir = join(ag, 'work', 'out', 'results');
  let own: SubmissionResult | undefined;
  try { own = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')); } catch { /* not graded */ }
  return { code: r.status, log: r.stdout + r.stderr, results, own, seconds };
}

test('dlgrade export gradescope: a bundle whose run_autograder grades a submission as Gradescope lays it out', () => {
  const out = join(root, 'gs-bundle');
  const e = exportRun('gradescope');
  assert.is(e.code, 0, e.err);
  assert.match(e.out, /gs-bundle\.zip \(upload this to Gradescope\)/);
  for (const f of ['setup.sh', 'run_autograder', 'README.md', 'dlgrade.json', 'secret', 'NODE_VERSION', 'assignments/tiny-siamese/assignment.json', 'dlgrade/package-lock.json', 'dlgrade/grader/cli/platform-run.ts']) {
    assert.ok(statSync(join(out, f)).isFile(), f);
  }
  assert.is(statSync(join(out, 'secret')).mode & 0o777, 0o600);
  assert.is(readFileSync(join(out, 'secret'), 'utf8'), TEST_SECRET);
  assert.ok(statSync(join(out, 'run_autograder')).mode & 0o100);
  assert.not.ok(readdirSync(join(out, 'dlgrade')).includes('node_modules'));
  // The bundled grader is this grader: same version, lockfile and code.
  assert.is(computeFingerprint(join(out, 'dlgrade')), computeFingerprint(REPO_ROOT));
  // The zip holds the files at its root (Gradescope's requirement), executables still executable.
  const zip = unzipSync(readFileSync(`${out}.zip`));
  assert.ok('setup.sh' in zip && 'run_autograder' in zip && 'dlgrade/grader/cli/bin.js' in zip);
  assert.is(Buffer.from(zip['run_autograder']!).toString(), readFileSync(join(out, 'run_autograder'), 'utf8'));
  for (const script of ['setup.sh', 'run_autograder']) {
    const n = spawnSync('bash', ['-n', join(out, script)], { encoding: 'utf8' });
    assert.is(n.status, 0, `${script}: ${n.stderr}`);
  }
  // Refuses to overwrite a folder that is not an earlier export.
  assert.is(exportRun('precious').code, 2);
  assert.is(readFileSync(join(root, 'precious', 'notes.txt'), 'utf8'), 'mine');

  const pass = runGradescope(out, 'pass', { 'siamese.ts': PASSING });
  console.log(`    run_autograder on the tiny fixture: ${pass.seconds.toFixed(1)} s`);
  assert.is(pass.code, 0, pass.log);
  assert.equal(gradescopeProblems(pass.results), [], JSON.stringify(pass.results));
  assert.ok(pass.own, pass.log);
  assert.is(pass.own!.verdict, 'PASS');
  assert.is(pass.own!.mode, 'grade');
  assert.is(pass.results.score, pass.own!.points);
  assert.is(pass.results.tests[0].max_score, 1);
  assert.match(pass.results.tests[0].output, /measured auc = [\d.]+; required auc > 0\.9: met/);
  assert.match(pass.results.output, /^PASS: 1 of 1 points/);
  // Graded with the bundle's secret (TEST_SECRET, not the environment's: it was unset).
  assert.is(pass.own!.dataset.drawId, (pass.results.extra_data.dlgrade as { drawId: string }).drawId);
  assert.match(pass.log, /dlgrade grade .*assignments\/tiny-siamese .*siamese\.ts .*--secret-file/);

  const crash = runGradescope(out, 'crash', { 'index.ts': CRASHING });
  assert.is(crash.code, 0, crash.log); // a failing student is a score, not an autograder failure
  assert.equal(gradescopeProblems(crash.results), []);
  assert.is(crash.results.score, 0);
  assert.match(crash.results.output, /^CRASH: 0 of 1 points/);
  assert.match(crash.results.output, /oops/);
  assert.match(crash.results.output, /carol was here/);

  const two = runGradescope(out, 'two', { 'a.ts': PASSING, 'b.ts': PASSING });
  assert.is(two.code, 0);
  assert.equal(gradescopeProblems(two.results), []);
  assert.is(two.results.score, 0);
  assert.match(two.results.output, /could not be graded as one submission:\nupload one .ts or .js file/);
  assert.is(two.own, undefined);

  // No Node at all: run_autograder still leaves a valid results.json.
  const ag = join(root, 'ag-nonode');
  cpSync(out, join(ag, 'source'), { recursive: true });
  const r = spawnSync('bash', [join(ag, 'source', 'run_autograder')], { encoding: 'utf8', env: { ...process.env, DLGRADE_GS_ROOT: ag, DLGRADE_HOME: REPO_ROOT, DLGRADE_NODE: '/nonexistent/node' } });
  assert.is(r.status, 0);
  const last = JSON.parse(readFileSync(join(ag, 'results', 'results.json'), 'utf8'));
  assert.equal(gradescopeProblems(last), []);
  assert.match(last.output, /could not start/);
});

test('dlgrade export prairielearn: the external grader reads /grade/student and writes /grade/results/results.json', () => {
  const out = join(root, 'pl-export');
  const e = exportRun('prairielearn');
  assert.is(e.code, 0, e.err);
  const cfg = join(out, 'serverFilesCourse', 'dlgrade-tiny-siamese');
  for (const f of ['run', 'dlgrade.json', 'secret', 'assignments/tiny-siamese/assignment.json']) assert.ok(statSync(join(cfg, f)).isFile(), f);
  assert.ok(statSync(join(out, 'image', 'Dockerfile')).isFile() && statSync(join(out, 'image', 'dlgrade', 'package-lock.json')).isFile());
  const info = JSON.parse(readFileSync(join(out, 'questions', 'tiny-siamese', 'info.json'), 'utf8'));
  assert.equal([info.gradingMethod, info.externalGradingOptions.entrypoint, info.externalGradingOptions.enableNetworking], ['External', '/grade/serverFilesCourse/dlgrade-tiny-siamese/run', false]);
  assert.ok(info.externalGradingOptions.timeout <= 600);
  assert.is(spawnSync('bash', ['-n', join(cfg, 'run')]).status, 0);

  const grade = (name: string, files: Record<string, string>) => {
    const g = join(root, `pl-${name}`);
    mkdirSync(join(g, 'serverFilesCourse'), { recursive: true });
    cpSync(cfg, join(g, 'serverFilesCourse', 'dlgrade-tiny-siamese'), { recursive: true });
    for (const [f, code] of Object.entries(files)) writeSubmission(join(g, 'student'), f, code);
    const r = spawnSync('bash', [join(g, 'serverFilesCourse', 'dlgrade-tiny-siamese', 'run')], {
      encoding: 'utf8', env: { ...process.env, DLGRADE_SECRET: undefined, DLGRADE_PL_ROOT: g, DLGRADE_HOME: REPO_ROOT, DLGRADE_DATA_DIR: dataDir, DLGRADE_CACHE_DIR: cacheDir, DLGRADE_WORK_DIR: join(g, 'work') },
    });
    return { code: r.status, log: r.stdout + r.stderr, results: JSON.parse(readFileSync(join(g, 'results', 'results.json'), 'utf8')) };
  };
  const pass = grade('pass', { 'index.ts': PASSING });
  assert.is(pass.code, 0, pass.log);
  assert.equal(prairielearnProblems(pass.results), []);
  assert.equal([pass.results.gradable, pass.results.score], [true, 1], pass.log);
  assert.equal([pass.results.tests[0].points, pass.results.tests[0].max_points], [1, 1]);

  const crash = grade('crash', { 'index.ts': CRASHING });
  assert.equal(prairielearnProblems(crash.results), []);
  assert.equal([crash.results.gradable, crash.results.score], [true, 0]);
  assert.match(crash.results.message, /^CRASH/);

  const broken = grade('broken', { 'index.ts': NOT_COMPILING });
  assert.equal(prairielearnProblems(broken.results), []);
  assert.is(broken.results.gradable, false, broken.log);
  assert.match(broken.results.message, /^BAD_SUBMISSION/);
  assert.ok(broken.results.format_errors.length > 0);
});

test.run();
