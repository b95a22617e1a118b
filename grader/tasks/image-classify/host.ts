// Image classification (course notes 001, lab 1 and lab 2): the Keras
// workflow of Sequential → compile → fit → evaluate → predict on MNIST or
// Fashion-MNIST. Accuracy is computed here from the classes the grader's
// own predict call produced, against labels that never leave this process:
// that call runs in the verify stage (no student code) on the model the run
// stage saved (shared/saved-model.ts). fit_calls and evaluate_calls are
// observed in the submission's process: signals.
import type { DatasetName } from '../../data/image-dataset.ts';
import { accuracy, confusionMatrix } from '../../metrics/classes.ts';
import { evalSplit } from '../shared/eval-split.ts';
import { writeIndexFiles } from '../shared/pair-files.ts';
import type { SavedClassesVerify } from '../shared/saved-model.ts';
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';

export interface ImageClassifyParams {
  kind: 'image-classify';
  dataset: DatasetName;
  trainCount: number;
  predictBatch?: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'trainCount'],
  properties: {
    kind: { const: 'image-classify' },
    dataset: { enum: ['mnist', 'fashion-mnist'] },
    trainCount: { type: 'integer', minimum: 100, maximum: 59000 },
    predictBatch: { type: 'integer', minimum: 1, default: 1000 },
  },
};

const outputSchema = {
  type: 'object',
  required: ['fitCalls', 'evaluateCalls'],
  properties: {
    fitCalls: { type: 'integer', minimum: 0 },
    evaluateCalls: { type: 'integer', minimum: 0 },
  },
};

interface Outputs { fitCalls: number; evaluateCalls: number }

export const imageClassify: TaskHost = {
  kind: 'image-classify',
  paramsSchema,
  metrics: ['accuracy', 'fit_calls', 'evaluate_calls'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as ImageClassifyParams;
    const { cache, split, labels, pool, trainFiles, describe, checkMeasuredOn } = evalSplit(ctx, p);
    const truth = Uint8Array.from(pool, (i) => labels[i]!);
    const verifiedClasses = (verified?: VerifyResult): number[] => {
      const v = verified?.outputs as Partial<SavedClassesVerify> | undefined;
      return Array.isArray(v?.classes) && v.classes.length === truth.length ? v.classes : [];
    };
    return {
      files: { ...trainFiles, evalImages: cache.files[`${split}Images`], ...writeIndexFiles(ctx, cache.meta.checksum, { evalIdx: pool }) },
      params: { trainCount: p.trainCount, height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 },
      dataset: { name: p.dataset, checksum: cache.meta.checksum, evaluatedOn: describe(pool.length) },
      checkMeasuredOn: checkMeasuredOn(pool.length),
      outputSchema,
      maxOutputBytes: 64 * 1024, // the fit/evaluate counts (the classes come from the verify stage)
      checkOutputs() { /* the counts are checked by the schema; the classes come from the verify stage */ },
      // The verify stage: the saved model classifies the evaluation images (their labels stay here).
      verify: { params: { height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 } },
      score(outputs, verified?: VerifyResult) {
        const o = outputs as Outputs;
        return { accuracy: accuracy(verifiedClasses(verified), truth), fit_calls: o.fitCalls, evaluate_calls: o.evaluateCalls };
      },
      plots(_outputs, verified?: VerifyResult) {
        const classes = verifiedClasses(verified);
        return classes.length ? { confusion: { labels: classLabels(p.dataset), counts: confusionMatrix(classes, truth, 10) } } : {};
      },
    };
  },
};

const FASHION_CLASSES = ['T-shirt/top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];

/** The ten class names of a dataset, in label order (for the report's confusion matrix). */
export function classLabels(dataset: DatasetName): string[] {
  return dataset === 'fashion-mnist' ? FASHION_CLASSES : Array.from({ length: 10 }, (_, i) => String(i));
}
