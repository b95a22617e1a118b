// Which images a task evaluates on: in `grade` mode the dataset's test split;
// in `check` mode (a student's self-check) the training images past
// trainCount, which the submission never receives labelled: in check mode the
// sandbox's training-labels file holds the first trainCount labels only.
import { ensureDatasetCache, readLabels, trainLabelsPrefixFile, type DatasetCache, type DatasetName, type SplitName } from '../../data/image-dataset.ts';
import { range } from '../../data/pairs.ts';
import type { PrepareContext } from '../types.ts';

/** Fewest images a self-check may evaluate on. */
const MIN_EVAL_IMAGES = 20;

export interface EvalSplit {
  cache: DatasetCache;
  split: SplitName;
  /** How messages name the evaluated images: "test split" or "check split". */
  where: string;
  /** Labels of the whole split (trusted side only). */
  labels: Uint8Array;
  /** Indices into the split that may be evaluated on. */
  pool: Int32Array;
  /**
   * The training files the sandbox gets. trainLabels never covers an evaluated
   * image: in check mode it holds exactly the first trainCount labels.
   */
  trainFiles: { trainImages: string; trainLabels: string };
  /**
   * What `count` evaluated items (images, or pairs of images: `of` "balanced pairs") are, in words
   * a report can show: grade "10,000 test images"; check "5,000 held-back training images (check
   * mode; grading uses the hidden test set)".
   */
  describe(count: number, of?: string): string;
  /** check mode only: describe(count, of), for PreparedTask.checkMeasuredOn. */
  checkMeasuredOn(count: number, of?: string): string | undefined;
}

/** "5,000 held-back training images (check mode; …)", "4,500 balanced pairs of test images". */
export function describeEval(mode: PrepareContext['mode'], count: number, of?: string): string {
  const n = count.toLocaleString('en-US');
  const images = mode === 'grade' ? 'test images' : 'held-back training images';
  const what = of ? `${n} ${of} of ${images}` : `${n} ${images}`;
  return mode === 'grade' ? what : `${what} (check mode; grading uses the hidden test set)`;
}

export function evalSplit(ctx: PrepareContext, p: { dataset: DatasetName; trainCount: number }): EvalSplit {
  const where = ctx.assignment.specPath;
  const cache = ensureDatasetCache(p.dataset, ctx.cacheRoot, ctx.dataDir);
  const nTrain = cache.meta.counts.train;
  if (p.trainCount > nTrain) throw new Error(`${where}: task.trainCount ${p.trainCount} is more than the ${nTrain} training images of ${p.dataset}`);
  const split: SplitName = ctx.mode === 'grade' ? 'test' : 'train';
  const labels = readLabels(cache, split);
  const pool = ctx.mode === 'grade' ? range(0, labels.length) : range(p.trainCount, labels.length - p.trainCount);
  if (ctx.mode === 'check' && pool.length < MIN_EVAL_IMAGES) {
    throw new Error(`${where}: task.trainCount ${p.trainCount} leaves ${pool.length} of the ${nTrain} training images for the self-check; it needs at least ${MIN_EVAL_IMAGES}`);
  }
  if (pool.length < MIN_EVAL_IMAGES) throw new Error(`${where}: the test split of ${p.dataset} has only ${pool.length} images; at least ${MIN_EVAL_IMAGES} are needed`);
  const trainLabels = ctx.mode === 'grade' ? cache.files.trainLabels : trainLabelsPrefixFile(cache, p.trainCount);
  return {
    cache, split, where: ctx.mode === 'grade' ? 'test split' : 'check split', labels, pool, trainFiles: { trainImages: cache.files.trainImages, trainLabels },
    describe: (count, of) => describeEval(ctx.mode, count, of),
    checkMeasuredOn: (count, of) => (ctx.mode === 'check' ? describeEval(ctx.mode, count, of) : undefined),
  };
}
