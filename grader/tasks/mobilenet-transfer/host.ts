// Transfer learning from a pretrained MobileNetV2 (course notes WORK6): the
// submission trains its own top on MNIST over a base the harness loads from
// the bundled pretrained weights. The grader measures validation accuracy
// itself: after each of the first `epochs` epochs of the submission's
// model.fit, the sandbox half asks the submission to classify validation
// images whose labels stay here, and this half scores those answers.
import { accuracy } from '../../metrics/classes.ts';
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
  required: ['epochs', 'loads', 'baseCheck'],
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
    // The scored model's answers on the validation images (in their order) with the base's weights zeroed.
    baseCheck: {
      oneOf: [
        { type: 'object', required: ['classes'], additionalProperties: false, properties: { classes: { type: 'array', items: { type: 'integer', minimum: -1, maximum: 9 } } } },
        { type: 'object', required: ['error'], additionalProperties: false, properties: { error: { type: 'string', maxLength: 1000 } } },
      ],
    },
  },
};

/** The base matters when zeroing it takes accuracy below half of what it was, or to about chance (10 classes). */
export const BASE_DROP_RATIO = 0.5;
export const NEAR_CHANCE = 0.15;

interface EpochOutput { classes: number[]; baseRan: boolean; predictSec: number }
interface Outputs { epochs: EpochOutput[]; loads: object[]; baseCheck: { classes: number[] } | { error: string } }

export const mobilenetTransfer: TaskHost = {
  kind: 'mobilenet-transfer',
  paramsSchema,
  metrics: ['val_accuracy', ...Array.from({ length: MAX_EPOCHS }, (_, i) => `val_accuracy_epoch${i + 1}`), 'pretrained_base_used', 'base_ran_in_predict', 'val_accuracy_base_zeroed', 'epochs_evaluated'],
  async prepare(ctx: PrepareContext): Promise<PreparedTask> {
    const p = ctx.assignment.spec.task as unknown as MobilenetTransferParams;
    const { cache, split, where, labels, pool, trainFiles, describe, checkMeasuredOn } = evalSplit(ctx, p);
    if (pool.length < p.valCount) throw new Error(`${ctx.assignment.specPath}: task.valCount ${p.valCount} is more than the ${pool.length} images of the ${where}`);
    // grade: a secret-seeded subset of the test split; check: the public seed, as self-checks always drew.
    const rng = makeRng(ctx.mode === 'grade' ? ctx.draw : ctx.assignment.spec.seed, 'validation-images');
    const valIdx = Int32Array.from(shuffle(rng, Array.from(pool)).slice(0, p.valCount));
    const truth = Uint8Array.from(valIdx, (i) => labels[i]!);
    const index = writeIndexFiles(ctx, cache.meta.checksum, { valIdx });
    const base = await ensurePretrained(p.base, ctx.cacheRoot, ctx.weights);
    return {
      files: {
        ...trainFiles, evalImages: cache.files[`${split}Images`], ...index,
        baseModel: base.modelJson, baseWeights: base.weightsBin,
      },
      params: { trainCount: p.trainCount, valCount: p.valCount, epochs: p.epochs, height: cache.meta.height, width: cache.meta.width, base: base.name, baseSource: base.source },
      dataset: {
        name: `${p.dataset} + pretrained ${base.name}`,
        // Results graded against another base (--weights) are not reused for this one.
        checksum: sha256(`${cache.meta.checksum}/${base.checksum}`),
        evaluatedOn: `${describe(valIdx.length)}, after each of the first ${p.epochs} epochs; base ${base.name} from ${base.source} (sha256 ${base.checksum.slice(0, 12)})`,
      },
      checkMeasuredOn: checkMeasuredOn(valIdx.length),
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as Outputs;
        if (o.epochs.length < p.epochs) throw new Error(`expected validation predictions for ${p.epochs} epochs, got ${o.epochs.length}`);
        o.epochs.forEach((e, k) => {
          if (e.classes.length !== truth.length) throw new Error(`epoch ${k + 1}: predict() gave ${e.classes.length} answers for ${truth.length} validation images`);
          const bad = e.classes.filter((c) => c < 0).length;
          if (bad) throw new Error(`epoch ${k + 1}: predict() returned NaN or Infinity for ${bad} of ${truth.length} validation images`);
        });
        const check = o.baseCheck;
        if ('classes' in check && check.classes.length !== truth.length) throw new Error(`the zeroed-base evaluation gave ${check.classes.length} answers for ${truth.length} validation images`);
      },
      score(outputs) {
        const o = outputs as Outputs;
        const acc = o.epochs.map((e) => accuracy(e.classes, truth));
        const scored = acc[p.epochs - 1]!;
        // NaN (not measured) when the zeroed evaluation failed: the item then fails.
        const zeroed = 'classes' in o.baseCheck ? accuracy(o.baseCheck.classes, truth) : NaN;
        // Ran: any evaluation counts (a submission may compute the validation images' base features once and reuse
        // them). Matters: with the base's weights zeroed, the same images are classified far worse. A predict() that
        // calls the base on a dummy input and classifies without it keeps its accuracy. Both in-realm: a signal.
        const ran = o.epochs.slice(0, p.epochs).some((e) => e.baseRan);
        const matters = zeroed < BASE_DROP_RATIO * scored || (zeroed <= NEAR_CHANCE && scored > NEAR_CHANCE + 0.05);
        return {
          val_accuracy: scored,
          ...Object.fromEntries(acc.map((a, i) => [`val_accuracy_epoch${i + 1}`, a])),
          pretrained_base_used: ran && matters ? 1 : 0,
          base_ran_in_predict: ran ? 1 : 0,
          ...(Number.isFinite(zeroed) ? { val_accuracy_base_zeroed: zeroed } : {}),
          epochs_evaluated: o.epochs.length,
        };
      },
    };
  },
};
