// Which images a task evaluates on: in `grade` mode the dataset's test split;
// in `check` mode (a student's self-check) the training images past
// trainCount, which the submission never receives.
import { ensureDatasetCache, readLabels, type DatasetCache, type DatasetName, type SplitName } from '../../data/image-dataset.ts';
import { range } from '../../data/pairs.ts';
import type { PrepareContext } from '../types.ts';

export interface EvalSplit {
  cache: DatasetCache;
  split: SplitName;
  /** Labels of the whole split (trusted side only). */
  labels: Uint8Array;
  /** Indices into the split that may be evaluated on. */
  pool: Int32Array;
}

export function evalSplit(ctx: PrepareContext, p: { dataset: DatasetName; trainCount: number }): EvalSplit {
  const cache = ensureDatasetCache(p.dataset, ctx.cacheRoot, ctx.dataDir);
  const split: SplitName = ctx.mode === 'grade' ? 'test' : 'train';
  const labels = readLabels(cache, split);
  const pool = ctx.mode === 'grade' ? range(0, labels.length) : range(p.trainCount, labels.length - p.trainCount);
  if (pool.length < 20) throw new Error(`${ctx.assignment.specPath}: trainCount ${p.trainCount} leaves no validation images`);
  return { cache, split, labels, pool };
}
