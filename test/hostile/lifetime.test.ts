// Nothing outlives the grader: a SIGKILLed grader's sandboxes die with it (no
// timer of the grader's is needed), and the next grader removes the cgroups,
// mounts and job folders the killed one left. bin.js forwards signals and
// reports a killed grader as killed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { detectIsolation } from '../../grader/sandbox/capabilities.ts';
import { cleanStale } from '../../grader/sandbox/cleanup.ts';
import { OWNER_TAG } from '../../grader/sandbox/owner.ts';
import { join } from 'node:path';
import { REPO_ROOT } from '../../grader/spec/load.ts';
import { tempDir, tinySiameseAssignment, writeSubmission, writeTinyMnist } from '../helpers/fixtures.ts';
import { sandboxLeftovers, waitForNoLeftovers } from '../helpers/leftovers.ts';

const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'));
const assignment = tinySiameseAssignment(root);
const cls = join(root, 'class');
const LOOP = `import * as tf from '@tensorflow/tfjs';\nexport async function train() { while (true) {} }\nexport async function distance(_m, a) { return tf.zeros([a.shape[0]]); }\n`;
writeSubmission(cls, 'spin-a.ts', LOOP);
writeSubmission(cls, 'spin-b.ts', LOOP);

function start(cacheDir: string, viaBin = false): ChildProcess {
  const cli = viaBin ? [join(REPO_ROOT, 'grader/cli/bin.js')] : ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts')];
  return spawn(process.execPath, [...cli, 'grade', assignment, cls, '--out', join(cacheDir, 'out'), '--cache-dir', cacheDir, '--data-dir', dataDir, '--time-limit', '60', '--concurrency', '2', '-q'],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } });
}

/** Waits until `n` sandboxed node processes run from this cache. */
async function sandboxesRunning(cacheDir: string, n: number): Promise<number[]> {
  for (let i = 0; i < 300; i++) {
    const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(process.execPath) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(join(cacheDir, 'jobs')); } catch { return false; }
    }).map(Number);
    if (pids.length >= n) return pids;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the sandboxes did not start');
}

const exited = (c: ChildProcess) => new Promise<{ code: number | null; signal: string | null; err: string }>((res) => {
  let err = '';
  c.stderr!.on('data', (d: Buffer) => { err += d; });
  c.on('close', (code, signal) => res({ code, signal, err }));
});

test('SIGKILL of the grader: its sandboxes die at once; the next grader cleans up what was left', async () => {
  const cacheDir = join(root, 'cache-kill');
  const g = start(cacheDir);
  const done = exited(g);
  await sandboxesRunning(cacheDir, 2);
  g.kill('SIGKILL');
  await done;
  const left = await waitForNoLeftovers(cacheDir, g.pid!, 3000);
  assert.equal(left.processes, [], 'no sandbox outlives its grader');
  // Its cgroups and job folders are still there: the next grader removes them before it starts.
  const stale = sandboxLeftovers(cacheDir, g.pid!);
  const g2 = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), 'grade', assignment, join(cls, 'spin-a.ts'), '--out', join(cacheDir, 'out2'), '--cache-dir', cacheDir, '--data-dir', dataDir, '--time-limit', '2'],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } });
  const r2 = await exited(g2);
  assert.is(r2.code, 1, r2.err);
  if (stale.cgroups.length + stale.jobFolders.length > 0) assert.match(r2.err, /cleaned up after a grader that was killed/);
  assert.equal(sandboxLeftovers(cacheDir, g.pid!), { processes: [], cgroups: [], jobFolders: [], mounts: [] });
  assert.equal(await waitForNoLeftovers(cacheDir, g2.pid!), { processes: [], cgroups: [], jobFolders: [], mounts: [] });
});

test('bin.js forwards SIGTERM (the grader stops and says so) and reports a grader killed by a signal', async () => {
  const cacheDir = join(root, 'cache-term');
  const g = start(cacheDir, true);
  const done = exited(g);
  await sandboxesRunning(cacheDir, 2);
  g.kill('SIGTERM');
  const r = await done;
  assert.is(r.code, 130, r.err);
  assert.match(r.err, /stopping; finished results are kept/);
  assert.equal((await waitForNoLeftovers(cacheDir, g.pid!)).processes, []);
});

test('bin.js killed outright: the grader notices and stops, and its sandboxes go with it', async () => {
  const cacheDir = join(root, 'cache-orphan');
  const g = start(cacheDir, true);
  const done = exited(g);
  await sandboxesRunning(cacheDir, 2);
  g.kill('SIGKILL');
  await done;
  const left = await waitForNoLeftovers(cacheDir, 0, 8000);
  assert.equal(left.processes, [], 'the orphaned grader stopped its sandboxes');
});

test('start-up clean-up: a dead grader\'s compiler and sandbox cgroups, job folders and mounts go; a live grader\'s stay', () => {
  const iso = detectIsolation();
  const parents = [iso.cgroupParents?.memory, iso.cgroupParents?.pids].filter((p): p is string => !!p);
  const cacheDir = join(root, 'cache-stale');
  // pid 1 never has start time 1: an owner that is gone. OWNER_TAG is this (live) process.
  const dead = ['1.1-compile-0-1-abcd', '1.1-student-xyz'], live = `${OWNER_TAG}-compile-0-1-live`;
  for (const p of parents) for (const n of [...dead, live]) mkdirSync(join(p, `dlgrade-${n}`), { recursive: true });
  for (const n of [...dead, live]) mkdirSync(join(cacheDir, 'jobs', n, 'out'), { recursive: true });
  const report = cleanStale(cacheDir, iso);
  try {
    for (const p of parents) {
      for (const n of dead) assert.not.ok(existsSync(join(p, `dlgrade-${n}`)), `${p}/dlgrade-${n} removed`);
      assert.ok(existsSync(join(p, `dlgrade-${live}`)), 'a running grader\'s cgroup is kept');
    }
    assert.equal(readdirSync(join(cacheDir, 'jobs')), [live]);
    assert.is(report.cgroups, dead.length * parents.length);
    assert.is(report.folders, dead.length);
  } finally {
    for (const p of parents) try { rmdirSync(join(p, `dlgrade-${live}`)); } catch { /* gone */ }
  }
});

test.run();
