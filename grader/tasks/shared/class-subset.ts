// Tasks that train on some classes of a dataset only (a binary pair of
// Fashion-MNIST classes; the seen classes of a one-shot task): the sandbox
// gets files holding just those training images and their labels, so the
// other classes' images are not in anything it can read. Written once per
// (dataset, trainCount, classes, relabelling) next to the other prepared
// inputs, and reused while the content is the same. Only training data is
// written here (its labels are the submission's to know); evaluation labels
// never are.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSplit, type DatasetCache } from '../../data/image-dataset.ts';
import { sha256, writeAtomic, writeJsonAtomic } from '../../util/fs.ts';
import type { PrepareContext } from '../types.ts';

export interface ClassSubset {
  /** For the sandbox: trainImages (count·h·w bytes) and trainLabels (count bytes), in training-split order. */
  files: { trainImages: string; trainLabels: string };
  /** Images in the subset. */
  count: number;
  /** Images per class, in the order of `classes`. */
  perClass: number[];
}

/**
 * The training images among the first `trainCount` of the split whose class is
 * in `classes`, labelled `relabel[k]` for `classes[k]` (the original class when
 * `relabel` is not given).
 */
export function classSubsetTrainFiles(ctx: PrepareContext, cache: DatasetCache, trainCount: number, classes: readonly number[], relabel?: readonly number[]): ClassSubset {
  const where = ctx.assignment.specPath;
  if (new Set(classes).size !== classes.length) throw new Error(`${where}: the task names a class twice (${classes.join(', ')})`);
  if (relabel && relabel.length !== classes.length) throw new Error(`${where}: ${classes.length} classes but ${relabel.length} labels for them`);
  const split = readSplit(cache, 'train');
  if (trainCount > split.n) throw new Error(`${where}: task.trainCount ${trainCount} is more than the ${split.n} training images`);
  const px = split.height * split.width;
  const slot = new Int16Array(256).fill(-1);
  classes.forEach((c, k) => { slot[c] = k; });
  const perClass = classes.map(() => 0);
  const picked: number[] = [];
  for (let i = 0; i < trainCount; i++) {
    const k = slot[split.labels[i]!]!;
    if (k >= 0) { picked.push(i); perClass[k]!++; }
  }
  const empty = classes.filter((_, k) => perClass[k] === 0);
  if (empty.length) throw new Error(`${where}: no training image of class ${empty.join(', ')} among the first ${trainCount}`);
  const images = new Uint8Array(picked.length * px), labels = new Uint8Array(picked.length);
  picked.forEach((i, j) => {
    images.set(split.images.subarray(i * px, (i + 1) * px), j * px);
    const k = slot[split.labels[i]!]!;
    labels[j] = relabel ? relabel[k]! : classes[k]!;
  });
  const key = sha256(`${cache.meta.checksum}/${trainCount}/${classes.join(',')}/${relabel?.join(',') ?? ''}`).slice(0, 16);
  const dir = join(ctx.cacheRoot, 'prepared', `${ctx.assignment.spec.id}-train-subset-${key}`);
  const files = { trainImages: join(dir, 'trainImages.u8'), trainLabels: join(dir, 'trainLabels.u8') };
  for (const [file, bytes] of [[files.trainImages, images], [files.trainLabels, labels]] as const) {
    if (existsSync(file) && Buffer.compare(readFileSync(file), bytes) === 0) continue;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeAtomic(file, bytes);
    writeJsonAtomic(join(dir, 'about.json'), { note: 'training images and labels of the classes the task trains on, for the sandbox; no evaluation labels are written here', classes, relabel: relabel ?? null, trainCount });
  }
  return { files, count: picked.length, perClass };
}
