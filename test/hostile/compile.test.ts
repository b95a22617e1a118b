// The compile step against hostile folders: every trick that made esbuild
// read a file outside the submission (and so inline the hidden test labels)
// must end in a CompileError that says why, with the secret nowhere in the
// output; and the honest twins of those folders still compile and run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectIsolation } from '../../grader/sandbox/capabilities.ts';
import { CompileError, compileSubmission, entryOf, MAX_SOURCE_BYTES, MAX_SOURCE_FILES, type CompileOptions } from '../../grader/sandbox/compile.ts';
import { TF_GLOBAL } from '../../grader/sandbox/child/tf-global.ts';
import { tempDir, writeSubmission } from '../helpers/fixtures.ts';

const root = tempDir('dlgrade-compile-');
const cacheRoot = join(root, 'cache');
const SECRET = 'DLGRADE-SECRET-LABELS-5f1c0e';
const secretFile = join(cacheRoot, 'datasets', 'mnist', 'testLabels.u8');
const LABELS = '../../../datasets/mnist/testLabels.u8'; // from a job's src/ folder
const requireHere = createRequire(import.meta.url);

const PIXEL = `export async function distance(_m, a, b) { return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt()); }`;
const TF = `import * as tf from '@tensorflow/tfjs';\n`;

test.before(() => {
  mkdirSync(dirname(secretFile), { recursive: true });
  writeFileSync(secretFile, SECRET, { mode: 0o600 });
  writeFileSync(join(cacheRoot, 'secret.map'), JSON.stringify({ version: 3, sources: ['secret.ts'], sourcesContent: [SECRET], mappings: 'AAAA' }), { mode: 0o600 });
});

let jobs = 0;
/** A job folder in the cache, as run-sandboxed makes it: <cache>/jobs/<id>/src/ holding `files`. */
function job(files: Record<string, string>, cache = cacheRoot): { src: string; out: string; dir: string } {
  const dir = join(cache, 'jobs', `j${++jobs}`);
  for (const [name, text] of Object.entries(files)) writeSubmission(dirname(join(dir, 'src', name)), name.split('/').pop()!, text);
  mkdirSync(join(dir, 'src'), { recursive: true });
  return { src: join(dir, 'src'), out: join(dir, 'submission.cjs'), dir };
}

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name), 'latin1')).join('\n');
}

/** Compiles `files` as a job; `single` names the file of a single-file submission (its own root). */
async function refused(files: Record<string, string>, why: RegExp, { options = {}, single }: { options?: CompileOptions; single?: string } = {}): Promise<string> {
  const j = job(files);
  let error: unknown;
  try {
    const subRoot = single ? join(j.src, single) : j.src;
    await compileSubmission(entryOf(subRoot), subRoot, j.out, options);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof CompileError, `expected a CompileError, got ${error instanceof Error ? error.stack : 'success'}`);
  const message = (error as CompileError).message;
  assert.match(message, why);
  assert.not.ok(message.includes(SECRET), message);
  assert.not.ok(message.includes(j.dir) || message.includes('/jobs/'), `internal path in: ${message}`);
  assert.not.ok(existsSync(j.out), 'no bundle is written');
  assert.not.ok(allText(j.dir).includes(SECRET), 'the secret is nowhere in the job folder');
  return message;
}

async function compiled(files: Record<string, string>, cache = cacheRoot): Promise<{ exports: Record<string, unknown>; code: string; j: ReturnType<typeof job> }> {
  const j = job(files, cache);
  await compileSubmission(entryOf(j.src), j.src, j.out);
  const code = readFileSync(j.out, 'utf8');
  assert.not.ok(code.includes(SECRET));
  return { exports: requireHere(j.out) as Record<string, unknown>, code, j };
}

async function rejectsWith(p: Promise<unknown>, why: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CompileError, String(e));
    assert.match(e.message, why);
    return;
  }
  assert.unreachable('expected a CompileError');
}

// --- hostile -----------------------------------------------------------------------------

test('package.json "main" of a folder pointing at the labels → refused', async () => {
  await refused({
    'index.ts': `${TF}import labels from './labels';\nexport async function train() { return labels; }\n${PIXEL}\n`,
    'labels/package.json': JSON.stringify({ main: `../${LABELS}` }),
  }, /labels\/package\.json: "main" points outside the submission's folder/);
});

test('package.json "exports" (and "imports", "browser") pointing outside → refused', async () => {
  await refused({
    'index.ts': `${TF}import labels from './';\nexport async function train() { return labels; }\n${PIXEL}\n`,
    'package.json': JSON.stringify({ name: 'x', exports: { '.': LABELS } }),
  }, /package\.json: "exports" points outside the submission's folder/);
  await refused({
    'index.ts': `${TF}import labels from '#labels';\nexport async function train() { return labels; }\n${PIXEL}\n`,
    'package.json': JSON.stringify({ imports: { '#labels': LABELS }, browser: { './x.js': '/etc/shadow' } }),
  }, /package\.json: "browser" points outside the submission's folder \("\/etc\/shadow"\)\npackage\.json: "imports" points outside/);
});

test('a computed (glob) import of the labels → refused, on the disk or not', async () => {
  await refused({
    'index.ts': `${TF}export async function train() { const name = 'testLabels'; return import(\`../../../datasets/mnist/\${name}.u8\`); }\n${PIXEL}\n`,
  }, /cannot import a computed path \(import\("..\/..\/..\/datasets\/mnist\/\*\*\/\*\.u8"\)\)|cannot import a computed path/);
  // Climbing far enough to reach the real file from '/': esbuild lists that folder, the load is refused.
  const climb = '../'.repeat(90) + relative('/', dirname(secretFile));
  await refused({
    'index.ts': `${TF}export async function train() { const name = 'testLabels'; return require('${climb}/' + name + '.u8'); }\n${PIXEL}\n`,
  }, /cannot import a computed path/);
});

test('a sourceMappingURL to an outside map (with sourcesContent) → refused; a data: map is not read', async () => {
  await refused({
    'index.ts': `${TF}export async function train() { return null; }\n${PIXEL}\n//# sourceMappingURL=../../../secret.map\n`,
  }, /index\.ts: a sourceMappingURL comment points outside the submission's folder/);
  await refused({
    'index.js': `export function train() { return null; }\n//# sourceMappingURL=file://${join(cacheRoot, 'secret.map')}\n`,
  }, /sourceMappingURL comment points outside/);
  const inline = Buffer.from(JSON.stringify({ version: 3, sources: ['/etc/shadow'], sourcesContent: ['INLINE-MAP-TEXT'], mappings: 'AAAA' })).toString('base64');
  const { code } = await compiled({ 'index.js': `exports.train = () => 1;\n//# sourceMappingURL=data:application/json;base64,${inline}\n` });
  const map = JSON.parse(Buffer.from(/base64,([^\n]+)\n$/.exec(code)![1]!, 'base64').toString()) as { sources: string[]; sourcesContent: string[] };
  assert.equal(map.sources, ['src/index.js']);
  assert.not.ok(map.sourcesContent.join('').includes('INLINE-MAP-TEXT'));
});

test('import attributes (text, bytes) on an absolute or relative path → refused', async () => {
  for (const type of ['text', 'bytes']) {
    await refused({
      'index.ts': `${TF}import labels from ${JSON.stringify(secretFile)} with { type: '${type}' };\nexport async function train() { return labels; }\n${PIXEL}\n`,
    }, new RegExp(`with \\{ type: '${type}' \\}: submissions may not use import attributes`));
  }
  await refused({
    'index.ts': `${TF}export async function train() { return import('${LABELS}', { with: { type: 'bytes' } }); }\n${PIXEL}\n`,
  }, /may not use import attributes/);
  await refused({
    'index.ts': `${TF}import notes from './notes.ts' with { type: 'text' };\nexport async function train() { return notes; }\n${PIXEL}\n`,
    'notes.ts': 'export default 1;\n',
  }, /may not use import attributes/);
});

test('absolute paths, climbs, bare packages, "#" imports, non-source files → refused', async () => {
  await refused({ 'index.ts': `import s from ${JSON.stringify(secretFile)};\nexport const train = () => s;\n` }, /cannot import "\/.*": it is outside the submission's folder/);
  await refused({ 'index.ts': `import s from '${LABELS}';\nexport const train = () => s;\n` }, /it is outside the submission's folder/);
  await refused({ 'index.ts': `import s from 'lodash';\nexport const train = () => s;\n` }, /cannot import package "lodash"/);
  await refused({ 'index.ts': `import s from '#x';\nexport const train = () => s;\n` }, /"imports" are not supported/);
  await refused({ 'index.ts': `import s from './data.txt';\nexport const train = () => s;\n`, 'data.txt': 'x' }, /cannot import "\.\/data\.txt": only \.ts/);
  await refused({ 'index.ts': `import s from './missing';\nexport const train = () => s;\n` }, /cannot import "\.\/missing": no such file/);
});

test('tsconfig.json "paths" or "baseUrl" leaving the folder → refused', async () => {
  await refused({
    'index.ts': `${TF}import labels from 'labels';\nexport async function train() { return labels; }\n${PIXEL}\n`,
    'tsconfig.json': `{\n  // comments are fine\n  "compilerOptions": { "baseUrl": ".", "paths": { "labels": ["${LABELS}"], }, },\n}\n`,
  }, /tsconfig\.json: "paths" maps "labels" to ".*", outside the submission's folder/);
  await refused({
    'index.ts': `import labels from 'mnist/testLabels.u8';\nexport const train = () => labels;\n`,
    'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '../../../datasets' } }),
  }, /tsconfig\.json: "baseUrl" points outside the submission's folder/);
});

test('over the size or file-count cap → refused, naming the file and the limit', async () => {
  await refused({ 'index.ts': `export const x = '${'a'.repeat(MAX_SOURCE_BYTES)}';\n` }, /index\.ts is 2 MiB: a submission's source files may total at most 2 MiB/);
  const half = `export const x = '${'a'.repeat(MAX_SOURCE_BYTES / 2)}';\n`;
  await refused({ 'index.ts': 'export * from "./a";\n', 'a.ts': half, 'b.ts': half }, /b\.ts \(1 MiB\) takes the submission's source files over 2 MiB/);
  const many: Record<string, string> = { 'index.ts': 'export const x = 1;\n' };
  for (let i = 0; i < MAX_SOURCE_FILES; i++) many[`m/f${i}.ts`] = `export const x${i} = ${i};\n`;
  await refused(many, new RegExp(`more than ${MAX_SOURCE_FILES} source files`));
  // A big JSON nobody imports is left out, not refused.
  const { exports } = await compiled({ 'index.js': 'exports.train = () => 1;\n', 'big.json': JSON.stringify({ x: 'a'.repeat(MAX_SOURCE_BYTES) }) });
  assert.is(typeof exports.train, 'function');
  await refused({ 'index.js': 'exports.train = () => require("./big.json");\n', 'big.json': JSON.stringify({ x: 'a'.repeat(MAX_SOURCE_BYTES) }) }, /cannot import "\.\/big\.json": it is 2 MiB and would take the submission's source files over 2 MiB/);
});

test('links, FIFOs → refused without opening them', async () => {
  const j = job({ 'index.ts': 'export const train = () => 1;\n' });
  symlinkSync(secretFile, join(j.src, 'labels.ts'));
  await rejectsWith(compileSubmission(join(j.src, 'index.ts'), j.src, j.out), /labels\.ts is a symbolic link/);
  const k = job({ 'index.ts': 'export const train = () => 1;\n' });
  const fifo = spawnSync('mkfifo', [join(k.src, 'pipe.ts')]);
  if (fifo.status === 0) {
    await rejectsWith(compileSubmission(join(k.src, 'index.ts'), k.src, k.out), /pipe\.ts is not a regular file/);
  }
});

test('200,000 nested brackets: compiles or fails as a CompileError, and this process lives on', async () => {
  const n = 200_000;
  const t0 = performance.now();
  const j = job({ 'index.ts': `export const x = ${'['.repeat(n)}${']'.repeat(n)};\n` });
  try {
    await compileSubmission(join(j.src, 'index.ts'), j.src, j.out);
  } catch (e) {
    assert.ok(e instanceof CompileError, String(e));
    assert.match(e.message, /the compiler (crashed|ran out of (memory|time)) on this submission/);
  }
  assert.ok(performance.now() - t0 < 25_000);
  const { exports } = await compiled({ 'index.js': 'exports.train = () => 42;\n' }); // the grader's compile still works
  assert.is((exports.train as () => number)(), 42);
});

test('the compiler out of time or memory → CompileError naming the limit', async () => {
  await refused({ 'index.js': 'exports.train = () => 1;\n' }, /the compiler ran out of time on this submission \(limit 0\.001 s\)/, { options: { timeLimitMs: 1 } });
  const iso = detectIsolation();
  const n = 200_000;
  await refused({ 'index.ts': `export const x = ${'['.repeat(n)}${']'.repeat(n)};\n` },
    iso.memory === 'cgroup-v1' ? /the compiler ran out of memory on this submission \(limit 48 MiB\)/ : /the compiler (ran out of memory|crashed)/,
    { options: { memoryLimitBytes: 48 * 1024 * 1024 } });
});

test('the hostile submission files for the class-wide test are refused for their stated reason', async () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'submissions');
  const names = readdirSync(dir).filter((n) => n.startsWith('compile-'));
  assert.ok(names.length >= 2);
  for (const name of names) {
    const entry = existsSync(join(dir, name, 'index.ts')) ? join(dir, name, 'index.ts') : join(dir, name);
    const expect = /^\/\/ expect: BAD_SUBMISSION \/(.*)\/\s*$/m.exec(readFileSync(entry, 'utf8'));
    assert.ok(expect, `${name} has an expect header`);
    const files: Record<string, string> = {};
    if (entry.endsWith('index.ts')) for (const f of readdirSync(join(dir, name))) files[f] = readFileSync(join(dir, name, f), 'utf8');
    else files[name] = readFileSync(entry, 'utf8');
    await refused(files, new RegExp(expect[1]!), entry.endsWith('index.ts') ? {} : { single: name });
  }
});

// --- honest twins ------------------------------------------------------------------------

test('a multi-file TS folder: extension-less, .js-for-.ts, folder index, JSON, tsconfig paths, package main inside', async () => {
  (globalThis as Record<symbol, unknown>)[TF_GLOBAL] = { version: 'stub-tf' };
  const { exports, code } = await compiled({
    'index.ts': [
      `import * as tf from '@tensorflow/tfjs';`,
      `import { double } from './lib/math';`,
      `import { greet } from './util.js';`,
      `import { makeModel } from './models';`,
      `import config from './config.json';`,
      `import cfg2 from './config.json' with { type: 'json' };`,
      `import { three } from '@lib/three';`,
      `import { four } from './pkg';`,
      `import { join } from 'node:path';`,
      `export async function train() { return { tf: (tf as unknown as { version: string }).version, d: double(config.base), g: greet('x'), m: makeModel().kind, cfg2: cfg2.base, three, four, sep: join('a', 'b') }; }`,
      `export async function distance() { return []; }`,
    ].join('\n'),
    'lib/math.ts': 'export const double = (x: number): number => 2 * x;\n',
    'util.ts': 'export function greet(n: string): string { return `hi ${n}`; }\n',
    'models/index.ts': `import { Base } from '../lib/base';\nexport function makeModel() { return new Base(); }\n`,
    'lib/base.ts': 'export class Base { kind = "base"; }\n',
    'lib/three.ts': 'export const three = 3;\n',
    'config.json': '{ "base": 21 }',
    'pkg/package.json': JSON.stringify({ main: 'lib/entry.ts' }),
    'pkg/lib/entry.ts': 'export const four = 4;\n',
    'tsconfig.json': '{ "compilerOptions": { "baseUrl": ".", "paths": { "@lib/*": ["lib/*"] } } }',
  });
  assert.equal(await (exports.train as () => Promise<unknown>)(), { tf: 'stub-tf', d: 42, g: 'hi x', m: 'base', cfg2: 21, three: 3, four: 4, sep: 'a/b' });
  assert.is((exports.train as () => unknown).name, 'train', 'keepNames: no train2');
  assert.ok(code.includes('require("node:path")'), 'built-ins stay external');
});

test('CommonJS require(\'./model\') / module.exports = model in a cache under a "type": "module" package', async () => {
  const esmRepo = join(root, 'esm-repo');
  mkdirSync(esmRepo, { recursive: true });
  writeFileSync(join(esmRepo, 'package.json'), JSON.stringify({ name: 'repo', type: 'module' }));
  const { exports } = await compiled({
    'index.js': `const model = require('./model');\nexports.train = async function train() { return model; };\nexports.distance = async function distance() { return []; };\n`,
    'model.js': `const model = { summary() { return 'a model'; } };\nmodule.exports = model;\n`,
  }, join(esmRepo, '.dlgrade-cache'));
  const model = await (exports.train as () => Promise<{ summary: unknown }>)();
  assert.is(typeof model.summary, 'function');
  assert.is((model.summary as () => string)(), 'a model');
});

test('errors and stack frames name the student\'s own files', async () => {
  const msg = await refused({ 'index.ts': 'export async function train( {\n' }, /Expected identifier but found end of file\n\n    index\.ts:2:0:/);
  assert.not.ok(msg.includes('dlgrade-src'), msg);
  const { exports, j } = await compiled({ 'index.ts': `import { boom } from './lib/boom';\nexport function train() { return boom(); }\n`, 'lib/boom.ts': `export function boom(): never {\n  throw new Error('deliberate');\n}\n` });
  const code = readFileSync(j.out, 'utf8');
  const map = JSON.parse(Buffer.from(/base64,([^\n]+)\n$/.exec(code)![1]!, 'base64').toString()) as { sources: string[] };
  assert.equal(map.sources.sort(), ['src/index.ts', 'src/lib/boom.ts']);
  process.setSourceMapsEnabled(true);
  try {
    (exports.train as () => void)();
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).stack!, new RegExp(`${j.src}/lib/boom\\.ts:2:\\d+`));
  }
});

test('a single-file submission sees nothing beside it', async () => {
  const j = job({ 'sub.ts': `import x from './other';\nexport const train = () => x;\n`, 'other.ts': 'export default 1;\n' });
  await rejectsWith(compileSubmission(join(j.src, 'sub.ts'), join(j.src, 'sub.ts'), j.out), /cannot import "\.\/other": no such file/);
});

test.run();
