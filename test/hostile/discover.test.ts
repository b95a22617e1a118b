// Discovery of a class in which some students' folders are hostile or broken:
// a named pipe (opening it blocks forever), a 3 GiB sparse file, thousands of
// files, links, deep nesting. Discovery must return at once, list every
// student exactly once, refuse the bad ones with a reason naming the file and
// leave the honest ones alone. It runs in a child process with a timeout, so a
// regression that blocks on the pipe fails this test instead of hanging it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_SUBMISSION_BYTES, MAX_SUBMISSION_DEPTH, MAX_SUBMISSION_FILES, type Submission } from '../../grader/grade/discover.ts';
import { tempDir, writeSubmission } from '../helpers/fixtures.ts';

const DISCOVER = fileURLToPath(new URL('../../grader/grade/discover.ts', import.meta.url));
const root = tempDir();
const cls = join(root, 'class');
const TF = `import * as tf from '@tensorflow/tfjs';\n`;
const HONEST = `${TF}export async function train() {}\nexport async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }\n`;

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  assert.is(r.status, 0, `mkfifo ${path}: ${r.stderr}`);
}

/** discoverSubmissions in a fresh process: its answer, or its error, and how long it took. */
function discover(...paths: string[]): { subs?: Submission[]; error?: string; sec: number } {
  const code = `import { discoverSubmissions } from ${JSON.stringify(DISCOVER)};
const t0 = performance.now();
let out;
try { out = { subs: discoverSubmissions(${JSON.stringify(paths)}) }; } catch (e) { out = { error: e.message }; }
out.sec = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
  assert.ok(r.signal === null, `discovery did not return within 20 s (${r.signal}): it blocked`);
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const byId = (subs: Submission[]) => new Map(subs.map((s) => [s.id, s]));
let server: ReturnType<typeof createServer> | undefined;

test.before(async () => {
  mkdirSync(cls, { recursive: true });
  writeSubmission(join(cls, 'alice'), 'index.ts', HONEST);
  writeSubmission(join(cls, 'alice'), 'helpers.ts', 'export const k = 1;\n');
  writeSubmission(cls, 'bob.ts', HONEST);
  // A named pipe next to the entry file.
  writeSubmission(join(cls, 'pipe'), 'index.ts', HONEST);
  mkdirSync(join(cls, 'pipe', 'data'));
  mkfifo(join(cls, 'pipe', 'data', 'stream'));
  // The entry file itself is a named pipe.
  mkdirSync(join(cls, 'pipe-entry'));
  mkfifo(join(cls, 'pipe-entry', 'index.ts'));
  // A "submission file" in the class folder that is a named pipe.
  mkfifo(join(cls, 'pipe-file.ts'));
  // 3 GiB, sparse: nothing on disk, but reading it would take minutes and 3 GiB of hashing.
  writeSubmission(join(cls, 'sparse'), 'index.ts', HONEST);
  const big = join(cls, 'sparse', 'weights.bin');
  const t = spawnSync('truncate', ['-s', '3G', big]);
  assert.is(t.status, 0, `truncate: ${t.stderr}`);
  assert.is(statSync(big).size, 3 * 1024 ** 3);
  // Many small files.
  writeSubmission(join(cls, 'many'), 'index.ts', HONEST);
  mkdirSync(join(cls, 'many', 'junk'));
  for (let i = 0; i < MAX_SUBMISSION_FILES + 100; i++) writeFileSync(join(cls, 'many', 'junk', `f${i}.txt`), 'x');
  // Many small files that together exceed the byte cap (each under it).
  writeSubmission(join(cls, 'heavy'), 'index.ts', HONEST);
  for (let i = 0; i < 5; i++) spawnSync('truncate', ['-s', String(MAX_SUBMISSION_BYTES / 4), join(cls, 'heavy', `part${i}.bin`)]);
  // A link to a file outside.
  writeSubmission(join(cls, 'linked'), 'index.ts', HONEST);
  spawnSync('ln', ['-s', '/etc/passwd', join(cls, 'linked', 'data.txt')]);
  // Folders nested deeper than allowed.
  let deep = join(cls, 'deep');
  writeSubmission(deep, 'index.ts', HONEST);
  for (let i = 0; i <= MAX_SUBMISSION_DEPTH; i++) deep = join(deep, 'd');
  mkdirSync(deep, { recursive: true });
  // A unix socket.
  writeSubmission(join(cls, 'sock'), 'index.ts', HONEST);
  server = createServer();
  await new Promise<void>((res) => server!.listen(join(cls, 'sock', 's.sock'), res));
  // node_modules is skipped, as before: its contents neither count nor get read.
  writeSubmission(join(cls, 'vendored'), 'index.ts', HONEST);
  mkdirSync(join(cls, 'vendored', 'node_modules'));
  mkfifo(join(cls, 'vendored', 'node_modules', 'pipe'));
});

test.after(() => { server?.close(); });

test('a hostile class: discovery returns at once, every student once, the bad ones refused naming the file', () => {
  const r = discover(cls);
  assert.not.ok(r.error, r.error);
  assert.ok(r.sec < 2, `discovery took ${r.sec.toFixed(2)} s`);
  const subs = r.subs!;
  const ids = subs.map((s) => s.id).sort();
  assert.equal(ids, ['alice', 'bob', 'deep', 'heavy', 'linked', 'many', 'pipe', 'pipe-entry', 'pipe-file', 'sock', 'sparse', 'vendored']);
  const s = byId(subs);
  for (const id of ['alice', 'bob', 'vendored']) assert.is(s.get(id)!.refused, undefined, `${id}: ${s.get(id)!.refused}`);
  const refused = (id: string) => s.get(id)!.refused ?? '(not refused)';
  assert.match(refused('pipe'), /^data\/stream is a named pipe; a submission may contain only regular files and folders$/);
  assert.match(refused('pipe-entry'), /^index\.ts is a named pipe/);
  assert.match(refused('pipe-file'), /^pipe-file\.ts is a named pipe/);
  assert.match(refused('sparse'), /^weights\.bin is 3\.0 GiB; a submission may be at most 64\.0 MiB/);
  assert.match(refused('heavy'), /over 64\.0 MiB in all \(reached at part\d\.bin\)/);
  assert.match(refused('many'), new RegExp(`more than ${MAX_SUBMISSION_FILES} files and folders \\(reached in junk/\\)`));
  assert.match(refused('linked'), /^data\.txt is a symbolic link; /);
  assert.match(refused('deep'), new RegExp(`^(d/){${MAX_SUBMISSION_DEPTH}}d is nested more than ${MAX_SUBMISSION_DEPTH} folders deep`));
  assert.match(refused('sock'), /^s\.sock is a socket; /);
  for (const sub of subs) assert.match(sub.sha256, /^[0-9a-f]{64}$/, sub.id);
  assert.is(new Set(subs.map((x) => x.sha256)).size, subs.length, 'every submission has its own hash');
});

test('an honest submission\'s hash is its paths and bytes (unchanged digest), and changes when a file changes', () => {
  const file = join(cls, 'bob.ts');
  const before = byId(discover(file).subs!).get('bob')!.sha256;
  assert.is(before, createHash('sha256').update('\0').update(HONEST).digest('hex'), 'same digest as results graded before the limits');
  const folder = byId(discover(join(cls, 'alice')).subs!).get('alice')!.sha256;
  writeSubmission(join(cls, 'alice'), 'helpers.ts', 'export const k = 2;\n');
  const after = byId(discover(join(cls, 'alice')).subs!).get('alice')!;
  assert.is(after.refused, undefined);
  assert.is.not(after.sha256, folder, 'alice changed a file: graded again');
  assert.is(byId(discover(file).subs!).get('bob')!.sha256, before, 'bob did not change: reused');
});

test('a refused submission, once fixed, is no longer refused and has a new hash', () => {
  const before = byId(discover(join(cls, 'pipe')).subs!).get('pipe')!;
  assert.ok(before.refused);
  rmSync(join(cls, 'pipe', 'data', 'stream'));
  writeFileSync(join(cls, 'pipe', 'data', 'stream'), 'now a file');
  const after = byId(discover(join(cls, 'pipe')).subs!).get('pipe')!;
  assert.is(after.refused, undefined);
  assert.is.not(after.sha256, before.sha256);
});

test('command-line paths: a FIFO is a usage error at once; a huge file is refused, not read; bad paths still throw', () => {
  const fifo = join(root, 'given.ts');
  mkfifo(fifo);
  const r = discover(fifo);
  assert.match(r.error ?? '', /given\.ts: not a regular file or folder/);
  assert.ok(r.sec < 2);
  const huge = join(root, 'huge.ts');
  spawnSync('truncate', ['-s', '3G', huge]);
  const h = discover(huge);
  assert.ok(h.sec < 2, `${h.sec} s`);
  assert.match(h.subs![0]!.refused ?? '', /^huge\.ts is 3\.0 GiB/);
  assert.match(discover(join(root, 'missing')).error ?? '', /missing: no such file or folder/);
  writeFileSync(join(root, 'notes.txt'), 'x');
  assert.match(discover(join(root, 'notes.txt')).error ?? '', /not a submission \(expected a \.ts or \.js file, or a folder with index\.ts\)/);
});

test('names: not UTF-8 is refused (never dropped); names that map to one id both keep a result', () => {
  const cls = join(tempDir(), 'names');
  mkdirSync(cls, { recursive: true });
  // Raw bytes: Node writes a Buffer path as given.
  writeFileSync(Buffer.concat([Buffer.from(cls + '/bad'), Buffer.from([0xff]), Buffer.from('.ts')]), 'export {}');
  mkdirSync(Buffer.concat([Buffer.from(cls + '/raw'), Buffer.from([0xfe])]));
  writeFileSync(Buffer.concat([Buffer.from(cls + '/raw'), Buffer.from([0xfe]), Buffer.from('/index.ts')]), 'export {}');
  for (const n of ['józef.ts', 'jözef.ts', 'honest.ts']) writeFileSync(join(cls, n), 'export {}');
  const r = discover(cls);
  assert.ok(r.subs, r.error);
  const refused = r.subs!.filter((s) => s.refused);
  assert.equal(refused.map((s) => /not valid UTF-8/.test(s.refused!)), [true, true], JSON.stringify(refused));
  const ids = r.subs!.filter((s) => !s.refused).map((s) => s.id).sort();
  assert.is(ids.length, 3, 'józef, jözef and honest all kept');
  assert.ok(ids.includes('honest'));
  assert.is(new Set(ids).size, ids.length, 'ids are distinct');
  assert.is(ids.filter((i) => i.startsWith('j_zef-')).length, 2, ids.join(','));
});

test('a folder is one submission: without an entry file it says what it found and what to name the entry', () => {
  const base = tempDir();
  // As tfjs-examples/mnist-node is laid out before renaming: no index.*, files that require one another.
  const mnistNode = join(base, 'mnist-node');
  writeSubmission(mnistNode, 'train.js', "const model = require('./model');\nexports.train = async () => model;\n");
  writeSubmission(mnistNode, 'model.js', 'module.exports = {};\n');
  const alone = discover(mnistNode).subs!;
  assert.is(alone.length, 1, 'one submission, not one per file');
  assert.match(alone[0]!.refused ?? '', /^mnist-node has no entry file \(found model\.js, train\.js\); a folder is one submission: rename .* to index\.ts, or index\.js \(accepted entry names: index\.ts, index\.mts/);
  // check: a folder is one submission even when its files do not import one another.
  const two = join(base, 'two');
  writeSubmission(two, 'a.ts', HONEST);
  writeSubmission(two, 'b.ts', HONEST);
  assert.is(discover(two).subs!.length, 2, 'grade: a folder of independent files is a class');
  const code = `import { discoverSubmissions } from ${JSON.stringify(DISCOVER)};
process.stdout.write(JSON.stringify(discoverSubmissions([${JSON.stringify(two)}], { single: true })));`;
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code], { encoding: 'utf8' });
  const single = JSON.parse(r.stdout) as Submission[];
  assert.is(single.length, 1, r.stderr);
  assert.match(single[0]!.refused ?? '', /two has no entry file \(found a\.ts, b\.ts\)/);
  // A class: a student's folder without an entry file gets a result saying why (it used to be skipped).
  const cls = join(base, 'cls');
  writeSubmission(join(cls, 'carol'), 'model.ts', 'export const m = 1;\n');
  writeSubmission(join(cls, 'dave'), 'index.ts', HONEST);
  mkdirSync(join(cls, 'erin', 'data'), { recursive: true });
  const subs = byId(discover(cls).subs!);
  assert.equal([...subs.keys()].sort(), ['carol', 'dave', 'erin']);
  assert.is(subs.get('dave')!.refused, undefined);
  assert.match(subs.get('carol')!.refused ?? '', /carol has no entry file \(found model\.ts\)/);
  assert.match(subs.get('erin')!.refused ?? '', /erin has no entry file and no \.ts or \.js files/);
});

test.run();
