// The CLI as CI and instructors use it: exit codes, resumable batches,
// JSON and JUnit reports (read back with a real XML parser).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { REPO_ROOT } from '../grader/spec/load.ts';
import { nativeAvailable } from '../grader/backend/resolve.ts';
import { tempDir, tinySiameseAssignment, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'));
const assignment = tinySiameseAssignment(root);
const subs = join(root, 'class');
const TF = `import * as tf from '@tensorflow/tfjs';\n`;
writeSubmission(subs, 'alice.ts', `${TF}export async function train() {}\nexport async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }\n`);
writeSubmission(subs, 'bob.ts', `${TF}export async function train() {}\nexport async function distance(_m, a) { return tf.randomUniform([a.shape[0]], 0, 1, 'float32', 1); }\n`);
writeSubmission(subs, 'carol.ts', `${TF}export async function train() { console.log('carol was here'); throw new Error('oops'); }\nexport async function distance() {}\n`);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, CI: 'true' } });
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  return { code: r.status, out: r.stdout, err: plain(r.stderr) };
}
const common = ['--data-dir', dataDir, '--cache-dir', join(root, 'cache'), '--time-limit', '30'];

test('--help and usage errors', () => {
  const h = cli('--help');
  assert.is(h.code, 0);
  assert.match(h.out, /dlgrade grade <assignment>/);
  assert.match(h.out, /Exit codes/);
  assert.is(cli().code, 2);
  const bad = cli('grade', assignment, subs, '--time-limit', 'soon');
  assert.is(bad.code, 2);
  assert.match(bad.err, /--time-limit must be a positive number, got "soon"/);
  const above = cli('grade', assignment, subs, '--time-limit', '999');
  assert.is(above.code, 2);
  assert.match(above.err, /above what tiny-siamese allows \(60\); pass --force/);
  assert.match(cli('grade', assignment, join(root, 'missing')).err, /missing: no such file or folder/);
  // Caught before any student runs, not as one CRASH per student.
  const half = cli('grade', assignment, subs, '--concurrency', '1.5');
  assert.is(half.code, 2);
  assert.match(half.err, /--concurrency must be a whole number of submissions, got "1\.5"/);
  if (!nativeAvailable()) {
    const tf = cli('grade', assignment, subs, '--backend', 'tensorflow', '--allow-native');
    assert.is(tf.code, 2);
    assert.match(tf.err, /@tensorflow\/tfjs-node is not installed here/);
  }
});

test('grading a class: per-submission results, summary, JUnit, exit code 1 when any fails', () => {
  const out = join(root, 'out');
  const r = cli('grade', assignment, subs, '--out', out, '--junit', join(out, 'junit.xml'), '--json', join(out, 'all.json'), '--concurrency', '2', ...common);
  assert.is(r.code, 1, r.err);
  assert.match(r.err, /PASS\s+alice/);
  assert.match(r.err, /FAIL\s+bob/);
  assert.match(r.err, /CRASH\s+carol/);
  assert.match(r.err, /carol was here/, 'the last output lines explain the crash');
  assert.match(r.err, /1\/3 passed/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.counts, { PASS: 1, FAIL: 1, CRASH: 1 });
  const alice = JSON.parse(readFileSync(join(out, 'results', 'alice.json'), 'utf8'));
  for (const key of ['backend', 'packages', 'isolation', 'node']) assert.ok(key in alice.environment || alice.environment.backend, key);
  assert.is(alice.environment.backend.name, 'wasm');
  assert.is(alice.seed, 7);
  assert.ok(alice.dataset.checksum && alice.limits.timeLimitSec === 30 && alice.usage.peakMiB > 0);
  assert.equal(JSON.parse(readFileSync(join(out, 'all.json'), 'utf8')).counts, summary.counts);
  // Two at a time: the third waited in the queue, and its time starts when a worker took it.
  const spans = ['alice', 'bob', 'carol'].map((id) => JSON.parse(readFileSync(join(out, 'results', `${id}.json`), 'utf8')))
    .map((x) => [Date.parse(x.startedAt), Date.parse(x.finishedAt)] as const).sort((p, q) => p[0] - q[0]);
  assert.ok(spans[2]![0] >= Math.min(spans[0]![1], spans[1]![1]) - 250, `the third started at ${spans[2]![0]}, before a worker was free (${spans[0]![1]}, ${spans[1]![1]})`);

  const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, 'junit.xml'), 'utf8'));
  const suites = [xml.testsuites.testsuite].flat();
  assert.is(suites.length, 3);
  const byName = Object.fromEntries(suites.map((s: any) => [s['@_name'], s]));
  assert.not.ok(byName['tiny-siamese / alice'].testcase.failure);
  assert.match(byName['tiny-siamese / bob'].testcase.failure['@_message'], /auc 0\.\d+ ≤ 0\.9/);
  assert.match(byName['tiny-siamese / carol'].testcase.error['@_message'], /CRASH: Error: oops/);
});

test('the siamese reference solution, graded through the CLI, passes; a weak one fails; JUnit says so', () => {
  const out = join(root, 'out-reference');
  const weak = writeSubmission(join(root, 'weak'), 'random-distances.ts', readFileSync(join(subs, 'bob.ts'), 'utf8'));
  const r = cli('grade', assignment, join(REPO_ROOT, 'reference', 'siamese-mnist'), weak, '--out', out, '--junit', join(out, 'junit.xml'), ...common);
  assert.is(r.code, 1, r.err);
  const ref = JSON.parse(readFileSync(join(out, 'results', 'siamese-mnist.json'), 'utf8'));
  assert.is(ref.verdict, 'PASS', r.err);
  assert.ok(ref.metrics.auc > 0.9 && ref.environment.backend.kernels.includes('Conv2DBackpropFilter'), 'a CNN trained on wasm');
  const suites = [new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, 'junit.xml'), 'utf8')).testsuites.testsuite].flat();
  const byName = Object.fromEntries(suites.map((s: any) => [s['@_name'], s]));
  assert.not.ok(byName['tiny-siamese / siamese-mnist'].testcase.failure);
  assert.ok(byName['tiny-siamese / random-distances'].testcase.failure);
});

test('a rerun resumes: graded submissions are reused, changed ones regraded', () => {
  const out = join(root, 'out');
  const before = statSync(join(out, 'results', 'alice.json')).mtimeMs;
  writeSubmission(subs, 'bob.ts', readFileSync(join(subs, 'alice.ts'), 'utf8')); // bob fixes his work
  const r = cli('grade', assignment, subs, '--out', out, ...common);
  assert.match(r.err, /2 already graded/);
  assert.is(statSync(join(out, 'results', 'alice.json')).mtimeMs, before, 'alice was not regraded');
  assert.match(r.err, /PASS\s+bob/);
  const noResume = cli('grade', assignment, join(subs, 'alice.ts'), '--out', out, '--no-resume', ...common);
  assert.not.match(noResume.err, /already graded/);
});

test('check mode and JSON lines for machines', () => {
  const r = cli('check', assignment, join(subs, 'alice.ts'), '--json', '-', ...common, '--out', join(root, 'chk'));
  assert.is(r.code, 0, r.err);
  const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(events[0].event, 'begin');
  assert.is(events[0].mode, 'check');
  const result = events.find((e) => e.event === 'result').result;
  assert.match(result.dataset.evaluatedOn, /train split/);
  assert.is(events.at(-1).event, 'summary');
});

test('Ctrl-C keeps finished results, kills running submissions, and the rerun resumes', async () => {
  const cls = join(root, 'interrupted');
  writeSubmission(cls, 'fast.ts', readFileSync(join(subs, 'alice.ts'), 'utf8'));
  writeSubmission(cls, 'slow.ts', `${TF}export async function train() { while (true) {} }\nexport async function distance() {}\n`);
  const out = join(root, 'out-int');
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), 'grade', assignment, cls, '--out', out, ...common, '--time-limit', '8'], { cwd: root, env: { ...process.env, CI: 'true' }, stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  for (let i = 0; i < 300 && !existsSync(join(out, 'results', 'fast.json')); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(join(out, 'results', 'fast.json')), 'the fast submission finished first');
  child.kill('SIGINT');
  assert.is(await exited, 130);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.is(summary.interrupted, true);
  assert.not.ok(existsSync(join(out, 'results', 'slow.json')), 'an interrupted run is not a verdict');
  // This test's own sandboxes only (their job folders live in its cache); other graders may be running.
  const ours = join(root, 'cache', 'jobs').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.is(spawnSync('pgrep', ['-f', `${ours}/[^ ]*slow`]).stdout.toString().trim(), '', 'no sandboxed process left behind');
  const again = cli('grade', assignment, cls, '--out', out, ...common, '--time-limit', '8'); // same limits: results are reused
  assert.match(again.err, /1 already graded/);
  assert.match(again.err, /TIME_LIMIT\s+slow/);
  assert.is(again.code, 1);
});

test.run();
