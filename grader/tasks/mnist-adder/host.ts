// MNIST adder (course notes WORK2): two digit images in, their sum (0–18) out.
// Where each metric comes from:
//   accuracy              measured here: the run stage's predicted sums (the submission's own
//                         predict(), which holds its custom layer class) against sums that never
//                         leave this process. The custom class is part of the contract, so the
//                         saved model cannot be rebuilt without student code; the measurement
//                         needs none: wrong sums cannot score.
//   shared_weight_layers  topology-derived: read here from the model.json the run stage saved
//   custom_layers         (shared/saved-model.ts), handed over by the verify stage that runs no
//                         student code: a layer or nested model with weights called twice in the
//                         saved graph (a twin branch), and layer classes that are not TF.js
//                         built-ins. The graph TF.js serialises is the one reachable from the
//                         model's outputs, so layer reports patched in the realm (inboundNodes,
//                         names) do not make two branches one. The file is still written in the
//                         submission's realm: a submission that rewrites TF.js's serialisation
//                         itself can misstate it, so these remain integrity signals.
//   fit_dataset_calls     observed in the realm (LayersModel.fitDataset counted): a signal.
import { evalSplit } from '../shared/eval-split.ts';
import type { DatasetName } from '../../data/image-dataset.ts';
import { accuracy, confusionMatrix } from '../../metrics/classes.ts';
import { makeRng, randInt } from '../../util/rng.ts';
import { writePairFiles } from '../shared/pair-files.ts';
import { customClasses, savedModelIn, sharedLayers } from '../shared/topology.ts';
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';
import type { AdderVerify } from './sandbox.ts';

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
  required: ['sums', 'fitDatasetCalls'],
  properties: {
    sums: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 18 }, returnedBy: 'predict()', each: 'pair', noun: 'predicted sum' },
    fitDatasetCalls: { type: 'integer' },
  },
};

export const mnistAdder: TaskHost = {
  kind: 'mnist-adder',
  paramsSchema,
  metrics: ['accuracy', 'shared_weight_layers', 'custom_layers', 'fit_dataset_calls'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as AdderParams;
    const { cache, split: evalSplitName, labels, pool, trainFiles, describe, checkMeasuredOn } = evalSplit(ctx, p);
    const rng = makeRng(ctx.draw, 'adder-pairs'); // grade: secret-seeded; check: the public "<seed>/check"
    const a = Int32Array.from({ length: p.evalPairs }, () => pool[randInt(rng, pool.length)]!);
    const b = Int32Array.from({ length: p.evalPairs }, () => pool[randInt(rng, pool.length)]!);
    const sums = Uint8Array.from(a, (ai, k) => labels[ai]! + labels[b[k]!]!);
    return {
      files: { ...trainFiles, evalImages: cache.files[`${evalSplitName}Images`], ...writePairFiles(ctx, cache.meta.checksum, a, b) },
      params: { trainCount: p.trainCount, height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 },
      dataset: { name: p.dataset, checksum: cache.meta.checksum, evaluatedOn: describe(p.evalPairs, 'random pairs') },
      checkMeasuredOn: checkMeasuredOn(p.evalPairs, 'random pairs'),
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as { sums: number[] };
        if (o.sums.length !== sums.length) throw new Error(`predict() returned ${o.sums.length} sums for ${sums.length} pairs; return one sum per pair (a tensor of shape [n], or [n, 19] scores)`);
      },
      // The verify stage only reads the saved model.json back: nothing of the submission runs there.
      verify: { params: {} },
      plots(outputs) {
        // The predicted sum against the true one, 0…18.
        return { confusion: { labels: Array.from({ length: 19 }, (_, i) => String(i)), counts: confusionMatrix((outputs as { sums: number[] }).sums, sums, 19) } };
      },
      score(outputs, verified?: VerifyResult) {
        const o = outputs as { sums: number[]; fitDatasetCalls: number };
        const saved = savedModelIn((verified?.outputs as Partial<AdderVerify> | undefined)?.modelJson);
        return {
          accuracy: accuracy(o.sums, sums),
          // A layer (or nested model) with weights, called on more than one input in the saved graph: the twin branch.
          shared_weight_layers: saved ? sharedLayers(saved).length : 0,
          // Layers (at any depth) whose saved class is not a TF.js built-in.
          custom_layers: saved ? customClasses(saved).length : 0,
          fit_dataset_calls: o.fitDatasetCalls,
        };
      },
    };
  },
};
