// Siamese verification on a balanced pair set (course notes WORK4). The
// submission trains on labelled images, then returns one distance per pair;
// label 1 (different digits) should get the larger distance. AUC is computed
// here from those distances and labels that never leave this process.
//
// One-shot verification (course notes 004, C4_W4) is the same task with
// class subsets: `trainClasses` are the only classes whose training images
// the sandbox gets (shared/class-subset.ts), `evalClasses` the only ones the
// pairs are drawn from (classes never seen in training). With `threshold`
// the submission names the distance at which it says "different" and
// `threshold_accuracy` is measured at it here (a parameter of a measurement: it cannot
// raise anything else). With `tripletModel`, the verify stage (no student
// code) reads the model.json the submission saved in out/<tripletModel>/ and
// `shared_embedding` is read here from that topology: a layer or nested model
// with weights called on three different inputs (anchor, positive,
// negative). The file is written in the submission's realm, so that item is
// an integrity signal.
import { evalSplit } from '../shared/eval-split.ts';
import type { DatasetName } from '../../data/image-dataset.ts';
import { balancedPairs, PairCountError, type PairSet } from '../../data/pairs.ts';
import { rocAuc, rocCurve } from '../../metrics/auc.ts';
import { accuracy, confusionMatrix } from '../../metrics/classes.ts';
import { classSubsetTrainFiles } from '../shared/class-subset.ts';
import { writePairFiles } from '../shared/pair-files.ts';
import { savedModelIn, sharedLayers, type SavedModel } from '../shared/topology.ts';
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';

export interface SiameseParams {
  kind: 'siamese-pairs';
  dataset: DatasetName;
  trainCount: number;
  positivesPerClass: number;
  negativesPerCombination: number;
  /** Number of images per chunk handed to distance(). */
  predictBatch: number;
  /** Only these classes' training images (of the first trainCount) go to the sandbox. */
  trainClasses?: number[];
  /** Pairs are drawn from these classes only (positivesPerClass each, negativesPerCombination per pair of them). */
  evalClasses?: number[];
  /** The submission names its distance threshold ("different" at or above it); `threshold_accuracy` is measured at it. */
  threshold?: boolean;
  /** Folder under out/ where the submission saves its triplet training model; `shared_embedding` is read from it. */
  tripletModel?: string;
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
    trainClasses: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 2, maxItems: 10, uniqueItems: true },
    evalClasses: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 2, maxItems: 10, uniqueItems: true },
    threshold: { type: 'boolean', default: false },
    tripletModel: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
  },
};

const outputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['distances'],
  properties: {
    distances: { type: 'array', items: { type: 'number' }, returnedBy: 'distance()', each: 'pair', noun: 'distance' },
    threshold: { type: 'number' },
  },
};

/** What the verify stage hands over: the triplet model's model.json as saved, or why there is none. */
export interface TripletVerify { modelJson: string | null; errors: string[] }

/**
 * Layers (or nested models) with weights called on at least three different
 * inputs in the saved triplet model: the shared embedding of anchor, positive
 * and negative. Returns the largest number of distinct inputs one such layer
 * was called on (0 when none is shared).
 */
export function sharedEmbeddingCalls(saved: SavedModel): number {
  let most = 0;
  for (const l of sharedLayers(saved)) {
    const distinct = new Set(l.inbound.map((call) => call.map((r) => r.join('\u0000')).join('\u0001')));
    most = Math.max(most, distinct.size);
  }
  return most;
}

interface Outputs { distances: number[]; threshold?: number }

export const siamesePairs: TaskHost = {
  kind: 'siamese-pairs',
  paramsSchema,
  metrics: ['auc', 'best_accuracy', 'threshold_accuracy', 'shared_embedding'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as SiameseParams;
    const { cache, split: evalSplitName, where, labels: splitLabels, pool: splitPool, trainFiles: allTrainFiles, describe, checkMeasuredOn } = evalSplit(ctx, p);
    const seed = ctx.draw; // grade: from the instructor's secret; check: the public "<seed>/check"
    // Class subsets: the pairs come from evalClasses (relabelled 0…k-1 for the pair sampler), training from trainClasses.
    const evalClasses = p.evalClasses;
    const slot = new Int16Array(256).fill(-1);
    evalClasses?.forEach((c, k) => { slot[c] = k; });
    const labels = evalClasses ? Uint8Array.from(splitLabels, (y) => (slot[y]! >= 0 ? slot[y]! : 255)) : splitLabels;
    const pool = evalClasses ? splitPool.filter((i) => slot[splitLabels[i]!]! >= 0) : splitPool;
    const train = p.trainClasses ? classSubsetTrainFiles(ctx, cache, p.trainCount, p.trainClasses) : undefined;
    if (p.trainClasses && evalClasses?.some((c) => p.trainClasses!.includes(c))) throw new Error(`${ctx.assignment.specPath}: task.evalClasses and task.trainClasses share class ${evalClasses.find((c) => p.trainClasses!.includes(c))}: one-shot pairs come from classes never trained on`);
    let pairs: PairSet;
    try {
      pairs = balancedPairs(labels, pool, { positivesPerClass: p.positivesPerClass, negativesPerCombination: p.negativesPerCombination, seed, numClasses: evalClasses?.length ?? 10 });
    } catch (e) {
      if (!(e instanceof PairCountError)) throw e;
      // The sampler counts the evaluated classes 0…k-1: name them as assignment.json does.
      const named = evalClasses ? Object.assign(Object.create(Object.getPrototypeOf(e)), e, { classes: e.classes.map((k) => evalClasses[k]!) }) as PairCountError : e;
      throw new Error(`${ctx.assignment.specPath}: ${pairCountMessage(named, where)}`);
    }
    const verified = (v?: VerifyResult): SavedModel | undefined => savedModelIn((v?.outputs as Partial<TripletVerify> | undefined)?.modelJson);
    const decisions = (o: Outputs) => o.distances.map((d) => (d >= o.threshold! ? 1 : 0));
    const pairFiles = writePairFiles(ctx, cache.meta.checksum, pairs.a, pairs.b);
    return {
      files: {
        ...(train ? train.files : allTrainFiles),
        evalImages: cache.files[`${evalSplitName}Images`],
        ...pairFiles,
      },
      params: { trainCount: train ? train.count : p.trainCount, threshold: p.threshold ?? false, height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 },
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
        const t = (outputs as Outputs).threshold;
        if (p.threshold && (typeof t !== 'number' || !Number.isFinite(t))) throw new Error(`threshold is ${t}; it must be a finite number`);
      },
      ...(p.tripletModel ? { verify: { params: { tripletModel: p.tripletModel } } } : {}),
      hints(outputs, metrics, v?: VerifyResult): Record<string, string> {
        const hints: Record<string, string> = {};
        if (metrics.auc !== undefined && metrics.auc < 0.5) hints.auc = 'an AUC below 0.5 means your distances may be reversed: larger must mean a different digit';
        const o = outputs as Outputs;
        if (metrics.threshold_accuracy !== undefined && o.threshold !== undefined) {
          hints.threshold_accuracy = `at your threshold ${Number(o.threshold.toPrecision(4))} accuracy is ${metrics.threshold_accuracy.toFixed(4)}; the best single threshold on these same distances would reach ${metrics.best_accuracy!.toFixed(4)}: choose the threshold on validation pairs of images and classes you held out from training`;
        }
        if (metrics.shared_embedding !== undefined && metrics.shared_embedding < 3) {
          const problems = (v?.outputs as Partial<TripletVerify> | undefined)?.errors ?? [];
          hints.shared_embedding = problems.length ? problems.join('; ')
            : `no layer with weights in the saved triplet model is called on three different inputs: build one embedding network and apply it to the anchor, positive and negative inputs (three calls of the same model), then save that training model into ctx.outDir/${p.tripletModel}`;
        }
        return hints;
      },
      score(outputs, v?: VerifyResult) {
        const o = outputs as Outputs;
        const d = o.distances;
        const metrics: Record<string, number> = { auc: rocAuc(d, pairs.label), best_accuracy: bestThresholdAccuracy(d, pairs.label) };
        if (p.threshold && o.threshold !== undefined) metrics.threshold_accuracy = accuracy(decisions(o), pairs.label);
        if (p.tripletModel) {
          const saved = verified(v);
          let calls = 0;
          try { calls = saved ? sharedEmbeddingCalls(saved) : 0; } catch { /* over topology.ts's bounds: nothing counts */ }
          metrics.shared_embedding = calls;
        }
        return metrics;
      },
      plots(outputs) {
        const o = outputs as Outputs;
        return {
          roc: rocCurve(o.distances, pairs.label),
          ...(p.threshold && o.threshold !== undefined ? { confusion: { labels: ['same', 'different'], counts: confusionMatrix(decisions(o), pairs.label, 2) } } : {}),
        };
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
