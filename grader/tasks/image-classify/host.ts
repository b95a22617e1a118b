// Image classification (course notes 001, lab 1 and lab 2): the Keras
// workflow of Sequential → compile → fit → evaluate → predict on MNIST or
// Fashion-MNIST. Accuracy is computed here from the classes the grader's
// own predict call produced, against labels that never leave this process.
import type { DatasetName } from '../../data/image-dataset.ts';
import { evalSplit } from '../shared/eval-split.ts';
import { writeIndexFiles } from '../shared/pair-files.ts';
import type { PrepareContext, PreparedTask, TaskHost } from '../types.ts';

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
  required: ['classes', 'fitCalls', 'evaluateCalls'],
  properties: {
    classes: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 } },
    fitCalls: { type: 'integer', minimum: 0 },
    evaluateCalls: { type: 'integer', minimum: 0 },
  },
};

interface Outputs { classes: number[]; fitCalls: number; evaluateCalls: number }

export const imageClassify: TaskHost = {
  kind: 'image-classify',
  paramsSchema,
  metrics: ['accuracy', 'fit_calls', 'evaluate_calls'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as ImageClassifyParams;
    const { cache, split, labels, pool } = evalSplit(ctx, p);
    const truth = Uint8Array.from(pool, (i) => labels[i]!);
    return {
      files: { trainImages: cache.files.trainImages, trainLabels: cache.files.trainLabels, evalImages: cache.files[`${split}Images`], ...writeIndexFiles(ctx, cache.meta.checksum, { evalIdx: pool }) },
      params: { trainCount: p.trainCount, height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 },
      dataset: { name: p.dataset, checksum: cache.meta.checksum, evaluatedOn: `${split} split, ${pool.length} images` },
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as Outputs;
        if (o.classes.length !== truth.length) throw new Error(`expected ${truth.length} predicted classes, got ${o.classes.length}`);
      },
      score(outputs) {
        const o = outputs as Outputs;
        const right = o.classes.reduce((k, c, i) => k + (c === truth[i] ? 1 : 0), 0);
        return { accuracy: right / truth.length, fit_calls: o.fitCalls, evaluate_calls: o.evaluateCalls };
      },
    };
  },
};
