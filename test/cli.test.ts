// The CLI as CI and instructors use it: exit codes, resumable batches,
// JSON and JUnit reports (read back with a real XML parser).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { ASSIGNMENTS_DIR, REPO_ROOT } from '../grader/spec/load.ts';
import { nativeAvailable } from '../grader/backend/resolve.ts';
import { ENTRY_NAMES } from '../grader/grade/discover.ts';
import { formatWritten } from '../grader/report/console.ts';
import { cliBatch, type CliRun } from './helpers/cli-batch.ts';
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

// The commands whose outcome depends on nothing another test does (usage errors, a refused rubric,
// two self-checks), run as one batch in one process the first time a test asks for them.
const badMetric = tinySiameseAssignment(root, 'bad-metric', { rubric: [{ id: 'acc', title: 'Accuracy', metric: 'accuracy', op: '>', threshold: 0.9, points: 1 }] });
const folderSub = join(root, 'folder-sub');
writeSubmission(folderSub, 'main.mjs', readFileSync(join(subs, 'alice.ts'), 'utf8'));
writeSubmission(folderSub, 'helper.ts', 'export const x = 1;\n');
const INDEPENDENT: Record<string, string[]> = {
  help: ['--help'],
  none: [],
  soon: ['grade', assignment, subs, '--time-limit', 'soon'],
  above: ['grade', assignment, subs, '--time-limit', '999'],
  missing: ['grade', assignment, join(root, 'missing')],
  half: ['grade', assignment, subs, '--concurrency', '1.5'],
  ...(nativeAvailable() ? {} : { native: ['grade', assignment, subs, '--backend', 'tensorflow', '--allow-native'] }),
  badMetric: ['grade', badMetric, subs, '--out', join(root, 'out-bad-metric'), ...common],
  folder: ['check', assignment, folderSub, '--out', join(root, 'chk-folder'), ...common],
  jsonLines: ['check', assignment, join(subs, 'alice.ts'), '--json', '-', ...common, '--out', join(root, 'chk')],
};
let independentRuns: Record<string, CliRun> | undefined;
function independent(name: keyof typeof INDEPENDENT): CliRun {
  if (!independentRuns) {
    const names = Object.keys(INDEPENDENT);
    const runs = cliBatch(names.map((n) => ({ args: INDEPENDENT[n]! })), { cwd: root, env: { ...process.env, CI: 'true' } });
    independentRuns = Object.fromEntries(names.map((n, i) => [n, runs[i]!]));
  }
  return independentRuns[name]!;
}

test('--help and usage errors', () => {
  const h = independent('help');
  assert.is(h.code, 0);
  assert.match(h.out, /dlgrade grade <assignment>/);
  assert.match(h.out, /Exit codes/);
  assert.match(h.out, /dlgrade init <assignment> \[dir\]/);
  // Every entry name discovery and the compiler accept, and what a folder is.
  assert.ok(ENTRY_NAMES.includes('index.ts') && ENTRY_NAMES.includes('main.mjs'));
  for (const name of ENTRY_NAMES) assert.ok(h.out.includes(name), `--help names ${name}`);
  assert.match(h.out, /a folder is one submission/);
  assert.is(independent('none').code, 2);
  const bad = independent('soon');
  assert.is(bad.code, 2);
  assert.match(bad.err, /--time-limit must be a positive number, got "soon"/);
  const above = independent('above');
  assert.is(above.code, 2);
  assert.match(above.err, /above what tiny-siamese allows \(60\); pass --force/);
  assert.match(independent('missing').err, /missing: no such file or folder/);
  // Caught before any student runs, not as one CRASH per student.
  const half = independent('half');
  assert.is(half.code, 2);
  assert.match(half.err, /--concurrency must be a whole number of submissions, got "1\.5"/);
  if (!nativeAvailable()) {
    const tf = independent('native');
    assert.is(tf.code, 2);
    assert.match(tf.err, /@tensorflow\/tfjs-node is not installed here/);
  }
  // A usage error ends a CLI process of its own with exit code 2 too (the batch above reports what main() returned).
  assert.is(cli('grade', assignment, subs, '--time-limit', 'soon').code, 2);
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
  // The run ends with where everything went (relative to the working directory, which holds out/).
  const tail = r.err.slice(r.err.indexOf('1/3 passed'));
  assert.match(tail, /\n\s*results:\s+out\/results\/ \(3 files, one per submission\)\n/);
  assert.match(tail, /\n\s*summary:\s+out\/summary\.json\n/);
  assert.match(tail, /\n\s*junit:\s+out\/junit\.xml\n/);
  assert.match(tail, /\n\s*json:\s+out\/all\.json\n/);
  assert.not.match(tail, /artifacts:/, 'the siamese task renders nothing');
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

// The siamese reference passing on wasm with a trained CNN (and a weak one failing) is graded in
// test/image-assignments.test.ts (WORK4, on the real rubric, AUC > 0.97); JUnit's pass, failure and
// error cases through the CLI are in 'grading a class' above.

test('a rerun resumes: graded submissions are reused, changed ones regraded', () => {
  const out = join(root, 'out');
  const aliceJson = join(out, 'results', 'alice.json');
  const before = statSync(aliceJson).mtimeMs;
  writeSubmission(subs, 'bob.ts', readFileSync(join(subs, 'alice.ts'), 'utf8')); // bob fixes his work
  // Three runs one after the other, in one process (alice.json looked at right after the first).
  const [r, noResume, quiet] = cliBatch([
    { args: ['grade', assignment, subs, '--out', out, ...common], snapshot: [aliceJson] },
    { args: ['grade', assignment, join(subs, 'alice.ts'), '--out', out, '--no-resume', ...common], snapshot: [aliceJson] },
    { args: ['grade', assignment, join(subs, 'alice.ts'), '--out', out, '-q', ...common] },
  ], { cwd: root, env: { ...process.env, CI: 'true' } });
  assert.match(r!.err, /2 already graded/);
  assert.is(r!.files[aliceJson]!.mtimeMs, before, 'alice was not regraded');
  assert.match(r!.err, /PASS\s+bob/);
  assert.not.match(noResume!.err, /already graded/);
  assert.ok(noResume!.files[aliceJson]!.mtimeMs > before, '--no-resume graded alice again');
  // -q: the summary line, then the paths, on stderr; nothing on stdout.
  assert.is(quiet!.code, 0, quiet!.err);
  assert.is(quiet!.out, '');
  assert.match(quiet!.err, /^1\/1 passed\n\s*results:\s+out\/results\/ \(1 file, one per submission\)\n\s*summary:\s+out\/summary\.json\n\s*gradebook:\s+out\/gradebook\.csv\n\s*report:\s+out\/report\.html\n\s*reports:\s+out\/reports\/ \(1 page, one per submission\)\n$/);
});

test('one --out holds one assignment in one mode: another is refused before grading, the same one resumes', () => {
  const out = join(root, 'out'); // graded above: tiny-siamese, grade mode
  const before = readFileSync(join(out, 'summary.json'), 'utf8');
  const other = tinySiameseAssignment(root, 'other-siamese');
  // A folder left by a killed run (results, no summary yet) is recognised too.
  const killed = join(root, 'out-killed');
  mkdirSync(join(killed, 'results'), { recursive: true });
  writeFileSync(join(killed, 'results', 'alice.json'), readFileSync(join(out, 'results', 'alice.json')));
  const summaryFile = join(out, 'summary.json');
  const [r, chk, k, again] = cliBatch([
    { args: ['grade', other, subs, '--out', out, ...common] },
    { args: ['check', assignment, join(subs, 'alice.ts'), '--out', out, ...common] },
    { args: ['grade', other, subs, '--out', killed, ...common], snapshot: [summaryFile] },
    // The same assignment and mode into the same folder resumes.
    { args: ['grade', assignment, subs, '--out', out, ...common] },
  ], { cwd: root, env: { ...process.env, CI: 'true' } });
  assert.is(r!.code, 2, r!.err);
  assert.match(r!.err, /out holds results of assignment tiny-siamese \(grade\), not of other-siamese \(grade\); use another --out or remove it/);
  assert.not.match(r!.err, /\n\s+at /, 'no stack trace');
  assert.is(chk!.code, 2, chk!.err);
  assert.match(chk!.err, /out holds results of assignment tiny-siamese \(grade\), not of tiny-siamese \(check\)/);
  assert.is(k!.files[summaryFile]!.text, before, 'the first assignment\'s summary is untouched');
  assert.not.ok(existsSync(join(out, 'results', 'other-siamese.json')));
  assert.is(k!.code, 2, k!.err);
  assert.match(k!.err, /out-killed holds results of assignment tiny-siamese \(grade\)/);
  assert.is(again!.code, 1, again!.err); // carol still crashes
  assert.match(again!.err, /3 already graded/);
});

test('a folder is one submission, whichever entry name it uses (main.mjs here)', () => {
  const r = independent('folder');
  assert.match(r.err, /PASS\s+folder-sub/, r.err);
  assert.match(r.err, /1\/1 passed/);
  assert.is(r.code, 0);
});

test('a rubric metric the task does not compute: exit 2 before any student runs, naming it and the ones available', () => {
  const r = independent('badMetric');
  assert.is(r.code, 2, r.err);
  assert.match(r.err, /assignment\.json: rubric\[0\]\.metric "accuracy" is not computed by task siamese-pairs \(it computes: auc, best_accuracy[^)]*\)/);
  assert.not.match(r.err, /start|PASS|FAIL|CRASH/, 'no student ran');
  assert.not.ok(existsSync(join(root, 'out-bad-metric', 'summary.json')));
});

test('the closing lines: paths relative to the working directory inside it, absolute outside; artifacts when there are some', () => {
  const w = { out: '/srv/class/out', results: '/srv/class/out/results', resultFiles: 1, summary: '/srv/class/out/summary.json', junit: '/tmp/j.xml', artifacts: '/srv/class/out/artifacts' };
  assert.is(formatWritten(w, '/srv/class'),
    '  results:   out/results/ (1 file, one per submission)\n  summary:   out/summary.json\n  junit:     /tmp/j.xml\n  artifacts: out/artifacts/\n');
});

test('init: the starter, its statement and a tsconfig that type-checks it against the installed tfjs', () => {
  const dir = join(root, 'init');
  mkdirSync(dir);
  const tsc = (project: string) => spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { encoding: 'utf8', cwd: dir });
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), 'init', 'siamese-mnist'], { encoding: 'utf8', cwd: dir });
  assert.is(r.status, 0, r.stderr);
  const made = join(dir, 'siamese-mnist');
  assert.equal(readdirSync(made).sort(), ['README.md', 'index.ts', 'tsconfig.json']);
  assert.is(readFileSync(join(made, 'index.ts'), 'utf8'), readFileSync(join(ASSIGNMENTS_DIR, 'siamese-mnist', 'starter.ts'), 'utf8'));
  assert.is(readFileSync(join(made, 'README.md'), 'utf8'), readFileSync(join(ASSIGNMENTS_DIR, 'siamese-mnist', 'README.md'), 'utf8'));
  for (const f of ['siamese-mnist/index.ts', 'siamese-mnist/README.md', 'siamese-mnist/tsconfig.json']) assert.ok(r.stdout.includes(f), `names ${f}`);
  assert.match(r.stdout, /dlgrade check siamese-mnist siamese-mnist\n/);
  const config = JSON.parse(readFileSync(join(made, 'tsconfig.json'), 'utf8'));
  assert.is(config.compilerOptions.strict, true);
  assert.is(config.compilerOptions.noEmit, true);
  // A type error is reported, against the tfjs types (a Tensor4D is not a string), and it is the only
  // one: the starter as init wrote it type-checks cleanly through its tsconfig.json.
  appendFileSync(join(made, 'index.ts'), '\nexport const wrong: string = tf.zeros([1, 28, 28, 1]) as tf.Tensor4D;\n');
  const wrongLine = readFileSync(join(made, 'index.ts'), 'utf8').split('\n').findIndex((l) => l.startsWith('export const wrong')) + 1;
  const broken = tsc(made);
  assert.is(broken.status, 2, broken.stdout);
  assert.match(broken.stdout, new RegExp(`index\\.ts\\(${wrongLine},\\d+\\): error TS2322: Type 'Tensor4D' is not assignable to type 'string'`));
  assert.is(broken.stdout.match(/error TS\d+/g)?.length, 1, broken.stdout);
  // The rest runs as one batch of CLI calls in one process, in the same working directory.
  const all = join(dir, 'all');
  const ids = readdirSync(ASSIGNMENTS_DIR).filter((id) => existsSync(join(ASSIGNMENTS_DIR, id, 'starter.ts')));
  assert.ok(ids.length >= 12);
  const [again, next, ...inits] = cliBatch([
    { args: ['init', 'siamese-mnist'] },
    { args: ['check', 'siamese-mnist', 'siamese-mnist', '--time-limit', '9999'] },
    ...ids.map((id) => ({ args: ['init', id, join(all, id)] })),
  ], { cwd: dir });
  // Refuses to overwrite, naming the files; the student's work is untouched.
  assert.is(again!.code, 2);
  assert.match(again!.err, /siamese-mnist\/index\.ts, siamese-mnist\/README\.md, siamese-mnist\/tsconfig\.json already exist/);
  assert.match(readFileSync(join(made, 'index.ts'), 'utf8'), /export const wrong/);
  // The next command it printed finds the assignment, not the student's folder of the same name in the working directory.
  assert.is(next!.code, 2);
  assert.match(next!.err, /above what siamese-mnist allows/, 'the assignment loaded (then the limit was refused)');
  // Every bundled starter type-checks cleanly through the tsconfig init writes (one tsc run over all of them).
  inits.forEach((x, i) => assert.is(x.code, 0, `${ids[i]}: ${x.err}`));
  writeFileSync(join(all, 'tsconfig.json'), JSON.stringify({ extends: `./${ids[0]}/tsconfig.json`, include: ['*/index.ts'] }));
  const every = tsc(all);
  assert.is(every.status, 0, every.stdout);
});

test('check mode and JSON lines for machines', () => {
  const r = independent('jsonLines');
  assert.is(r.code, 0, r.err);
  const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(events[0].event, 'begin');
  assert.is(events[0].mode, 'check');
  const result = events.find((e) => e.event === 'result').result;
  assert.match(result.dataset.evaluatedOn, /held-back training images \(check mode/);
  assert.is(events.at(-2).event, 'summary');
  assert.equal(events.at(-1), { event: 'written', out: join(root, 'chk'), results: join(root, 'chk', 'results'), resultFiles: 1, summary: join(root, 'chk', 'summary.json'),
    gradebook: join(root, 'chk', 'gradebook.csv'), html: join(root, 'chk', 'report.html'), reports: join(root, 'chk', 'reports'), reportFiles: 1 });
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

test('a reader that goes away (dlgrade list | true) ends the run quietly, not with an EPIPE stack trace', () => {
  // `true` exits without reading, long before the CLI has started: every write meets a closed pipe.
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${join(REPO_ROOT, 'grader/cli/bin.js')}" list | true`], { encoding: 'utf8', cwd: REPO_ROOT });
  assert.is(r.stderr, '');
});

test.run();
