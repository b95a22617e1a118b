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
