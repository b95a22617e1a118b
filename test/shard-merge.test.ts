// A class bigger than one machine: grade --shard i/n on each machine, then
// merge. The merged class must equal grading it whole, and merge must refuse
// shards that were not graded alike or do not cover the class exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { parse } from 'csv-parse/sync';
import { REPO_ROOT } from '../grader/spec/load.ts';
import { main } from '../grader/cli/main.ts';
import { inShard, parseShard, shardOf } from '../grader/grade/shard.ts';
import { tempDir, tinySiameseAssignment, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const root = tempDir();
const dataDir = writeTinyMnist(join(root, 'idx'));
const assignment = tinySiameseAssignment(root);
const subs = join(root, 'class');
const TF = `import * as tf from '@tensorflow/tfjs';\n`;
const pixelDistance = `${TF}export async function train() {}\nexport async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }\n`;
// Six students, two per shard of three (their ids hash so: see the first test).
const CLASS: Record<string, { code: string; verdict: string }> = {
  alice: { code: pixelDistance, verdict: 'PASS' },
  erin: { code: pixelDistance.replace('.sqrt()', ''), verdict: 'PASS' },
  bob: { code: `${TF}export async function train() {}\nexport async function distance(_m, a) { return tf.randomUniform([a.shape[0]], 0, 1, 'float32', 1); }\n`, verdict: 'FAIL' },
  carol: { code: `${TF}export async function train() { throw new Error('oops'); }\nexport async function distance() {}\n`, verdict: 'CRASH' },
  frank: { code: `${TF}export async function train() {}\n`, verdict: 'BAD_SUBMISSION' },
  oscar: { code: `${TF}export async function train() {}\nexport async function distance(_m, a) { return tf.fill([a.shape[0]], NaN); }\n`, verdict: 'BAD_OUTPUT' },
};
for (const [id, s] of Object.entries(CLASS)) writeSubmission(subs, `${id}.ts`, s.code);

const cache = join(root, 'cache');
const common = ['--data-dir', dataDir, '--cache-dir', cache, '--time-limit', '20'];
const cliArgs = (args: string[]) => ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), ...args];
const env = { ...process.env, CI: 'true' };
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, cliArgs(args), { encoding: 'utf8', cwd: root, env });
  return { code: r.status, out: r.stdout, err: plain(r.stderr) };
}

/** The CLI in this process (no grading: usage errors and merges), from `root` as cli() runs it; stdout and stderr captured. */
async function inProcess(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cwd = process.cwd(), write = { out: process.stdout.write, err: process.stderr.write };
  let out = '', err = '';
  process.stdout.write = ((chunk: string | Uint8Array) => { out += chunk.toString(); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { err += chunk.toString(); return true; }) as typeof process.stderr.write;
  process.chdir(root);
  try {
    return { code: await main(args), out, err: plain(err) };
  } finally {
    process.chdir(cwd);
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

/** Several graders at once, as machines (or the README's shell loop) run them. */
function cliParallel(runs: string[][]): Promise<{ code: number | null; err: string }[]> {
  return Promise.all(runs.map((args) => new Promise<{ code: number | null; err: string }>((done) => {
    const p = spawn(process.execPath, cliArgs(args), { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('close', (code) => done({ code, err: plain(err) }));
  })));
}

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
/** What a gradebook shows per student: the verdict, the points and each rubric item's outcome and value. */
const grades = (summary: any) => Object.fromEntries(summary.results.map((r: any) => [r.submission.id, { verdict: r.verdict, points: r.points, maxPoints: r.maxPoints, rubric: r.rubric.map((i: any) => [i.id, i.passed, i.value]) }]));

test('--shard i/n: 0-based, validated, and a student\'s shard depends on their id alone', () => {
  assert.equal(parseShard('0/3'), { index: 0, count: 3 });
  assert.equal(parseShard('2/3'), { index: 2, count: 3 });
  assert.equal(parseShard('0/1'), { index: 0, count: 1 });
  for (const bad of ['3/3', '4/3', '1.5/2', 'x', '-1/3', '0/0', '1/', '/3', '']) assert.throws(() => parseShard(bad), /--shard/, bad);
  assert.throws(() => parseShard('3/3'), /indices count from 0, so the last of 3 is 2\/3/);
  // The slices cover the class once, and adding students moves nobody.
  const ids = Array.from({ length: 200 }, (_, i) => ({ id: `student-${i}` }));
  const slices = [0, 1, 2].map((index) => inShard(ids, { index, count: 3 }).map((s) => s.id));
  assert.is(slices.flat().length, 200);
  assert.is(new Set(slices.flat()).size, 200);
  for (const s of slices) assert.ok(s.length > 40, `every shard gets a fair part (${s.length} of 200)`);
  const more = [...ids, ...Array.from({ length: 50 }, (_, i) => ({ id: `late-${i}` }))];
  assert.equal([0, 1, 2].map((index) => inShard(more, { index, count: 3 }).map((s) => s.id).filter((id) => !id.startsWith('late-'))), slices);
  // Fixed values: the hash is part of the contract between machines (and versions) grading one class.
  assert.equal(['alice', 'bob', 'carol', 'erin', 'frank', 'oscar'].map((id) => shardOf(id, 3)), [1, 0, 0, 2, 2, 1]);
});

test('usage errors: a bad --shard is exit 2 before anything runs', async () => {
  for (const bad of ['3/3', '4/3', '1.5/2', 'x']) {
    const r = await inProcess('grade', assignment, subs, '--shard', bad, '--out', join(root, 'never'), ...common);
    assert.is(r.code, 2, `${bad}: ${r.err}`);
    assert.match(r.err, /--shard/);
    assert.not.ok(existsSync(join(root, 'never')), 'nothing was written');
  }
  assert.is((await inProcess('check', assignment, join(subs, 'alice.ts'), '--shard', '0/2', ...common)).code, 2);
  const h = await inProcess('--help');
  assert.match(h.out, /--shard <i\/n>\s+grade only shard i of n \(0-based/);
  assert.match(h.out, /dlgrade merge <shard-out-dir>… --out <dir>/);
});

const whole = join(root, 'whole');
const shardDirs = [0, 1, 2].map((i) => join(root, `shard-${i}`));
const merged = join(root, 'merged');

test('three shards graded side by side, merged, equal the class graded whole', async () => {
  const t0 = Date.now();
  const [one, ...parts] = await cliParallel([
    ['grade', assignment, subs, '--out', whole, '--concurrency', '2', ...common],
    ...shardDirs.map((dir, i) => ['grade', assignment, subs, '--shard', `${i}/3`, '--out', dir, '--concurrency', '1', ...common]),
  ]);
  assert.is(one!.code, 1, one!.err);
  const single = summaryOf(whole);
  assert.equal(Object.fromEntries(Object.entries(grades(single)).map(([id, g]: [string, any]) => [id, g.verdict])), Object.fromEntries(Object.entries(CLASS).map(([id, s]) => [id, s.verdict])), one!.err);
  assert.is(single.shard, undefined, 'a whole run records no shard');
  parts.forEach((p, i) => {
    assert.ok(p.code === 1 || p.code === 0, p.err);
    assert.match(p.err, new RegExp(`shard ${i}/3: 2 of the class's 6 submissions`));
    const s = summaryOf(shardDirs[i]!);
    assert.equal({ index: s.shard.index, count: s.shard.count, classTotal: s.shard.classTotal }, { index: i, count: 3, classTotal: 6 });
    assert.is(s.total, 2);
    assert.is(s.shard.conditions.limits.timeLimitSec, 20);
    assert.is(s.shard.conditions.drawId, s.results[0].dataset.drawId);
    assert.is(s.shard.conditions.graderHash, s.results[0].environment.graderHash);
    for (const r of s.results) assert.is(shardOf(r.submission.id, 3), i, `${r.submission.id} is in its shard`);
    assert.equal(readdirSync(join(shardDirs[i]!, 'results')).sort(), s.results.map((r: any) => `${r.submission.id}.json`).sort());
  });

  const m = await inProcess('merge', ...shardDirs, '--out', merged, '--junit', join(merged, 'junit.xml'), '--json', join(root, 'merged.json'));
  assert.is(m.code, 1, m.err); // some students failed: the same exit code as the whole run
  assert.match(m.err, /merged shards 0, 1, 2 of 3/);
  assert.match(m.err, /2\/6 passed/);
  assert.match(m.err, /results:\s+merged\/results\/ \(6 files, one per submission\)/);
  const ms = summaryOf(merged);
  assert.equal(grades(ms), grades(single), 'per student: the same verdicts, points and rubric values');
  assert.equal(ms.results.map((r: any) => r.submission.id), single.results.map((r: any) => r.submission.id), 'in the same order');
  for (const k of ['total', 'passed', 'counts', 'points', 'maxPoints', 'assignment', 'mode']) assert.equal(ms[k], single[k], k);
  assert.equal(ms.merged, { count: 3, indices: [0, 1, 2], missing: [] });
  assert.is(ms.interrupted, false);
  assert.equal(JSON.parse(readFileSync(join(root, 'merged.json'), 'utf8')).counts, single.counts);
  // results/ holds each shard's file as it was written.
  assert.equal(readdirSync(join(merged, 'results')).sort(), Object.keys(CLASS).map((id) => `${id}.json`).sort());
  for (const id of Object.keys(CLASS)) {
    const from = shardDirs[shardOf(id, 3)]!;
    assert.is(readFileSync(join(merged, 'results', `${id}.json`), 'utf8'), readFileSync(join(from, 'results', `${id}.json`), 'utf8'), id);
  }
  // JUnit of the merged class: one suite per student, as a whole run writes it.
  const suites = [new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(merged, 'junit.xml'), 'utf8')).testsuites.testsuite].flat();
  assert.equal(suites.map((s: any) => s['@_name']).sort(), Object.keys(CLASS).map((id) => `tiny-siamese / ${id}`).sort());
  // The gradebook: the shards' rows exactly (the same result files), and the whole run's grades.
  const csv = (dir: string) => parse(readFileSync(join(dir, 'gradebook.csv'), 'utf8')) as string[][];
  const [header, ...rows] = csv(merged);
  assert.equal(header, csv(whole)[0]);
  assert.equal(rows.map((r) => r[0]), ['alice', 'bob', 'carol', 'erin', 'frank', 'oscar']);
  assert.equal([...rows].sort(), shardDirs.flatMap((d) => csv(d).slice(1)).sort(), 'every row as its shard wrote it');
  // Timings differ between two runs of the same code; the grades do not.
  const gradeCols = header!.map((h, i) => [h, i] as const).filter(([h]) => !['cpu_sec', 'wall_sec', 'peak_mib', 'warnings'].includes(h)).map(([, i]) => i);
  const gradesOf = (rs: string[][]) => rs.map((r) => gradeCols.map((i) => r[i])).sort();
  assert.equal(gradesOf(rows), gradesOf(csv(whole).slice(1)));
  assert.ok(existsSync(join(merged, 'report.html')) && readdirSync(join(merged, 'reports')).length === 6, 'the class page and one page per student');
  // Merging again replaces the earlier merge.
  const again = await inProcess('merge', ...shardDirs, '--out', merged, '--json', '-');
  assert.is(again.code, 1, again.err);
  const events = again.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.map((e) => e.event), ['summary', 'written']);
  assert.equal(events[0].summary.merged, { count: 3, indices: [0, 1, 2], missing: [] });
  assert.is(events[1].gradebook, join(merged, 'gradebook.csv'));
  assert.is(readdirSync(join(merged, 'results')).length, 6);
  console.log(`    (graded whole and as 3 shards side by side, merged: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
});

test('merge refuses shards graded under other limits, a duplicate or missing shard, a student in two shards', async () => {
  const refused = async (args: string[], re: RegExp) => {
    const r = await inProcess('merge', ...args);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, re);
    return r.err;
  };
  const out = join(root, 'refused');
  // Shard 2 as if graded again: under a tighter time limit, and with another instructor's secret. Its
  // folder is copied and what such a run records is written into the summary and every result file
  // (the condition and the per-result field merge compares; that a run records its --time-limit and
  // its secret's draw id is checked above and in test/secret.test.ts).
  const regraded = (name: string, change: (conditions: any, result: any) => void) => {
    const dir = join(root, name);
    cpSync(shardDirs[2]!, dir, { recursive: true });
    const s = summaryOf(dir);
    change(s.shard.conditions, undefined);
    for (const r of s.results) {
      const file = join(dir, 'results', `${r.submission.id}.json`);
      const full = JSON.parse(readFileSync(file, 'utf8'));
      change(undefined, full);
      change(undefined, r);
      writeFileSync(file, JSON.stringify(full));
    }
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(s));
    return dir;
  };
  const tight = regraded('shard-2-tight', (c, r) => { if (c) c.limits.timeLimitSec = 15; if (r?.limits) r.limits.timeLimitSec = 15; });
  const otherDraw = 'f0e1d2c3b4a59687';
  const otherSecret = regraded('shard-2-secret', (c, r) => { if (c) c.drawId = otherDraw; if (r?.dataset) r.dataset.drawId = otherDraw; });
  assert.is.not(summaryOf(shardDirs[2]!).shard.conditions.drawId, otherDraw);
  const err = await refused([shardDirs[0]!, shardDirs[1]!, tight, '--out', out], /shard-0 and shard-2-tight were graded under different limits \(timeLimitSec 20 vs 15\)/);
  assert.not.match(err, /\n\s+at /, 'no stack trace');
  assert.not.ok(existsSync(join(out, 'summary.json')), 'nothing merged');
  // The same shard twice (a copy of its folder), and a missing one.
  const copy = join(root, 'shard-1-copy');
  cpSync(shardDirs[1]!, copy, { recursive: true });
  await refused([shardDirs[0]!, shardDirs[1]!, copy, shardDirs[2]!, '--out', out], /shard-1 and shard-1-copy are both shard 1\/3 \(shard\.index\)/);
  await refused([shardDirs[0]!, shardDirs[1]!, shardDirs[1]!, shardDirs[2]!, '--out', out], /shard-1 is given twice/);
  await refused([shardDirs[0]!, shardDirs[2]!, '--out', out], /shard 1\/3 is missing \(shard\.index; given: 0\/3 in shard-0, 2\/3 in shard-2\); pass --allow-partial/);
  // --allow-partial merges what there is, and says what is missing.
  const partial = await inProcess('merge', shardDirs[0]!, shardDirs[2]!, '--out', join(root, 'partial'), '--allow-partial');
  assert.is(partial.code, 1, partial.err);
  assert.match(partial.err, /merged shards 0, 2 of 3 \(missing: 1\)/);
  const ps = summaryOf(join(root, 'partial'));
  assert.equal(ps.merged.missing, [1]);
  assert.equal(ps.results.map((r: any) => r.submission.id), ['bob', 'carol', 'erin', 'frank']);
  // A student in two shards (a result moved into another shard's folder).
  const forged = join(root, 'shard-0-forged');
  cpSync(shardDirs[0]!, forged, { recursive: true });
  const s0 = summaryOf(forged);
  const alice = JSON.parse(readFileSync(join(shardDirs[1]!, 'results', 'alice.json'), 'utf8'));
  s0.results.push(alice);
  s0.total++;
  writeFileSync(join(forged, 'summary.json'), JSON.stringify(s0));
  writeFileSync(join(forged, 'results', 'alice.json'), JSON.stringify(alice));
  const two = await refused([forged, shardDirs[1]!, shardDirs[2]!, '--out', out], /alice was graded in two shards: shard-0-forged and shard-1 \(submission\.id\)/);
  assert.match(two, /shard-0-forged \(shard 0\/3\) holds alice, whose id belongs to shard 1\/3/);
  // Other shard counts, a whole run, another grading secret, options merge does not take.
  const four = join(root, 'shard-0-of-4');
  cpSync(shardDirs[0]!, four, { recursive: true });
  const s4 = summaryOf(four);
  s4.shard.count = 4;
  writeFileSync(join(four, 'summary.json'), JSON.stringify(s4));
  await refused([shardDirs[0]!, shardDirs[1]!, four, '--out', out], /shard-0 and shard-0-of-4 were graded under different shard\.count \(3 vs 4\)/);
  await refused([whole, shardDirs[1]!, '--out', out], /whole was graded without --shard/);
  await refused([shardDirs[0]!, shardDirs[1]!, otherSecret, '--out', out], /graded under different dataset\.drawId/);
  await refused([shardDirs[0]!, '--out', out, '--time-limit', '5'], /merge takes --out, --junit, --json, --allow-partial and -q, not --time-limit/);
  await refused([shardDirs[0]!], /merge needs --out <dir>/);
  // Merging into a grading run's folder would mix two kinds of summary.
  await refused([...shardDirs, '--out', whole], /whole holds the results of a grading run, not of a merge/);
});

test.run();
