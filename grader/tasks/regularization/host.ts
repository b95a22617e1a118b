// Over- and underfitting (course notes 001, lab 5): the same network trained
// three ways on a few IMDB reviews as multi-hot vectors: a baseline, one with
// L2 weight regularisation, one with dropout. The grader, not the student,
// measures them: the run stage saves each model at the end of every epoch
// (sandbox.ts), the verify stage (no student code) predicts the training and
// the hidden validation reviews with every checkpoint, and this process turns
// those predictions into losses against labels that never left it.
//   epochs_measured        fewest checkpoints of the three models
//   baseline_overfit       the baseline's final validation loss minus its best: it must rise after its best epoch
//   l2_val_gain / dropout_val_gain    the baseline's best validation loss minus the model's best
//   l2_final_gain / dropout_final_gain  the baseline's final validation loss minus the model's final one
//   l2_gap_ratio / dropout_gap_ratio  final (validation − training) loss of the model over the baseline's
//   l2_structure / dropout_structure / same_layers   read from each model's saved model.json
// All of them rest on the checkpoints the verify stage loaded: verified.
import { buildVocabulary, encodeMultiHot, ensureImdbCache, imdbSplit, readImdbLabels, readImdbTexts } from '../../data/imdb.ts';
import { layersOf, savedModelIn, type SavedModel } from '../shared/topology.ts';
import { preparedFiles } from '../text-classify/files.ts';
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';
import { ROLES, type Role } from './roles.ts';
import type { RegularizationVerify, RunOutputs } from './sandbox.ts';

export interface RegularizationParams {
  kind: 'regularization';
  dataset: 'imdb';
  trainCount: number;
  valCount: number;
  vocabSize: number;
  epochs: number;
  predictBatch?: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'trainCount', 'valCount', 'vocabSize', 'epochs'],
  properties: {
    kind: { const: 'regularization' },
    dataset: { const: 'imdb' },
    trainCount: { type: 'integer', minimum: 20, maximum: 10000 },
    valCount: { type: 'integer', minimum: 20, maximum: 10000 },
    vocabSize: { type: 'integer', minimum: 10, maximum: 5000 },
    epochs: { type: 'integer', minimum: 2, maximum: 50 },
    predictBatch: { type: 'integer', minimum: 1, default: 1000 },
  },
};

const model = { type: 'object', required: ['folder', 'epochs'], properties: { folder: { type: 'string', pattern: '^m\\d{1,2}$' }, epochs: { type: 'integer', minimum: 0 } } };
const outputSchema = { type: 'object', required: ['models'], properties: { models: { type: 'object', required: [...ROLES], properties: Object.fromEntries(ROLES.map((r) => [r, model])) } } };

const EPS = 1e-7;
/** Mean binary cross-entropy (Keras's clipping); a prediction that is missing or not a probability counts as the worst. */
export function bce(p: readonly number[] | undefined, y: ArrayLike<number>): number {
  if (!p || p.length !== y.length) return Number.POSITIVE_INFINITY;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = p[i]! >= 0 && p[i]! <= 1 ? Math.min(1 - EPS, Math.max(EPS, p[i]!)) : EPS;
    s -= y[i] ? Math.log(q) : Math.log(1 - q);
  }
  return s / y.length;
}

export interface Curve { train: number[]; val: number[] }

/** What the grader reads off a saved model.json: Dense units in order, L2 factors of their kernels, Dropout rates. */
export function structureOf(saved: SavedModel): { dense: number[]; l2: number[]; dropout: number[] } {
  const layers = layersOf(saved);
  const dense = layers.filter((l) => l.className === 'Dense');
  const l2 = dense.map((l) => {
    const reg = l.config.kernel_regularizer as { class_name?: string; config?: Record<string, unknown> } | null | undefined;
    const v = reg?.config?.l2;
    return typeof v === 'number' && Number.isFinite(v) ? v : 0;
  });
  const dropout = layers.filter((l) => l.className === 'Dropout' || l.className === 'SpatialDropout1D' || l.className === 'GaussianDropout' || l.className === 'AlphaDropout')
    .map((l) => Number(l.config.rate) || 0);
  return { dense: dense.map((l) => Number(l.config.units)), l2, dropout };
}

export const regularization: TaskHost = {
  kind: 'regularization',
  paramsSchema,
  metrics: ['epochs_measured', 'baseline_overfit', 'l2_val_gain', 'dropout_val_gain', 'l2_final_gain', 'dropout_final_gain', 'l2_gap_ratio', 'dropout_gap_ratio', 'l2_structure', 'dropout_structure', 'same_layers'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as RegularizationParams;
    const cache = ensureImdbCache(ctx.cacheRoot, ctx.dataDir);
    let split;
    try {
      split = imdbSplit(cache.meta.count, { trainCount: p.trainCount, evalCount: p.valCount }, ctx.mode, ctx.draw, ctx.assignment.spec.seed);
    } catch (e) {
      throw new Error(`${ctx.assignment.specPath}: ${(e as Error).message}`);
    }
    const labels = readImdbLabels(cache);
    const yTrain = Uint8Array.from(split.train, (i) => labels[i]!), yVal = Uint8Array.from(split.evaluate, (i) => labels[i]!);
    const files = preparedFiles(ctx, cache.meta.checksum, { trainX: 'train-multihot.u8', trainLabels: 'train-labels.u8', valX: 'val-multihot.u8', vocabulary: 'vocabulary.json' }, () => {
      const texts = readImdbTexts(cache);
      const train = Array.from(split.train, (i) => texts[i]!), val = Array.from(split.evaluate, (i) => texts[i]!);
      const vocabulary = buildVocabulary(train, p.vocabSize); // training reviews only
      return { trainX: encodeMultiHot(train, vocabulary), trainLabels: yTrain, valX: encodeMultiHot(val, vocabulary), vocabulary: JSON.stringify(vocabulary) };
    });
    const nVal = yVal.length.toLocaleString('en-US');
    const where = ctx.mode === 'grade' ? `${nVal} hidden validation reviews` : `${nVal} held-back training reviews (check mode; grading uses the hidden validation reviews)`;

    const curves = (outputs: unknown, verified?: VerifyResult): Partial<Record<Role, Curve & { saved?: SavedModel }>> => {
      const o = outputs as RunOutputs, v = verified?.outputs as RegularizationVerify | undefined;
      const out: Partial<Record<Role, Curve & { saved?: SavedModel }>> = {};
      for (const role of ROLES) {
        const f = v?.folders?.[o.models[role].folder];
        if (!f || !Array.isArray(f.epochs)) continue;
        out[role] = { train: f.epochs.map((e) => bce(e.train, yTrain)), val: f.epochs.map((e) => bce(e.val, yVal)), saved: savedModelIn(f.modelJson) };
      }
      return out;
    };
    const best = (c?: Curve) => (c && c.val.length ? Math.min(...c.val) : Number.POSITIVE_INFINITY);
    const last = (c?: Curve) => (c && c.val.length ? c.val.at(-1)! : Number.POSITIVE_INFINITY);
    const gap = (c?: Curve) => (c && c.val.length ? c.val.at(-1)! - c.train.at(-1)! : Number.POSITIVE_INFINITY);
    const finite = (x: number, fallback: number) => (Number.isFinite(x) ? x : fallback);

    return {
      files,
      params: { trainCount: p.trainCount, valCount: yVal.length, vocabSize: p.vocabSize, epochs: p.epochs },
      dataset: { name: 'imdb', checksum: cache.meta.checksum, evaluatedOn: where },
      checkMeasuredOn: ctx.mode === 'check' ? where : undefined,
      outputSchema,
      maxOutputBytes: 64 * 1024,
      checkOutputs() { /* the schema */ },
      verify: { params: { trainCount: p.trainCount, valCount: yVal.length, vocabSize: p.vocabSize, predictBatch: p.predictBatch ?? 1000 } },
      score(outputs, verified?: VerifyResult) {
        const c = curves(outputs, verified);
        const base = c.baseline, l2 = c.l2, drop = c.dropout;
        const s = Object.fromEntries(ROLES.map((r) => [r, c[r]?.saved ? structureOf(c[r]!.saved!) : undefined])) as Record<Role, ReturnType<typeof structureOf> | undefined>;
        const baseGap = gap(base);
        const ratio = (m?: Curve) => (baseGap > 0 && Number.isFinite(baseGap) ? finite(gap(m) / baseGap, 99) : 99);
        const same = (a?: number[], b?: number[]) => !!a && !!b && a.length === b.length && a.every((u, i) => u === b[i]);
        return {
          epochs_measured: Math.min(...ROLES.map((r) => c[r]?.val.filter(Number.isFinite).length ?? 0)),
          baseline_overfit: base && base.val.length ? finite(base.val.at(-1)! - best(base), 0) : 0,
          l2_val_gain: finite(best(base) - best(l2), -99),
          dropout_val_gain: finite(best(base) - best(drop), -99),
          l2_final_gain: finite(last(base) - last(l2), -99),
          dropout_final_gain: finite(last(base) - last(drop), -99),
          l2_gap_ratio: ratio(l2),
          dropout_gap_ratio: ratio(drop),
          l2_structure: s.l2 && s.l2.l2.some((f) => f > 0) && !s.l2.dropout.some((r) => r > 0) ? 1 : 0,
          dropout_structure: s.dropout && s.dropout.dropout.some((r) => r > 0) && !s.dropout.l2.some((f) => f > 0) ? 1 : 0,
          same_layers: s.baseline && !s.baseline.l2.some((f) => f > 0) && !s.baseline.dropout.some((r) => r > 0) && same(s.baseline.dense, s.l2?.dense) && same(s.baseline.dense, s.dropout?.dense) ? 1 : 0,
        };
      },
      hints(outputs, metrics, verified?: VerifyResult) {
        const h: Record<string, string> = {};
        const c = curves(outputs, verified);
        const fmt = (xs?: number[]) => (xs ?? []).map((x) => (Number.isFinite(x) ? x.toFixed(3) : '—')).join(' ');
        const curveText = ROLES.map((r) => `${r} validation loss by epoch: ${fmt(c[r]?.val)}`).join('; ');
        if (metrics.epochs_measured! < p.epochs) h.epochs_measured = `train each of the three models for ${p.epochs} epochs with model.fit (the grader measures the model after each epoch): ${ROLES.map((r) => `${r} ${c[r]?.val.length ?? 0}`).join(', ')}`;
        if (metrics.baseline_overfit !== undefined) h.baseline_overfit = `the baseline must overfit so the comparison means something: train it long enough (and big enough) that its validation loss rises after its best epoch. ${curveText}`;
        for (const r of ['l2', 'dropout'] as const) {
          h[`${r}_val_gain`] = `the ${r} model's best validation loss must not be worse than the baseline's. ${curveText}`;
          h[`${r}_final_gain`] = `after the last epoch the ${r} model's validation loss must be clearly below the baseline's (which has overfitted by then): regularise more strongly. ${curveText}`;
          h[`${r}_gap_ratio`] = `at the last epoch the ${r} model's gap between validation and training loss must be well below the baseline's: regularise more strongly`;
        }
        h.l2_structure = 'the `l2` model needs an L2 kernel regularizer (kernelRegularizer: tf.regularizers.l2({ l2: … })) on its Dense layers and no Dropout';
        h.dropout_structure = 'the `dropout` model needs tf.layers.dropout layers with a rate above 0 and no weight regularizer';
        h.same_layers = 'the three models must have the same Dense layers (units, in order), and the baseline neither a regularizer nor Dropout';
        return h;
      },
    };
  },
};
