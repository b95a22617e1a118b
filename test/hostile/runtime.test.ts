// Hostile submissions that attack the sandbox at run time, from inside the
// runner's own process: forging or patching the result channel, reaching the
// runner's functions, loaders and require beyond the built-ins, v8 flags,
// heap snapshots, tracing, batch sizes that are not numbers, a giant error.
// Each is a file in test/hostile/submissions/runtime-*.ts whose first line
// says its verdict and reason; they are graded here through the real
// pipeline, with an honest twin that uses Node's modules the ordinary way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatch, type BatchSummary } from '../../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../../grader/grade/discover.ts';
import { quietReporter } from '../../grader/report/console.ts';
import { detectIsolation } from '../../grader/sandbox/capabilities.ts';
import { buildRunner } from '../../grader/sandbox/compile.ts';
import { OutputTail } from '../../grader/sandbox/output-tail.ts';
import { loadAssignment, REPO_ROOT } from '../../grader/spec/load.ts';
import { tempDir, testSecret, tinySiameseAssignment, writeSubmission, writeTinyMnist } from '../helpers/fixtures.ts';

const FIXTURES = join(REPO_ROOT, 'test/hostile/submissions');
const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'));
const cacheRoot = join(root, 'cache');
const assignment = loadAssignment(tinySiameseAssignment(root));
const subs = join(root, 'subs');

const HONEST = `import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'path';
import * as os from 'os';
import * as util from 'node:util';
import { EventEmitter } from 'events';
import { createHash } from 'crypto';
import { gzipSync, gunzipSync } from 'zlib';

export async function train(_data, ctx) {
  const events = new EventEmitter();
  let heard = 0;
  events.on('note', () => heard++);
  events.emit('note');
  const file = path.join(ctx.outDir, 'notes.txt');
  fs.writeFileSync(file, util.format('%d cpus, %s, heard %d', os.cpus().length, os.platform(), heard));
  const back = gunzipSync(gzipSync(fs.readFileSync(file))).toString();
  if (!back.includes('heard 1')) throw new Error('round trip: ' + back);
  createHash('sha256').update(back).digest('hex');
  require('v8').getHeapStatistics();
  await require('fs/promises').readFile(file);
  // Number-like batch sizes within the limit pass, as numbers.
  tf.data.array([1, 2, 3, 4]).batch(new Number(2));
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  await m.fit(tf.zeros([40, 2]), tf.zeros([40, 1]), { batchSize: '16', epochs: 2 });
  await m.fit(tf.zeros([40, 2]), tf.zeros([40, 1]), { epochs: 1 });
  return null;
}
export async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
`;

interface Expectation { verdicts: string[]; reason: RegExp }
const expected = new Map<string, Expectation>();
let results: Map<string, BatchSummary['results'][number]>;

function expectationOf(file: string): Expectation {
  const m = /^\/\/ expect: ([A-Z_|-]+) \/(.*)\/\s*$/.exec(readFileSync(file, 'utf8').split('\n')[0] ?? '');
  if (!m) throw new Error(`${file}: first line must be "// expect: VERDICT /reason regex/"`);
  return { verdicts: m[1]!.split('|'), reason: new RegExp(m[2]!) };
}

test.before(async () => {
  const names: string[] = [];
  for (const name of readdirSync(FIXTURES).filter((n) => /^runtime-.*\.ts$/.test(n)).sort()) {
    expected.set(name.replace(/\.ts$/, ''), expectationOf(join(FIXTURES, name)));
    names.push(join(FIXTURES, name));
  }
  writeSubmission(subs, 'honest.ts', HONEST);
  const summary = await runBatch({
    assignment, submissions: discoverSubmissions([...names, join(subs, 'honest.ts')]), mode: 'grade', secret: testSecret(), outDir: join(root, 'out'),
    concurrency: 2, limits: { timeLimitSec: 20, memoryLimitMiB: 768, maxBatchSize: 64, maxSourceKiB: 1024 }, cacheRoot, dataDir, backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  results = new Map(summary.results.map((r) => [r.submission.id, r]));
});

const verdict = (id: string) => {
  const r = results.get(id);
  assert.ok(r, `no result for ${id}`);
  return r!;
};

test('every runtime-* submission gets the verdict and reason its header names', () => {
  assert.ok(expected.size >= 15, `${expected.size} runtime-* files`);
  const wrong: string[] = [];
  for (const [id, want] of expected) {
    const r = verdict(id);
    const ok = (want.verdicts.includes(r.verdict) || (want.verdicts.includes('ANY-FAIL') && r.verdict !== 'PASS')) && want.reason.test(r.reason ?? '');
    if (!ok) wrong.push(`${id}: got ${r.verdict} "${(r.reason ?? '').slice(0, 300)}", want ${want.verdicts.join('|')} ${want.reason}`);
    assert.is.not(r.verdict, 'PASS', id);
  }
  assert.equal(wrong, []);
});

test('the honest twin, using fs/path/os/util/events/crypto/zlib the ordinary way, passes', () => {
  const r = verdict('honest');
  assert.is(r.verdict, 'PASS', r.reason);
  assert.is(r.environment.backend?.name, 'wasm');
});

test('forged lines on fd 3 are refused as forged; the backend they claimed is not recorded', () => {
  for (const id of ['runtime-forged-result', 'runtime-forged-memory']) {
    const r = verdict(id);
    assert.is(r.verdict, 'TAMPERED', `${id}: ${r.reason}`);
    assert.is.not(r.environment.backend?.name, 'tensorflow 9.9.9');
  }
});

test('patching JSON.stringify, fs.writeSync, call/apply, toJSON or reaching for runner functions changes nothing the runner sends', () => {
  for (const id of ['runtime-patch-stringify', 'runtime-patch-writesync', 'runtime-patch-call', 'runtime-reach-runner']) {
    const r = verdict(id);
    assert.is(r.verdict, 'BAD_OUTPUT', `${id}: ${r.reason}`);
    assert.not.match(r.reason!, /grader machine/);
  }
  assert.is(verdict('runtime-tojson').verdict, 'BAD_OUTPUT', verdict('runtime-tojson').reason);
});

test('a 10-million-line error message becomes a short, truncated reason', () => {
  const r = verdict('runtime-error-flood');
  assert.is(r.verdict, 'CRASH');
  assert.ok(r.reason!.length < 16_000, `reason is ${r.reason!.length} characters`);
  assert.match(r.reason!, /truncated: \d+ more characters/);
  assert.match(r.reason!, /runtime-error-flood\.ts:\d+:\d+/); // still the student's own frame
});

test('number-like batch sizes are checked as numbers', () => {
  assert.match(verdict('runtime-batch-number').reason!, /batch size 4096 exceeds/);
  assert.match(verdict('runtime-batch-string').reason!, /batch size 4096 exceeds/);
});

// Run on their own, under a short time limit (a loop that trains until time runs out).
const FIT_LOOP = `import * as tf from '@tensorflow/tfjs';
export async function train() {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 1 })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const x = tf.randomNormal([64, 4]), y = tf.randomNormal([64, 1]);
  while (true) await m.fit(x, y, { epochs: 1 });
}
export async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }
`;
// Goes around the backend guard: through the Engine prototype, then by writing the engine's fields.
const BACKEND_AROUND = `import * as tf from '@tensorflow/tfjs';
export async function train() {
  const engine = tf.engine();
  await Object.getPrototypeOf(engine).setBackend.call(engine, 'cpu');
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => null, 99);
  if (tf.getBackend() !== 'wasm') throw new Error('the guard let setBackend through: ' + tf.getBackend());
  engine.backendName = 'cpu';
  engine.backendInstance = tf.findBackend('cpu');
}
export async function distance(_m, a, b) {
  const x = a.dataSync(), y = b.dataSync(), n = a.shape[0], per = x.length / n, out = [];
  for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < per; j++) s += (x[i * per + j] - y[i * per + j]) ** 2; out.push(Math.sqrt(s)); }
  return out;
}
`;

test('a loop of fit calls that runs out of time says which fit call it was in', async () => {
  const dir = join(root, 'loop-subs');
  const summary = await runBatch({
    assignment, submissions: discoverSubmissions([writeSubmission(dir, 'fit-loop.ts', FIT_LOOP)]), mode: 'grade', secret: testSecret(), outDir: join(root, 'out-loop'),
    concurrency: 1, limits: { timeLimitSec: 6, memoryLimitMiB: 768, maxBatchSize: 64, maxSourceKiB: 1024 }, cacheRoot, dataDir, backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  const r = summary.results[0]!;
  assert.is(r.verdict, 'TIME_LIMIT', r.reason);
  const m = /reached in fit call (\d+), at epoch 1 of 1 \(last loss [\d.e-]+\)/.exec(r.reason ?? '');
  assert.ok(m, r.reason);
  assert.ok(Number(m![1]) > 2, r.reason);
});

test('a submission that moves TF.js off the grader\'s backend is warned: ignored calls, and the backend it was on at the end', async () => {
  const dir = join(root, 'backend-subs');
  const summary = await runBatch({
    assignment, submissions: discoverSubmissions([writeSubmission(dir, 'backend-around.ts', BACKEND_AROUND)]), mode: 'grade', secret: testSecret(), outDir: join(root, 'out-backend'),
    concurrency: 1, limits: { timeLimitSec: 20, memoryLimitMiB: 768, maxBatchSize: 64, maxSourceKiB: 1024 }, cacheRoot, dataDir, backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  const r = summary.results[0]!;
  assert.is(r.verdict, 'PASS', r.reason);
  assert.is(r.environment.backend?.name, 'wasm');
  const w = r.warnings ?? [];
  assert.ok(w.includes("tf.setBackend('cpu') was ignored: the grader runs every submission on wasm"), w.join('\n'));
  assert.ok(w.includes("tf.removeBackend('wasm') was ignored: the grader runs every submission on wasm"), w.join('\n'));
  assert.ok(w.includes("tf.registerBackend('wasm') was ignored: the grader runs every submission on wasm"), w.join('\n'));
  assert.ok(w.some((x) => /^TF\.js was on 'cpu'.*, not wasm, when the submission finished/.test(x)), w.join('\n'));
});

test('the output tail leaves out the jail tools\' own lines (kept apart for the grader)', () => {
  const tail = new OutputTail();
  tail.push(Buffer.from('epoch 1 loss 0.3\nunshare: sigprocmask unblock failed\nsetpriv: cannot set'));
  tail.push(Buffer.from(' groups\nbwrap: Can\'t mount proc on /newroot/proc: Operation not permitted\n'));
  tail.push(Buffer.from('timeout: the monitored command dumped core\nsh: 1: cannot create /sys/fs/cgroup/x: Permission denied\nmy timeout: 30 s\nsh is a shell\n'));
  assert.equal(tail.lines(), ['epoch 1 loss 0.3', 'my timeout: 30 s', 'sh is a shell']);
  assert.equal(tail.jailLines(), [
    'unshare: sigprocmask unblock failed', 'setpriv: cannot set groups', "bwrap: Can't mount proc on /newroot/proc: Operation not permitted",
    'timeout: the monitored command dumped core', 'sh: 1: cannot create /sys/fs/cgroup/x: Permission denied',
  ]);
});

test('the runner is one strict-mode bundle and refuses to run without its key', async () => {
  const runner = await buildRunner(cacheRoot);
  assert.ok(readFileSync(runner, 'utf8').startsWith('"use strict";'), 'runner bundle is strict');
  const job = join(root, 'nokey');
  mkdirSync(job, { recursive: true });
  writeFileSync(join(job, 'job.json'), '{}');
  const run = (keyFd: boolean) => new Promise<{ code: number | null; stderr: string }>((res) => {
    const child = spawn(process.execPath, [runner, join(job, 'job.json')], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', ...(keyFd ? ['pipe' as const] : [])], env: { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules') },
    });
    if (keyFd) (child.stdio[4] as NodeJS.WritableStream).end(); // an empty key pipe
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => { clearTimeout(timer); res({ code, stderr }); });
  });
  const noFd = await run(false);
  assert.is.not(noFd.code, 0);
  assert.match(noFd.stderr, /refusing to run without the job's key on fd 4/);
  const empty = await run(true);
  assert.is.not(empty.code, 0);
  assert.match(empty.stderr, /the key pipe was empty; refusing to run/);
});

test.run();
