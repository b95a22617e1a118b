// Siamese verification on a balanced pair set (course notes WORK4). The
// submission trains on labelled images, then returns one distance per pair;
// label 1 (different digits) should get the larger distance. AUC is computed
// here from those distances and labels that never leave this process.
import { evalSplit } from '../shared/eval-split.ts';
import type { DatasetName } from '../../data/image-dataset.ts';
import { balancedPairs, PairCountError, type PairSet } from '../../data/pairs.ts';
import { rocAuc, rocCurve } from '../../metrics/auc.ts';
import { writePairFiles } from '../shared/pair-files.ts';
import type { PrepareContext, PreparedTask, TaskHost } from '../types.ts';

export interface SiameseParams {
  kind: 'siamese-pairs';
  dataset: DatasetName;
  trainCount: number;
  positivesPerClass: number;
  negativesPerCombination: number;
  /** Number of images per chunk handed to distance(). */
  predictBatch: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'trainCount', 'positivesPerClass', 'negativesPerCombination'],
  properties: {
    kind: { const: 'siamese-pairs' },
    dataset: { enum: ['mnist', 'fashion-mnist'] },
    trainCount: { type: 'integer', minimum: 100, maximum: 60000 },
    positivesPerClass: { type: 'integer', minimum: 1 },
    negativesPerCombination: { type: 'integer', minimum: 1 },
    predictBatch: { type: 'integer', minimum: 1, default: 1000 },
  },
};

const outputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['distances'],
  properties: { distances: { type: 'array', items: { type: 'number' }, returnedBy: 'distance()', each: 'pair', noun: 'distance' } },
};

export const siamesePairs: TaskHost = {
  kind: 'siamese-pairs',
  paramsSchema,
  metrics: ['auc', 'best_accuracy'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as SiameseParams;
    const { cache, split: evalSplitName, where, labels, pool, trainFiles, describe, checkMeasuredOn } = evalSplit(ctx, p);
    const seed = ctx.draw; // grade: from the instructor's secret; check: the public "<seed>/check"
    let pairs: PairSet;
    try {
      pairs = balancedPairs(labels, pool, { positivesPerClass: p.positivesPerClass, negativesPerCombination: p.negativesPerCombination, seed });
    } catch (e) {
      throw e instanceof PairCountError ? new Error(`${ctx.assignment.specPath}: ${pairCountMessage(e, where)}`) : e;
    }
    const pairFiles = writePairFiles(ctx, cache.meta.checksum, pairs.a, pairs.b);
    return {
      files: {
        ...trainFiles,
        evalImages: cache.files[`${evalSplitName}Images`],
        ...pairFiles,
      },
      params: { trainCount: p.trainCount, height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 },
      dataset: { name: p.dataset, checksum: cache.meta.checksum, evaluatedOn: describe(pairs.label.length, 'balanced pairs') },
      checkMeasuredOn: checkMeasuredOn(pairs.label.length, 'balanced pairs'),
      outputSchema,
      // One JSON number per pair (≤ 25 characters), and room for the rest of the message.
      maxOutputBytes: 64 * 1024 + pairs.label.length * 32,
      checkOutputs(outputs) {
        const d = (outputs as { distances: number[] }).distances;
        if (d.length !== pairs.label.length) throw new Error(`distance() returned the wrong number of distances: expected ${pairs.label.length} distances (one per pair), got ${d.length}; return a tensor of shape [n] for the n pairs in a and b`);
        const bad = d.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new Error(`distance() returned ${d[bad]} for pair ${bad}; every distance must be a finite number`);
      },
      hints(_outputs, metrics): Record<string, string> {
        return metrics.auc !== undefined && metrics.auc < 0.5 ? { auc: 'an AUC below 0.5 means your distances may be reversed: larger must mean a different digit' } : {};
      },
      score(outputs) {
        const d = (outputs as { distances: number[] }).distances;
        return { auc: rocAuc(d, pairs.label), best_accuracy: bestThresholdAccuracy(d, pairs.label) };
      },
      plots(outputs) {
        return { roc: rocCurve((outputs as { distances: number[] }).distances, pairs.label) };
      },
    };
  },
};

/** An impossible pair count, in the words of assignment.json. */
export function pairCountMessage(e: PairCountError, where: string): string {
  if (e.available === 0 && e.classes.length === 1) return `task.${e.field} needs at least 2 images of class ${e.classes[0]} in the ${where} (${e.message})`;
  const between = e.classes.length === 1 ? `class ${e.classes[0]} allows` : `classes ${e.classes[0]} and ${e.classes[1]} allow`;
  return `task.${e.field} ${e.requested} is more than the ${e.available} distinct pairs ${between} in the ${where}`;
}

/** Accuracy of the best single distance threshold: an intuitive companion to AUC. */
export function bestThresholdAccuracy(d: ArrayLike<number>, label: ArrayLike<number>): number {
  const n = d.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i]! - d[j]!);
  let totalDiff = 0;
  for (let i = 0; i < n; i++) totalDiff += label[i]!;
  // Threshold below everything: predict "different" for all.
  let best = totalDiff, correct = totalDiff;
  for (let t = 0; t < n; ) {
    let e = t;
    while (e + 1 < n && d[order[e + 1]!] === d[order[t]!]) e++;
    for (let k = t; k <= e; k++) correct += label[order[k]!] === 0 ? 1 : -1;
    best = Math.max(best, correct);
    t = e + 1;
  }
  return best / n;
}
