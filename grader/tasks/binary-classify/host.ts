// Binary image classification evaluated with ROC and a confusion matrix
// (course notes 004, C4_W2: "evaluate on the validation and test sets with a
// confusion matrix, ROC curves"). The submission trains on the training
// images of two classes (labels 1 = positive class, 0 = negative), returns
// one score per evaluation image and names a threshold. Both metrics are
// computed here against labels that never leave this process:
//   auc       the scores' ROC AUC (grader/metrics/auc.ts);
//   accuracy  share of images right when "score ≥ threshold" is read as the
//             positive class. The threshold is the student's choice, but it
//             is only a parameter of this measurement: a bad choice costs the
//             student accuracy, it cannot raise anything.
// best_accuracy (the best single threshold on the same scores) and threshold
// are reported for the hints and the report; no rubric item needs them.
import { classLabels } from '../image-classify/host.ts';
import { bestThresholdAccuracy } from '../siamese-pairs/host.ts';
import type { DatasetName } from '../../data/image-dataset.ts';
import { rocAuc, rocCurve } from '../../metrics/auc.ts';
import { accuracy, confusionMatrix } from '../../metrics/classes.ts';
import { classSubsetTrainFiles } from '../shared/class-subset.ts';
import { evalSplit } from '../shared/eval-split.ts';
import { writeIndexFiles } from '../shared/pair-files.ts';
import type { PrepareContext, PreparedTask, TaskHost } from '../types.ts';

export interface BinaryClassifyParams {
  kind: 'binary-classify';
  dataset: DatasetName;
  /** The first trainCount training images are considered; those of the two classes are handed over. */
  trainCount: number;
  /** Label 1. */
  positiveClass: number;
  /** Label 0. */
  negativeClass: number;
  predictBatch?: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'trainCount', 'positiveClass', 'negativeClass'],
  properties: {
    kind: { const: 'binary-classify' },
    dataset: { enum: ['mnist', 'fashion-mnist'] },
    trainCount: { type: 'integer', minimum: 100, maximum: 59000 },
    positiveClass: { type: 'integer', minimum: 0, maximum: 9 },
    negativeClass: { type: 'integer', minimum: 0, maximum: 9 },
    predictBatch: { type: 'integer', minimum: 1, default: 1000 },
  },
};

const outputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['scores', 'threshold'],
  properties: {
    scores: { type: 'array', items: { type: 'number' }, returnedBy: 'score()', each: 'image', noun: 'score' },
    threshold: { type: 'number' },
  },
};

interface Outputs { scores: number[]; threshold: number }

const predicted = (o: Outputs) => o.scores.map((s) => (s >= o.threshold ? 1 : 0));

export const binaryClassify: TaskHost = {
  kind: 'binary-classify',
  paramsSchema,
  metrics: ['auc', 'accuracy', 'best_accuracy', 'threshold'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as BinaryClassifyParams;
    const where = ctx.assignment.specPath;
    if (p.positiveClass === p.negativeClass) throw new Error(`${where}: task.positiveClass and task.negativeClass are both ${p.positiveClass}`);
    const { cache, split, labels, pool, describe, checkMeasuredOn } = evalSplit(ctx, p);
    const evalIdx = pool.filter((i) => labels[i] === p.positiveClass || labels[i] === p.negativeClass);
    const truth = Uint8Array.from(evalIdx, (i) => (labels[i] === p.positiveClass ? 1 : 0));
    if (!truth.includes(1) || !truth.includes(0)) throw new Error(`${where}: the ${ctx.mode === 'grade' ? 'test split' : 'check split'} has no image of class ${truth.includes(1) ? p.negativeClass : p.positiveClass}`);
    // The sandbox's training files hold only the two classes, labelled 1 (positive) and 0 (negative).
    const train = classSubsetTrainFiles(ctx, cache, p.trainCount, [p.negativeClass, p.positiveClass], [0, 1]);
    const names = classLabels(p.dataset);
    const pair = `${names[p.positiveClass]} vs ${names[p.negativeClass]}`;
    return {
      files: { ...train.files, evalImages: cache.files[`${split}Images`], ...writeIndexFiles(ctx, cache.meta.checksum, { evalIdx }) },
      params: { trainCount: train.count, height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 },
      dataset: { name: p.dataset, checksum: cache.meta.checksum, evaluatedOn: `${describe(evalIdx.length)} (${pair})` },
      checkMeasuredOn: checkMeasuredOn(evalIdx.length),
      outputSchema,
      // One JSON number per image (≤ 25 characters), and room for the rest of the message.
      maxOutputBytes: 64 * 1024 + evalIdx.length * 32,
      checkOutputs(outputs) {
        const o = outputs as Outputs;
        if (o.scores.length !== truth.length) throw new Error(`score() returned ${o.scores.length} scores for ${truth.length} images; return one score per image (a tensor of shape [n] or [n, 1])`);
        const bad = o.scores.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new Error(`score() returned ${o.scores[bad]} for image ${bad}; every score must be a finite number`);
        if (!Number.isFinite(o.threshold)) throw new Error(`threshold is ${o.threshold}; it must be a finite number`);
      },
      score(outputs) {
        const o = outputs as Outputs;
        return { auc: rocAuc(o.scores, truth), accuracy: accuracy(predicted(o), truth), best_accuracy: bestThresholdAccuracy(o.scores, truth), threshold: o.threshold };
      },
      hints(outputs, metrics): Record<string, string> {
        const o = outputs as Outputs;
        const hints: Record<string, string> = {};
        if (metrics.auc !== undefined && metrics.auc < 0.5) hints.auc = `an AUC below 0.5 means your scores may be reversed: score() must be larger for ${names[p.positiveClass]} (label 1) than for ${names[p.negativeClass]} (label 0)`;
        const positives = predicted(o).reduce((s: number, v) => s + v, 0);
        const lo = Math.min(...o.scores), hi = Math.max(...o.scores);
        const best = metrics.best_accuracy!, acc = metrics.accuracy!;
        hints.accuracy = `at your threshold ${fmt(o.threshold)} (scores range from ${fmt(lo)} to ${fmt(hi)}), ${positives.toLocaleString('en-US')} of ${truth.length.toLocaleString('en-US')} images are called ${names[p.positiveClass]} and accuracy is ${acc.toFixed(4)}; `
          + (best - acc > 0.02
            ? `the best single threshold on these same scores would reach ${best.toFixed(4)}: choose the threshold on images you held out from training (e.g. the one with the best accuracy there) rather than fixing it in advance`
            : 'no threshold does much better on these scores: the scores themselves need to separate the classes better (see the AUC)');
        return hints;
      },
      plots(outputs) {
        const o = outputs as Outputs;
        return {
          roc: rocCurve(o.scores, truth),
          confusion: { labels: [names[p.negativeClass]!, names[p.positiveClass]!], counts: confusionMatrix(predicted(o), truth, 2) },
        };
      },
    };
  },
};

const fmt = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : String(Number(x.toFixed(4))));
