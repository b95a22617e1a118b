// Every hostile submission of test/hostile/submissions, plus a few that can
// only be made at run time (a named pipe, a sparse 3 GiB file, a host unix
// socket), graded as ONE class through the CLI, with honest students among
// them. Each file's first line says what it must get:
//   // expect: VERDICT[|VERDICT…] /regex its reason must match/
// The class must complete with exactly one result per student, no hostile
// one passing, the summary written, the grader's memory bounded, and nothing
// left running, mounted or on disk afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../grader/spec/load.ts';
import { expectationHeader, tempDir, tinySiameseAssignment, writeSubmission, writeTinyMnist } from '../helpers/fixtures.ts';
import { sandboxLeftovers } from '../helpers/leftovers.ts';
import { detectIsolation } from '../../grader/sandbox/capabilities.ts';

const FIXTURES = join(REPO_ROOT, 'test/hostile/submissions');
/** What the grader process may use at most while grading this class (RSS). */
const GRADER_PEAK_BOUND_MIB = 700;

const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'));
const assignment = tinySiameseAssignment(root);
const cacheDir = join(root, 'cache');
const cls = join(root, 'class');
const HONEST = `import * as tf from '@tensorflow/tfjs';\nexport async function train() {}\nexport async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }\n`;

interface Expectation { verdicts: string[]; reason: RegExp }
const expected = new Map<string, Expectation>();

function expectationOf(file: string): Expectation {
  const e = expectationHeader(file);
  if (!e) throw new Error(`${file}: first line must be "// expect: VERDICT /reason regex/"`);
  return { verdicts: e.verdicts, reason: e.pattern };
}

const bwrap = detectIsolation().filesystem === 'bwrap';
const socketPath = join('/tmp', `dlgrade-host-socket-${process.pid}`);
let socketConnections = 0;
const server = createServer((s) => { socketConnections++; s.destroy(); });

test.before(async () => {
  await new Promise<void>((res) => server.listen(socketPath, res));
  for (const name of readdirSync(FIXTURES)) {
    const src = join(FIXTURES, name);
    const id = name.replace(/\.(ts|js)$/, '');
    cpSync(src, join(cls, name), { recursive: true });
    expected.set(id, expectationOf(statSync(src).isDirectory() ? join(src, readdirSync(src).find((f) => /^(index|main)\./.test(f))!) : src));
  }
  // Made here: things git cannot hold, or that name this run's paths.
  writeSubmission(join(cls, 'fifo-in-folder'), 'index.ts', HONEST);
  spawnSync('mkfifo', [join(cls, 'fifo-in-folder', 'pipe')]);
  expected.set('fifo-in-folder', { verdicts: ['BAD_SUBMISSION'], reason: /pipe is a named pipe/ });
  writeSubmission(join(cls, 'sparse-3gib'), 'index.ts', HONEST);
  writeFileSync(join(cls, 'sparse-3gib', 'weights.bin'), '');
  truncateSync(join(cls, 'sparse-3gib', 'weights.bin'), 3 * 1024 ** 3);
  expected.set('sparse-3gib', { verdicts: ['BAD_SUBMISSION'], reason: /MiB/ });
  if (bwrap) writeSubmission(cls, 'jail-host-socket.ts', `import * as tf from '@tensorflow/tfjs';
export async function train() {
  await new Promise((res, rej) => { const s = require('net').connect(${JSON.stringify(socketPath)}); s.on('connect', res); s.on('error', rej); });
}
export async function distance(_m, a) { return tf.zeros([a.shape[0]]); }
`);
  // Only a mount namespace hides host sockets (Node's permission model has no network scope).
  if (bwrap) expected.set('jail-host-socket', { verdicts: ['CRASH'], reason: /ENOENT/ });
  else console.log('  (no bwrap here: the host-socket case is not expected to be refused)');
  for (const name of ['honest-1', 'honest-2', 'honest-3']) writeSubmission(cls, `${name}.ts`, HONEST);
});

test.after(() => { server.close(); });

test('a hostile class is graded to the end: one result each, none passes, bounded grader, nothing left behind', async () => {
  const out = join(root, 'out');
  const args = [
    '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), 'grade', assignment, cls,
    '--out', out, '--cache-dir', cacheDir, '--data-dir', dataDir, '--concurrency', '2', '--time-limit', '8', '--memory-limit', '768', '--json', join(out, 'all.json'), '-q',
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-20000); });
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      peakKiB = Math.max(peakKiB, kib);
    } catch { /* exited */ }
  }, 100);
  const code = await new Promise<number | null>((res) => child.on('close', res));
  clearInterval(poll);
  assert.is(code, 1, `exit code (1 = some did not pass)\n${stderr}`);

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { total: number; results: Array<{ submission: { id: string }; verdict: string; reason?: string }> };
  const ids = summary.results.map((r) => r.submission.id).sort();
  const students = [...expected.keys(), 'honest-1', 'honest-2', 'honest-3'].sort();
  assert.equal(ids, students, 'exactly one result per student');
  assert.equal(readdirSync(join(out, 'results')).sort(), students.map((s) => `${s}.json`), 'one result file each');
  for (const r of summary.results) {
    if (r.submission.id.startsWith('honest-')) {
      assert.is(r.verdict, 'PASS', `${r.submission.id}: ${r.reason}`);
      continue;
    }
    const want = expected.get(r.submission.id)!;
    const ok = want.verdicts.includes(r.verdict) || (want.verdicts.includes('ANY-FAIL') && r.verdict !== 'PASS');
    assert.ok(ok, `${r.submission.id}: got ${r.verdict} (${r.reason?.slice(0, 300)}), expected ${want.verdicts.join('|')}`);
    assert.match(r.reason ?? '', want.reason, `${r.submission.id}: reason "${r.reason?.slice(0, 300)}"`);
  }
  assert.is(socketConnections, 0, 'no sandbox reached the host unix socket');
  assert.ok(peakKiB / 1024 < GRADER_PEAK_BOUND_MIB, `grader peak ${Math.round(peakKiB / 1024)} MiB ≥ ${GRADER_PEAK_BOUND_MIB} MiB`);
  const counts = Object.entries(summary.results.reduce<Record<string, number>>((c, r) => ({ ...c, [r.verdict]: (c[r.verdict] ?? 0) + 1 }), {})).map(([v, n]) => `${v} ${n}`).join(', ');
  console.log(`  hostile class: ${summary.total} students (${counts}; the PASSes are the 3 honest ones), grader peak ${Math.round(peakKiB / 1024)} MiB`);
  const left = sandboxLeftovers(cacheDir, child.pid!);
  assert.equal(left, { processes: [], cgroups: [], jobFolders: [], mounts: [] }, 'nothing left behind');
  assert.not.ok(existsSync(join(cacheDir, 'artifacts')) && readdirSync(join(cacheDir, 'artifacts')).length, 'no kept artifacts');
});

test.run();
