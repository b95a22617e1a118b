// MNIST adder (course notes WORK2): two digit images in, their sum (0–18) out.
// Accuracy is computed here from predicted sums and sums that never leave
// this process; the model's structure (a weight-shared twin branch, a custom
// layer class) and its tf.data training are read from what the sandbox half
// observed of the returned model, not from anything the submission claims.
import { evalSplit } from '../shared/eval-split.ts';
import type { DatasetName } from '../../data/image-dataset.ts';
import { makeRng, randInt } from '../../util/rng.ts';
import { writePairFiles } from '../shared/pair-files.ts';
import type { PrepareContext, PreparedTask, TaskHost } from '../types.ts';
import type { ModelInspection } from '../shared/inspect-model.ts';

export interface AdderParams {
  kind: 'mnist-adder';
  dataset: DatasetName;
  trainCount: number;
  evalPairs: number;
  predictBatch?: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'trainCount', 'evalPairs'],
  properties: {
    kind: { const: 'mnist-adder' },
    dataset: { enum: ['mnist', 'fashion-mnist'] },
    trainCount: { type: 'integer', minimum: 100, maximum: 60000 },
    evalPairs: { type: 'integer', minimum: 10, maximum: 100000 },
    predictBatch: { type: 'integer', minimum: 1, default: 1000 },
  },
};

const outputSchema = {
  type: 'object',
  required: ['sums', 'model', 'fitDatasetCalls'],
  properties: {
    sums: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 18 } },
    fitDatasetCalls: { type: 'integer' },
    model: {
      type: 'object',
      required: ['isLayersModel', 'inputs', 'layers'],
      properties: {
        isLayersModel: { type: 'boolean' },
        inputs: { type: 'integer' },
        layers: { type: 'array', items: { type: 'object', required: ['name', 'className', 'custom', 'inboundNodes', 'params'] } },
      },
    },
  },
};

export const mnistAdder: TaskHost = {
  kind: 'mnist-adder',
  paramsSchema,
  metrics: ['accuracy', 'shared_weight_layers', 'custom_layers', 'fit_dataset_calls'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as AdderParams;
    const { cache, split: evalSplitName, labels, pool } = evalSplit(ctx, p);
    const rng = makeRng(`${ctx.assignment.spec.seed}/${ctx.mode}`, 'adder-pairs');
    const a = Int32Array.from({ length: p.evalPairs }, () => pool[randInt(rng, pool.length)]!);
    const b = Int32Array.from({ length: p.evalPairs }, () => pool[randInt(rng, pool.length)]!);
    const sums = Uint8Array.from(a, (ai, k) => labels[ai]! + labels[b[k]!]!);
    return {
      files: { trainImages: cache.files.trainImages, trainLabels: cache.files.trainLabels, evalImages: cache.files[`${evalSplitName}Images`], ...writePairFiles(ctx, cache.meta.checksum, a, b) },
      params: { trainCount: p.trainCount, height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 },
      dataset: { name: p.dataset, checksum: cache.meta.checksum, evaluatedOn: `${evalSplitName} split, ${p.evalPairs} random pairs` },
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as { sums: number[] };
        if (o.sums.length !== sums.length) throw new Error(`expected ${sums.length} predicted sums (one per pair), got ${o.sums.length}`);
      },
      score(outputs) {
        const o = outputs as { sums: number[]; model: ModelInspection; fitDatasetCalls: number };
        let right = 0;
        o.sums.forEach((s, i) => { if (s === sums[i]) right++; });
        const layers = o.model.isLayersModel ? o.model.layers : [];
        return {
          accuracy: right / sums.length,
          // A layer (or nested model) with weights, applied to more than one input: the twin branch.
          shared_weight_layers: layers.filter((l) => l.params > 0 && l.inboundNodes >= 2).length,
          custom_layers: layers.filter((l) => l.custom).length,
          fit_dataset_calls: o.fitDatasetCalls,
        };
      },
    };
  },
};
