// Transfer learning from a pretrained MobileNetV2 (course notes WORK6): the
// submission trains its own top on MNIST over a base the harness loads from
// the bundled pretrained weights. The grader measures validation accuracy
// itself: after each of the first `epochs` epochs of the submission's
// model.fit, the sandbox half asks the submission to classify validation
// images whose labels stay here, and this half scores those answers.
import { makeRng, shuffle } from '../../util/rng.ts';
import { ensurePretrained, type BundledBaseName } from '../../data/pretrained.ts';
import type { DatasetName } from '../../data/image-dataset.ts';
import { sha256 } from '../../util/fs.ts';
import { evalSplit } from '../shared/eval-split.ts';
import { writeIndexFiles } from '../shared/pair-files.ts';
import type { PrepareContext, PreparedTask, TaskHost } from '../types.ts';

export interface MobilenetTransferParams {
  kind: 'mobilenet-transfer';
  dataset: DatasetName;
  base: BundledBaseName;
  trainCount: number;
  valCount: number;
  /** The epoch whose validation accuracy the rubric reads; the grader evaluates every epoch up to it. */
  epochs: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'base', 'trainCount', 'valCount', 'epochs'],
  properties: {
    kind: { const: 'mobilenet-transfer' },
    dataset: { enum: ['mnist', 'fashion-mnist'] },
    base: { enum: ['mobilenet_v2'] },
    trainCount: { type: 'integer', minimum: 100, maximum: 59000 },
    valCount: { type: 'integer', minimum: 20, maximum: 10000 },
    epochs: { type: 'integer', minimum: 1, maximum: 10 },
  },
};

export const MAX_EPOCHS = 10;

const outputSchema = {
  type: 'object',
  required: ['epochs', 'loads'],
  properties: {
    epochs: {
      type: 'array',
      maxItems: MAX_EPOCHS,
      items: {
        type: 'object',
        required: ['classes', 'baseRan', 'predictSec'],
        properties: {
          // -1: the submission's scores for that image were NaN/Infinity.
          classes: { type: 'array', items: { type: 'integer', minimum: -1, maximum: 9 } },
          baseRan: { type: 'boolean' },
          predictSec: { type: 'number' },
        },
      },
    },
    loads: { type: 'array', items: { type: 'object' } },
  },
};

interface EpochOutput { classes: number[]; baseRan: boolean; predictSec: number }
interface Outputs { epochs: EpochOutput[]; loads: object[] }

export const mobilenetTransfer: TaskHost = {
  kind: 'mobilenet-transfer',
  paramsSchema,
  metrics: ['val_accuracy', ...Array.from({ length: MAX_EPOCHS }, (_, i) => `val_accuracy_epoch${i + 1}`), 'pretrained_base_used', 'epochs_evaluated'],
  async prepare(ctx: PrepareContext): Promise<PreparedTask> {
    const p = ctx.assignment.spec.task as unknown as MobilenetTransferParams;
    const { cache, split, labels, pool } = evalSplit(ctx, p);
    if (pool.length < p.valCount) throw new Error(`${ctx.assignment.specPath}: valCount ${p.valCount} is more than the ${pool.length} images available for validation`);
    const rng = makeRng(ctx.assignment.spec.seed, 'validation-images');
    const valIdx = Int32Array.from(shuffle(rng, Array.from(pool)).slice(0, p.valCount));
    const truth = Uint8Array.from(valIdx, (i) => labels[i]!);
    const index = writeIndexFiles(ctx, cache.meta.checksum, { valIdx });
    const base = await ensurePretrained(p.base, ctx.cacheRoot, ctx.weights);
    return {
      files: {
        trainImages: cache.files.trainImages, trainLabels: cache.files.trainLabels, evalImages: cache.files[`${split}Images`], ...index,
        baseModel: base.modelJson, baseWeights: base.weightsBin,
      },
      params: { trainCount: p.trainCount, valCount: p.valCount, epochs: p.epochs, height: cache.meta.height, width: cache.meta.width, base: base.name, baseSource: base.source },
      dataset: {
        name: `${p.dataset} + pretrained ${base.name}`,
        // Results graded against another base (--weights) are not reused for this one.
        checksum: sha256(`${cache.meta.checksum}/${base.checksum}`),
        evaluatedOn: `${split} split, ${valIdx.length} images, after each of the first ${p.epochs} epochs; base ${base.name} from ${base.source} (sha256 ${base.checksum.slice(0, 12)})`,
      },
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as Outputs;
        if (o.epochs.length < p.epochs) throw new Error(`expected validation predictions for ${p.epochs} epochs, got ${o.epochs.length}`);
        o.epochs.forEach((e, k) => {
          if (e.classes.length !== truth.length) throw new Error(`epoch ${k + 1}: predict() gave ${e.classes.length} answers for ${truth.length} validation images`);
          const bad = e.classes.filter((c) => c < 0).length;
          if (bad) throw new Error(`epoch ${k + 1}: predict() returned NaN or Infinity for ${bad} of ${truth.length} validation images`);
        });
      },
      score(outputs) {
        const o = outputs as Outputs;
        const acc = o.epochs.map((e) => e.classes.reduce((n, c, i) => n + (c === truth[i] ? 1 : 0), 0) / truth.length);
        return {
          val_accuracy: acc[p.epochs - 1]!,
          ...Object.fromEntries(acc.map((a, i) => [`val_accuracy_epoch${i + 1}`, a])),
          // Any evaluation counts: a submission may compute the validation images' base features once and reuse them.
          pretrained_base_used: o.epochs.slice(0, p.epochs).some((e) => e.baseRan) ? 1 : 0,
          epochs_evaluated: o.epochs.length,
        };
      },
    };
  },
};
