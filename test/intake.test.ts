// Class intake: zips as Gradescope, Canvas and Moodle export them, unpacked
// safely, students named by each platform's rule or a roster. Hostile archives
// first: each bad entry is its student's BAD_SUBMISSION naming the entry, a
// corrupt archive a usage error naming the file, and nothing lands outside the
// intake folder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { intakeSubmissions, IntakeError } from '../grader/grade/intake.ts';
import { parseRoster, readRoster, RosterError } from '../grader/grade/roster.ts';
import { main } from '../grader/cli/main.ts';
import { tempDir, writeSubmission } from './helpers/fixtures.ts';

interface ZipItem { name: string; data?: string | Buffer; mode?: number; declared?: number; dir?: boolean }

/** A zip written by hand, so tests control every field a hostile archive could lie in. */
function makeZip(items: ZipItem[]): Buffer {
  const locals: Buffer[] = [], centrals: Buffer[] = [];
  let offset = 0;
  for (const it of items) {
    const name = Buffer.from(it.name, 'utf8');
    const raw = Buffer.isBuffer(it.data) ? it.data : Buffer.from(it.data ?? '', 'utf8');
    const body = it.dir ? Buffer.alloc(0) : deflateRawSync(raw);
    const size = it.declared ?? raw.length;
    const crc = crc32(raw);
    const method = it.dir ? 0 : 8;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x800, 6); local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(body.length, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE((3 << 8) | 20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(0x800, 8); central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(body.length, 20); central.writeUInt32LE(size, 24); central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((it.mode ?? (it.dir ? 0o040755 : 0o100644)) << 16) >>> 0, 38); central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(items.length, 8); end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const root = tempDir();
const cacheRoot = join(root, 'cache');
const GOOD = `export async function train() { return null; }\nexport async function distance() { return []; }\n`;
let n = 0;
function zipFile(items: ZipItem[], name = `class-${++n}.zip`): string {
  const p = join(root, name);
  writeFileSync(p, makeZip(items));
  return p;
}
const intake = (paths: string[], roster?: string) => intakeSubmissions(paths, { cacheRoot, ...(roster ? { roster: parseRoster(roster, 'roster.csv') } : {}) });
const byId = async (paths: string[], roster?: string) => new Map((await intake(paths, roster)).map((s) => [s.id, s]));
const rejects = async (f: () => Promise<unknown>, re: RegExp) => {
  try { await f(); } catch (e) { assert.instance(e, IntakeError); assert.match((e as Error).message, re); return; }
  assert.unreachable('expected an IntakeError');
};

/** Every path under the intake folder stays under it, and is a plain file or folder. */
function assertContained() {
  const base = join(cacheRoot, 'intake');
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      assert.ok(st.isFile() || st.isDirectory(), `${p} is a plain file or folder`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(base);
  assert.not.ok(existsSync(join(root, 'evil.ts')), 'nothing was written beside the cache');
  assert.not.ok(existsSync(join(cacheRoot, 'evil.ts')));
}

// ---- hostile archives ----

test("zip-slip inside a student's folder: that student's BAD_SUBMISSION naming the entry; the others are graded", async () => {
  const subs = await byId([zipFile([
    { name: 'Ann Lee_101_assignsubmission_file_/index.ts', data: GOOD },
    { name: 'Bob Roe_102_assignsubmission_file_/../../../evil.ts', data: 'pwned' },
    { name: 'Bob Roe_102_assignsubmission_file_/index.ts', data: GOOD },
  ])]);
  assert.is(subs.get('101')!.refused, undefined);
  assert.match(subs.get('102')!.refused!, /Bob Roe_102_assignsubmission_file_\/\.\.\/\.\.\/\.\.\/evil\.ts.*outside/);
  assertContained();
});

test('an absolute or top-level ../ entry belongs to no student: the archive is refused, naming the file and entry', async () => {
  const abs = zipFile([{ name: 'alice.ts', data: GOOD }, { name: '/tmp/evil.ts', data: 'x' }], 'abs.zip');
  await rejects(() => intake([abs]), /abs\.zip: .*"\/tmp\/evil\.ts" is an absolute path/);
  const up = zipFile([{ name: 'alice.ts', data: GOOD }, { name: '../evil.ts', data: 'x' }], 'up.zip');
  await rejects(() => intake([up]), /up\.zip: .*"\.\.\/evil\.ts" points outside/);
  assertContained();
});

test('a symbolic link or device entry: BAD_SUBMISSION naming it, never created', async () => {
  const subs = await byId([zipFile([
    { name: 'carol/index.ts', data: GOOD },
    { name: 'dave/index.ts', data: GOOD },
    { name: 'dave/secret', data: '/etc/passwd', mode: 0o120777 },
    { name: 'erin/index.ts', data: GOOD },
    { name: 'erin/fifo', data: '', mode: 0o010644 },
  ])]);
  assert.is(subs.get('carol')!.refused, undefined);
  assert.match(subs.get('dave')!.refused!, /"dave\/secret" is a symbolic link/);
  assert.match(subs.get('erin')!.refused!, /"erin\/fifo" is not a regular file or folder/);
  assertContained();
});

test('a zip bomb that lies about its size: inflating counts real bytes and stops that student at the declared size', async () => {
  const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
  const subs = await byId([zipFile([
    { name: 'frank/index.ts', data: GOOD },
    { name: 'frank/weights.bin', data: big, declared: 1000 },
    { name: 'gina/index.ts', data: GOOD },
  ])]);
  assert.match(subs.get('frank')!.refused!, /"frank\/weights\.bin" could not be unpacked/);
  assert.is(subs.get('gina')!.refused, undefined);
  const frankDir = join(subs.get('frank')!.path);
  assert.equal(readdirSync(frankDir), [], 'nothing of the refused student is left');
});

test("declared sizes over a student's cap: refused before inflating; over the archive cap: the archive is refused", async () => {
  const subs = await byId([zipFile([
    { name: 'hank/index.ts', data: GOOD },
    { name: 'hank/huge.bin', data: 'x', declared: 65 * 1024 * 1024 },
    { name: 'ivy/index.ts', data: GOOD },
  ])]);
  assert.match(subs.get('hank')!.refused!, /over 64 MiB uncompressed \(reached at "hank\/huge\.bin"\)/);
  const many = Array.from({ length: 2 }, (_, i) => ({ name: `s${i}/big.bin`, data: 'x', declared: 0xffffffff }));
  await rejects(() => intake([zipFile(many, 'declares-8gib.zip')]), /declares-8gib\.zip: the archive declares more than 4 GiB/);
});

test('too many files, or too deep, in one student: that student refused naming the entry', async () => {
  const files = Array.from({ length: 2001 }, (_, i) => ({ name: `jack/f${i}.txt`, data: '' }));
  const deep = `kim/${Array.from({ length: 40 }, (_, i) => `d${i}`).join('/')}/x.ts`;
  const subs = await byId([zipFile([{ name: 'jack/index.ts', data: GOOD }, ...files, { name: 'kim/index.ts', data: GOOD }, { name: deep, data: '' }, { name: 'lee/index.ts', data: GOOD }])]);
  assert.match(subs.get('jack')!.refused!, /more than 2000 files/);
  assert.match(subs.get('kim')!.refused!, /nested more than 32 folders deep/);
  assert.is(subs.get('lee')!.refused, undefined);
});

test('an entry listed twice, or a file where a folder is: refused naming it', async () => {
  const subs = await byId([zipFile([
    { name: 'mia/index.ts', data: GOOD }, { name: 'mia/index.ts', data: 'other' },
    { name: 'ned/index.ts', data: GOOD }, { name: 'ned/lib', data: 'x' }, { name: 'ned/lib/a.ts', data: 'y' },
  ])]);
  assert.match(subs.get('mia')!.refused!, /"mia\/index\.ts" appears twice/);
  assert.match(subs.get('ned')!.refused!, /"ned\/lib\/a\.ts" clashes/);
});

test('a corrupt archive, or not a zip at all: a usage error naming the file', async () => {
  const good = makeZip([{ name: 'a.ts', data: GOOD }]);
  const cut = join(root, 'truncated.zip');
  writeFileSync(cut, good.subarray(0, good.length - 10));
  await rejects(() => intake([cut]), /truncated\.zip: not a readable zip archive/);
  const text = join(root, 'notes.zip');
  writeFileSync(text, 'this is not a zip file at all, just words');
  await rejects(() => intake([text]), /notes\.zip: not a readable zip archive/);
  const bad = Buffer.from(good);
  bad.writeUInt32LE(0xdeadbeef, good.length - 22 - 46 - 'a.ts'.length); // the central directory's signature
  const sig = join(root, 'bad-central.zip');
  writeFileSync(sig, bad);
  await rejects(() => intake([sig]), /bad-central\.zip: (the archive is corrupt|not a readable zip archive)/);
});

// ---- platforms ----

test('Canvas: <lastfirst>_[late_]<user id>_<attachment id>_<file>; one file stays a file, several make a folder; -1 suffix removed', async () => {
  const subs = await byId([zipFile([
    { name: 'smithbob_340934_208490284_solution.ts', data: GOOD },
    { name: 'leeann_late_340935_208490290_index-1.ts', data: GOOD },
    { name: 'leeann_late_340935_208490291_model.ts', data: 'export const m = 1;\n' },
    { name: 'roejoe_340936_208490300_index.ts', data: GOOD },
    { name: 'roejoe_340936_208490301_index-1.ts', data: GOOD },
    { name: 'zipperzed_340937_208490310_project.zip', data: 'PK' },
  ])]);
  assert.match(subs.get('340937')!.refused!, /no entry file/, 'a lone non-source upload still gets a result saying what is missing');
  const bob = subs.get('340934')!;
  assert.equal(bob.student, { id: '340934', name: 'smithbob' });
  assert.ok(lstatSync(bob.path).isFile() && bob.path.endsWith('/340934.ts'));
  assert.is(bob.refused, undefined);
  const ann = subs.get('340935')!;
  assert.equal(ann.student, { id: '340935', name: 'leeann' });
  assert.equal(readdirSync(ann.path).sort(), ['index.ts', 'model.ts']);
  assert.is(ann.refused, undefined);
  assert.match(subs.get('340936')!.refused!, /student 340936 has two candidate submissions for index\.ts \(roejoe_340936_208490300_index\.ts and roejoe_340936_208490301_index-1\.ts\)/);
});

test('Moodle: <Full Name>_<participant id>_assignsubmission_file_/ folders; online text skipped; loose files too', async () => {
  const subs = await byId([zipFile([
    { name: 'Ada Lovelace_1201_assignsubmission_file_/index.ts', data: GOOD },
    { name: 'Ada Lovelace_1201_assignsubmission_onlinetext_/onlinetext.html', data: '<p>hi</p>' },
    { name: 'Alan Turing_1202_assignsubmission_file_main.ts', data: GOOD },
  ])]);
  assert.equal([...subs.keys()].sort(), ['1201', '1202']);
  assert.equal(subs.get('1201')!.student, { id: '1201', name: 'Ada Lovelace' });
  assert.equal(readdirSync(subs.get('1201')!.path), ['index.ts']);
  assert.ok(subs.get('1202')!.path.endsWith('/1202.ts'));
  assert.equal(subs.get('1202')!.student, { id: '1202', name: 'Alan Turing' });
});

test('Gradescope: submission_metadata.yml under a wrapping folder names each submission_<n>/ folder by its first submitter', async () => {
  const meta = `submission_11:\n  :submitters:\n  - :name: Grace Hopper\n    :sid: 'S-100'\n    :email: grace@example.edu\nsubmission_12:\n  :submitters:\n  - :name: Pair One\n    :email: one@example.edu\n  - :name: Pair Two\n    :sid: '201'\n`;
  const subs = await byId([zipFile([
    { name: 'assignment_9_export/submission_metadata.yml', data: meta },
    { name: 'assignment_9_export/submission_11/index.ts', data: GOOD },
    { name: 'assignment_9_export/submission_12/index.ts', data: GOOD },
    { name: 'assignment_9_export/submission_13/index.ts', data: GOOD },
  ])]);
  assert.equal(subs.get('S-100')!.student, { id: 'S-100', name: 'Grace Hopper', email: 'grace@example.edu' });
  assert.equal(subs.get('one@example.edu')!.student, { id: 'one@example.edu', name: 'Pair One', email: 'one@example.edu' }, 'no :sid: the email');
  assert.ok(subs.get('submission_13'), 'a folder the metadata does not list keeps its name');
  assert.is(subs.get('submission_13')!.student, undefined);
  for (const s of subs.values()) assert.is(s.refused, undefined, s.refused);
});

test('a plain zip of a class folder (one wrapping folder) is graded as that folder would be', async () => {
  const subs = await byId([zipFile([{ name: 'hw1/alice.ts', data: GOOD }, { name: 'hw1/bob/index.ts', data: GOOD }, { name: '__MACOSX/hw1/._alice.ts', data: 'junk' }])]);
  assert.equal([...subs.keys()].sort(), ['alice', 'bob']);
  assert.is(subs.get('alice')!.student, undefined);
});

test('the same zip again reuses its unpacked folder (same paths, same hashes)', async () => {
  const items = [{ name: 'x/index.ts', data: GOOD }, { name: 'y/index.ts', data: GOOD }];
  const a = await intake([zipFile(items, 'again-1.zip')]);
  const b = await intake([zipFile(items, 'again-1.zip')]);
  assert.equal(b, a);
  const c = await intake([zipFile(items, 'again-2.zip')]);
  assert.equal(c.map((s) => [s.id, s.sha256]), a.map((s) => [s.id, s.sha256]), 'the same bytes under another name: same submissions');
});

test('graded from a Canvas zip: the result records the student', async () => {
  const { runBatch } = await import('../grader/grade/run-batch.ts');
  const { quietReporter } = await import('../grader/report/console.ts');
  const { detectIsolation } = await import('../grader/sandbox/capabilities.ts');
  const { loadAssignment } = await import('../grader/spec/load.ts');
  const { testSecret, tinySiameseAssignment, writeTinyMnist } = await import('./helpers/fixtures.ts');
  const pixel = `import * as tf from '@tensorflow/tfjs';\nexport async function train() { return null; }\nexport async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }\n`;
  const submissions = await intake([zipFile([{ name: 'smithbob_340934_208490284_index.ts', data: pixel }], 'canvas-e2e.zip')], 'submission,student_id,email\nsmithbob,s-77,bob@example.edu\n');
  const summary = await runBatch({
    assignment: loadAssignment(tinySiameseAssignment(root)), submissions, mode: 'grade', secret: testSecret(), outDir: join(root, 'e2e-out'),
    concurrency: 1, limits: { timeLimitSec: 30, memoryLimitMiB: 1024, maxBatchSize: 64, maxSourceKiB: 1024 }, cacheRoot, dataDir: writeTinyMnist(join(root, 'idx')),
    backend: 'wasm', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  const r = summary.results[0]!;
  assert.ok(r.verdict === 'PASS' || r.verdict === 'FAIL', `${r.verdict}: ${r.reason}`);
  assert.is(r.submission.id, 's-77');
  assert.equal(r.student, { id: 's-77', email: 'bob@example.edu' });
  assert.equal(JSON.parse(readFileSync(join(root, 'e2e-out', 'results', 's-77.json'), 'utf8')).student, r.student);
});

// ---- roster ----

test('a roster overrides the platform id: name, email; two submissions mapped to one student are both refused, naming each other', async () => {
  const z = zipFile([
    { name: 'smithbob_340934_208490284_index.ts', data: GOOD },
    { name: 'leeann_340935_208490290_index.ts', data: GOOD },
    { name: 'roejoe_340936_208490300_index.ts', data: GOOD },
  ]);
  const subs = await byId([z], 'submission,student_id,name,email\n340934,s1,Bob Smith,bob@example.edu\nleeann,s2,,\nroejoe,s2,Joe Roe,\n');
  assert.equal(subs.get('s1')!.student, { id: 's1', name: 'Bob Smith', email: 'bob@example.edu' });
  const twice = [...subs.values()].filter((s) => s.student?.id === 's2');
  assert.is(twice.length, 2);
  assert.is.not(twice[0]!.id, twice[1]!.id, 'distinct ids: neither result overwrites the other');
  for (const s of twice) assert.match(s.refused!, /student s2 has 2 candidate submissions \(leeann_340935_208490290_index\.ts and roejoe_340936_208490300_index\.ts\)/);
});

test('a roster names folder submissions too (by file or folder name)', async () => {
  const dir = join(root, 'folder-class');
  writeSubmission(dir, 'alice.ts', GOOD);
  mkdirSync(join(dir, 'bob'), { recursive: true });
  writeSubmission(join(dir, 'bob'), 'index.ts', GOOD);
  const subs = await byId([dir], 'submission,student_id\nalice.ts,u-1\nbob,u-2\n');
  assert.equal([...subs.keys()].sort(), ['u-1', 'u-2']);
  assert.equal(subs.get('u-2')!.student, { id: 'u-2' });
});

test('bad rosters: each a usage error naming the file and line', () => {
  const bad = (text: string, re: RegExp) => {
    try { parseRoster(text, 'r.csv'); } catch (e) { assert.instance(e, RosterError); assert.match((e as Error).message, re); return; }
    assert.unreachable(`expected ${re}`);
  };
  bad('submission,studentid\na,b\n', /^r\.csv:1: unknown column "studentid"/);
  bad('submission,name\na,b\n', /^r\.csv:1: no "student_id" column/);
  bad('submission,student_id\na,s1\n,s2\n', /^r\.csv:3: the submission field is empty/);
  bad('submission,student_id\na,\n', /^r\.csv:2: student_id "" is empty/);
  bad('submission,student_id\na,../x\n', /^r\.csv:2: student_id "\.\.\/x" holds '\/'/);
  bad('submission,student_id,email\na,s1,not-an-email\n', /^r\.csv:2: "not-an-email" is not an email address/);
  bad('submission,student_id\na,s1\nb,s2\na,s3\n', /^r\.csv:4: the submission "a" is already listed on line 2/);
  bad('submission,student_id\n"a,s1\n', /^r\.csv(:\d+)?: not a valid CSV roster/);
  bad('submission,student_id\na,s1,extra\n', /^r\.csv(:\d+)?: not a valid CSV roster/);
  const ok = parseRoster('\ufeffSubmission , Student_ID\r\n"smith, bob",s1\r\n\r\n', 'r.csv');
  assert.equal(ok.entries.get('smith, bob'), { id: 's1', line: 2 });
  try { readRoster(join(root, 'nope.csv')); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /nope\.csv: no such roster file/); }
});

test('the CLI: --roster with a bad row and a corrupt zip are exit 2 naming the file; --help documents the id rules', async () => {
  const writes: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  const origOut = process.stdout.write.bind(process.stdout);
  (process.stderr as { write: unknown }).write = (s: string) => { writes.push(String(s)); return true; };
  (process.stdout as { write: unknown }).write = (s: string) => { writes.push(String(s)); return true; };
  try {
    const roster = join(root, 'bad-roster.csv');
    writeFileSync(roster, 'submission,student_id\nalice,\n');
    const cut = join(root, 'cli-corrupt.zip');
    writeFileSync(cut, 'PK\x03\x04 not really');
    const common = ['--cache-dir', cacheRoot, '--allow-no-network-isolation', '--out', join(root, 'cli-out')];
    assert.is(await main(['grade', 'siamese-mnist', join(root, 'folder-class'), '--roster', roster, ...common]), 2);
    assert.match(writes.join(''), /bad-roster\.csv:2: student_id "" is empty/);
    writes.length = 0;
    assert.is(await main(['grade', 'siamese-mnist', cut, ...common]), 2);
    assert.match(writes.join(''), /cli-corrupt\.zip: not a readable zip archive/);
    writes.length = 0;
    assert.is(await main(['--help']), 0);
    const help = writes.join('');
    for (const re of [/Gradescope\s+submission_<n>\/ folders \+ submission_metadata\.yml/, /Canvas\s+<lastfirst>_\[late_\]<user id>/, /Moodle\s+<Full Name>_<participant id>_assignsubmission_file_/, /--roster <file\.csv>/]) assert.match(help, re);
  } finally {
    (process.stderr as { write: unknown }).write = orig;
    (process.stdout as { write: unknown }).write = origOut;
  }
});

test.run();
