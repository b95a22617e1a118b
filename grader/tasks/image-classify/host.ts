// Image classification (course notes 001, lab 1 and lab 2): the Keras
// workflow of Sequential → compile → fit → evaluate → predict on MNIST or
// Fashion-MNIST. Accuracy is computed here from the classes the grader's
// own predict call produced, against labels that never leave this process:
// that call runs in the verify stage (no student code) on the model the run
// stage saved (shared/saved-model.ts). conv_layers and pooling_layers are
// read here from that same saved model.json (shared/topology.ts), and only
// when it loaded and made the scored predictions: the structure inspected is
// the structure scored (lab 1 / lab 10's CNN: conv → pool → dense). fit_calls
// and evaluate_calls are observed in the submission's process: signals.
import type { DatasetName } from '../../data/image-dataset.ts';
import { accuracy, confusionMatrix } from '../../metrics/classes.ts';
import { evalSplit } from '../shared/eval-split.ts';
import { writeIndexFiles } from '../shared/pair-files.ts';
import type { SavedClassesVerify } from '../shared/saved-model.ts';
import { layersOf, savedModelIn, type SavedModel } from '../shared/topology.ts';
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

/** Convolution layer classes (2-D, on the image): what `conv_layers` counts in the saved model. */
export const CONV_CLASSES: ReadonlySet<string> = new Set(['Conv2D', 'SeparableConv2D', 'DepthwiseConv2D']);
/** Pooling layer classes: what `pooling_layers` counts. */
export const POOLING_CLASSES: ReadonlySet<string> = new Set(['MaxPooling2D', 'AveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAveragePooling2D']);

/** Layers of the saved model (nested models included) whose class is in `classes`. */
function countLayers(saved: SavedModel | undefined, classes: ReadonlySet<string>): number {
  if (!saved) return 0;
  try {
    return layersOf(saved).filter((l) => classes.has(l.className)).length;
  } catch {
    return 0; // over topology.ts's bounds: nothing is counted
  }
}

export const imageClassify: TaskHost = {
  kind: 'image-classify',
  paramsSchema,
  metrics: ['accuracy', 'fit_calls', 'evaluate_calls', 'conv_layers', 'pooling_layers'],
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
        const classes = verifiedClasses(verified);
        // Only a model that loaded (and so made the scored predictions) is inspected.
        const saved = classes.length ? savedModelIn((verified?.outputs as Partial<SavedClassesVerify> | undefined)?.modelJson) : undefined;
        return {
          accuracy: accuracy(classes, truth), fit_calls: o.fitCalls, evaluate_calls: o.evaluateCalls,
          conv_layers: countLayers(saved, CONV_CLASSES), pooling_layers: countLayers(saved, POOLING_CLASSES),
        };
      },
      hints(_outputs, metrics, verified?: VerifyResult): Record<string, string> {
        const hints: Record<string, string> = {};
        const loaded = verifiedClasses(verified).length > 0;
        if (metrics.conv_layers === 0) hints.conv_layers = loaded ? 'the saved model has no convolution layer: start the model with tf.layers.conv2d (filters, kernelSize, activation relu) on the [28, 28, 1] images' : 'the layers of the saved model count once the grader can load it to measure its accuracy (see the verification problem)';
        if (metrics.pooling_layers === 0) hints.pooling_layers = loaded ? 'the saved model has no pooling layer: follow each convolution with tf.layers.maxPooling2d({ poolSize: 2 }) (or averagePooling2d) to down-sample its feature maps' : 'the layers of the saved model count once the grader can load it to measure its accuracy (see the verification problem)';
        return hints;
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
