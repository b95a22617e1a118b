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
import { tfvisWarning } from '../../grader/sandbox/shims/tf-packages.ts';
import { REPO_ROOT } from '../../grader/spec/load.ts';
import { tempDir, tinySiameseAssignment, writeSubmission, writeTinyMnist } from '../helpers/fixtures.ts';

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
  await refused({ 'index.js': 'exports.train = () => 1;\n' }, /the compiler ran out of time on this submission \(limit 0\.001 s of CPU time\)/, { options: { timeLimitMs: 1 } });
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

test('a syntax error in a helper file names that file and line, relative to the submission', async () => {
  const msg = await refused({ 'index.ts': `import { f } from './lib/helper';\nexport const train = () => f();\n`, 'lib/helper.ts': `export function f() {\n  return [1, 2;\n}\n` }, /\n    lib\/helper\.ts:2:\d+:/);
  assert.not.ok(/\/src\/|dlgrade-src|\.dlgrade-cache/.test(msg), msg);
});

// --- @tensorflow packages ----------------------------------------------------------------

test('tfjs-vis: fitCallbacks, show, render and visor draw nothing; metrics are computed; one warning names the file', async () => {
  (globalThis as Record<symbol, unknown>)[TF_GLOBAL] = { version: 'stub-tf', data: { array: (xs: unknown[]) => ({ kind: 'dataset', xs }) } };
  const j = job({
    'index.ts': [
      `import * as tf from '@tensorflow/tfjs';`,
      `import { run } from './lib/charts';`,
      `export async function train() { return { v: (tf as unknown as { version: string }).version, charts: await run() }; }`,
    ].join('\n'),
    'lib/charts.ts': [
      `import * as tfvis from '@tensorflow/tfjs-vis';`,
      `import { show } from '@tensorflow/tfjs-vis';`,
      `import * as tfd from '@tensorflow/tfjs-data';`,
      `import '@tensorflow/tfjs-backend-wasm';`,
      `import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';`,
      `import '@tensorflow/tfjs-backend-webgl';`,
      `export async function run() {`,
      `  setWasmPaths('https://cdn.example/'); setThreadsCount(4);`,
      `  const surface = tfvis.visor().surface({ name: 'Loss', tab: 'Training' });`,
      `  surface.drawArea.appendChild({});`,
      `  tfvis.visor().toggle(); tfvis.visor().open();`,
      `  const defaults = show.fitCallbacks(surface, ['loss']);`,
      `  const some = tfvis.show.fitCallbacks({ name: 'x' }, ['loss'], { callbacks: ['onEpochEnd', 'onTrainEnd'] });`,
      `  await defaults.onEpochEnd(0, { loss: 1 }); await defaults.onBatchEnd(0, { loss: 1 });`,
      `  await tfvis.show.modelSummary({ name: 'm' }, {}); await tfvis.show.history({ name: 'h' }, {}, ['loss']);`,
      `  await tfvis.render.linechart({ name: 'l' }, { values: [] }); await tfvis.render.scatterplot({ name: 's' }, { values: [] });`,
      `  const labels = { rank: 1, data: async () => Float32Array.from([0, 1, 1, 2, 2, 2]) };`,
      `  const preds = [0, 1, 2, 2, 2, 0];`,
      `  return {`,
      `    keys: [Object.keys(defaults).sort(), Object.keys(some).sort()],`,
      `    accuracy: await tfvis.metrics.accuracy(labels, preds),`,
      `    confusion: await tfvis.metrics.confusionMatrix(labels, preds),`,
      `    perClass: await tfvis.metrics.perClassAccuracy(labels, preds, 4),`,
      `    data: tfd.array([1, 2]),`,
      `  };`,
      `}`,
    ].join('\n'),
  });
  const { warnings } = await compileSubmission(entryOf(j.src), j.src, j.out);
  assert.equal(warnings, ['lib/charts.ts imports @tensorflow/tfjs-vis: tfjs-vis draws nothing in the grader (no display), so its charts, visor and fitCallbacks do nothing here, while tfvis.metrics are computed as usual.']);
  const exports = requireHere(j.out) as { train: () => Promise<unknown> };
  assert.equal(await exports.train(), {
    v: 'stub-tf',
    charts: {
      keys: [['onBatchEnd', 'onEpochEnd'], ['onEpochEnd', 'onTrainEnd']],
      accuracy: 4 / 6,
      confusion: [[1, 0, 0], [0, 1, 1], [1, 0, 2]],
      perClass: [{ accuracy: 1, count: 1 }, { accuracy: 0.5, count: 2 }, { accuracy: 2 / 3, count: 3 }, { accuracy: 0, count: 0 }],
      data: { kind: 'dataset', xs: [1, 2] },
    },
  });
  const map = JSON.parse(Buffer.from(/base64,([^\n]+)\n$/.exec(readFileSync(j.out, 'utf8'))![1]!, 'base64').toString()) as { sources: string[] };
  assert.ok(map.sources.includes('dlgrade:tfjs-vis') && map.sources.includes('dlgrade:tf'), map.sources.join(', '));
  // Without tfjs-vis, no warning.
  const k = job({ 'index.ts': `${TF}export async function train() {}\n${PIXEL}\n` });
  assert.equal((await compileSubmission(entryOf(k.src), k.src, k.out)).warnings, []);
});

test('an @tensorflow package the grader does not provide → refused, listing what may be imported', async () => {
  await refused({ 'index.ts': `import * as automl from '@tensorflow/tfjs-automl';\nexport const train = () => automl;\n` },
    /cannot import "@tensorflow\/tfjs-automl": the grader provides only these @tensorflow packages: tfjs, tfjs-core, tfjs-layers, tfjs-converter, tfjs-node, tfjs-node-gpu, tfjs-data, tfjs-backend-cpu, tfjs-backend-wasm, tfjs-backend-webgl, tfjs-vis/);
  await refused({ 'index.ts': `import { x } from '@tensorflow/tfjs-core/dist/ops/ops';\nexport const train = () => x;\n` }, /cannot import "@tensorflow\/tfjs-core\/dist\/ops\/ops": the grader provides only these @tensorflow packages/);
});

test('tsconfig.json "paths" for @tensorflow packages (as dlgrade init writes, absolute) are never used, not refused', async () => {
  (globalThis as Record<symbol, unknown>)[TF_GLOBAL] = { version: 'stub-tf' };
  const dts = join(root, 'elsewhere', 'node_modules', '@tensorflow', 'tfjs', 'dist', 'index.d.ts');
  const { exports } = await compiled({
    'index.ts': `import * as tf from '@tensorflow/tfjs-node';\nexport async function train() { return (tf as unknown as { version: string }).version; }\n`,
    'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, paths: { '@tensorflow/tfjs': [dts], '@tensorflow/tfjs-node': [dts], '@tensorflow/*': [LABELS] } } }),
  });
  assert.is(await (exports.train as () => Promise<string>)(), 'stub-tf');
  await refused({ // any other package's "paths" still may not leave the folder
    'index.ts': `import labels from 'tfjs-labels';\nexport const train = () => labels;\n`,
    'tsconfig.json': JSON.stringify({ compilerOptions: { paths: { '@tensorflow/tfjs': [dts], 'tfjs-labels': [LABELS] } } }),
  }, /tsconfig\.json: "paths" maps "tfjs-labels" to ".*", outside the submission's folder/);
});

// --- type check (dlgrade check) ------------------------------------------------------------

/** Compiles with a type check; the bundle is always written. */
async function typeWarnings(files: Record<string, string>, options: CompileOptions = {}): Promise<string[]> {
  const j = job(files);
  const { warnings } = await compileSubmission(entryOf(j.src), j.src, j.out, { typeCheck: true, ...options });
  assert.ok(existsSync(j.out), 'the bundle is written');
  for (const w of warnings) assert.not.ok(/\/jobs\/|dlgrade-submission|node_modules|\/work\//.test(w), `internal path in: ${w}`);
  return warnings;
}

test('type check: errors in the entry and in helpers, file:line, at most 10, only when asked', async () => {
  const files = {
    'index.ts': `${TF}import { count } from './lib/count';\nexport async function train({ images }: { images: tf.Tensor4D }) {\n  const n: string = images.shape[0];\n  return count(n);\n}\n${PIXEL}\n`,
    'lib/count.ts': `export function count(n: number): number {\n  return n.toUpperCase();\n}\n`,
  };
  const warnings = await typeWarnings(files);
  assert.equal(warnings, [
    `index.ts:4: Type 'number' is not assignable to type 'string'. (types are not checked when grading)`,
    `index.ts:5: Argument of type 'string' is not assignable to parameter of type 'number'. (types are not checked when grading)`,
    `lib/count.ts:2: Property 'toUpperCase' does not exist on type 'number'. (types are not checked when grading)`,
  ]);
  const j = job(files); // grading: no type check, no warnings
  assert.equal((await compileSubmission(entryOf(j.src), j.src, j.out)).warnings, []);
  const many = await typeWarnings({ 'index.ts': Array.from({ length: 14 }, (_, i) => `export const v${i}: string = ${i};`).join('\n') + '\n' });
  assert.is(many.length, 11);
  assert.is(many[0], `index.ts:1: Type 'number' is not assignable to type 'string'. (types are not checked when grading)`);
  assert.is(many[10], '…and 4 more type errors (types are not checked when grading)');
});

test('type check: honest code has no type errors (chained ops, tfjs-node, tfjs-vis, Node built-ins, require, JSON, a type-only import)', async () => {
  const warnings = await typeWarnings({
    'index.ts': [
      `import * as tf from '@tensorflow/tfjs-node';`,
      `import * as tfvis from '@tensorflow/tfjs-vis';`,
      `import { readFileSync } from 'node:fs';`,
      `import * as path from 'path';`,
      `import type { Shape } from './types';`,
      `import config from './config.json';`,
      `const helper = require('./helper.js');`,
      `export async function train(data, ctx) {`,
      `  const images: tf.Tensor4D = data.images;`,
      `  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: config.units })] });`,
      `  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });`,
      `  const s: Shape = images.shape;`,
      `  const y = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 10);`,
      `  await model.fit(images.slice([0, 0, 0, 0], [2, 28, 28, 1]), y, { epochs: 1, callbacks: tfvis.show.fitCallbacks({ name: 'l' }, ['loss']) });`,
      `  console.log(s, path.join('a', 'b'), typeof readFileSync, helper.x, process.memoryUsage().rss, Buffer.from('x'));`,
      `  return model;`,
      `}`,
      `export async function distance(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) {`,
      `  return tf.tidy(() => (model.predict(a) as tf.Tensor).sub(model.predict(b) as tf.Tensor).square().sum(1).sqrt());`,
      `}`,
    ].join('\n'),
    'types.ts': 'export type Shape = number[];\n',
    'config.json': '{ "units": 8 }',
    'helper.js': 'exports.x = 1;\n',
  });
  assert.equal(warnings, [tfvisWarning('index.ts')], 'no type error, only the tfjs-vis warning');
});

test('type check: strictness follows the submission\'s tsconfig.json', async () => {
  const index = `export function scale(x) { return x * 2; }\nexport const n: number = [1, 2].find((v) => v > 1);\n`;
  assert.equal(await typeWarnings({ 'index.ts': index }), [], 'TypeScript\'s defaults: not strict');
  const strict = await typeWarnings({ 'index.ts': index, 'tsconfig.json': '{ "compilerOptions": { "strict": true, /* as tsc --init */ } }' });
  assert.equal(strict.map((w) => w.split(':').slice(0, 2).join(':')), ['index.ts:1', 'index.ts:2']);
  assert.match(strict[0]!, /Parameter 'x' implicitly has an 'any' type/);
  assert.match(strict[1]!, /'number \| undefined' is not assignable to type 'number'/);
});

test('type check: a type-level blow-up or a checker out of memory costs only a warning, never the compile', async () => {
  const bomb = [
    'type T25 = [' + Array(25).fill('0').join(', ') + '];',
    'type Bomb<N extends unknown[], S> = N extends [unknown, ...infer R] ? { l: Bomb<R, [S, 0]>; r: Bomb<R, [S, 1]> } : S;',
    'type Walk<T> = T extends { l: infer L; r: infer R } ? Walk<L> | Walk<R> : T;',
    ...Array.from({ length: 6 }, (_, i) => `export const v${i}: Walk<Bomb<T25, ${i}>> = 0 as any as Walk<Bomb<T25, 'x${i}'>>;`),
    'export function train() { return 1; }',
  ].join('\n');
  const t0 = performance.now();
  const hung = await typeWarnings({ 'index.ts': bomb }, { timeLimitMs: 8000 });
  assert.equal(hung.length, 1);
  assert.match(hung[0]!, /^types were not checked: the type checker ran out of (time \(limit 8 s of CPU time\)|memory|stack)[^;]*; the submission is graded as usual$/);
  assert.ok(performance.now() - t0 < 15_000);
  const starved = await typeWarnings({ 'index.ts': `${TF}export async function train() {}\n${PIXEL}\n` }, { memoryLimitBytes: 80 * 1024 * 1024 });
  assert.equal(starved, ['types were not checked: the type checker ran out of memory (limit 80 MiB); the submission is graded as usual']);
  // A compile error is still the compile's, type check or not.
  await refused({ 'index.ts': 'export async function train( {\n' }, /Expected identifier but found end of file/, { options: { typeCheck: true } });
});

test('dlgrade check shows the type errors of the student fixture as warnings; its grade (the class test) does not', async () => {
  const dir = join(root, 'cli-check');
  const dataDir = writeTinyMnist(join(dir, 'idx'));
  const assignment = tinySiameseAssignment(dir);
  const fixture = join(REPO_ROOT, 'test/student/submissions/compile-type-error.ts');
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), 'check', assignment, fixture,
    '--out', join(dir, 'out'), '--cache-dir', join(dir, 'cache'), '--data-dir', dataDir, '--json', join(dir, 'summary.json'), '-q'], { encoding: 'utf8', cwd: dir });
  assert.is(r.status, 0, r.stderr);
  const [result] = (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { results: Array<{ verdict: string; warnings?: string[] }> }).results;
  assert.is(result!.verdict, 'PASS');
  assert.equal(result!.warnings, [`compile-type-error.ts:6: Type 'number' is not assignable to type 'string'. (types are not checked when grading)`]);
});

test('a single-file submission sees nothing beside it', async () => {
  const j = job({ 'sub.ts': `import x from './other';\nexport const train = () => x;\n`, 'other.ts': 'export default 1;\n' });
  await rejectsWith(compileSubmission(join(j.src, 'sub.ts'), join(j.src, 'sub.ts'), j.out), /cannot import "\.\/other": no such file/);
});

test.run();
