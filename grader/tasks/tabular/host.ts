// Tabular labs of the course notes 001: Auto MPG regression (lab 4, with
// model.fit) and Iris classification with a hand-written training loop
// (lab 9, fit refused). The grader holds out a test split seeded by the
// instructor's secret; its targets never enter the sandbox.
import { accuracy } from '../../metrics/classes.ts';
import { loadTabular, type TabularName } from '../../data/tabular.ts';
import { makeRng, shuffle } from '../../util/rng.ts';
import type { PrepareContext, PreparedTask, TaskHost } from '../types.ts';

export interface TabularParams {
  kind: 'tabular';
  dataset: TabularName;
  /** Share of the rows held out for testing (per class for classification). */
  testFraction: number;
  variant: 'fit' | 'custom-loop';
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'testFraction', 'variant'],
  properties: {
    kind: { const: 'tabular' },
    dataset: { enum: ['auto-mpg', 'iris'] },
    testFraction: { type: 'number', exclusiveMinimum: 0, maximum: 0.5 },
    variant: { enum: ['fit', 'custom-loop'] },
  },
};

const outputSchema = {
  type: 'object',
  required: ['predictions', 'fitCalls', 'optimizerSteps'],
  properties: {
    predictions: { type: 'array', items: { type: 'number' }, returnedBy: 'predict()', each: 'row', noun: 'prediction' },
    fitCalls: { type: 'integer', minimum: 0 },
    optimizerSteps: { type: 'integer', minimum: 0 },
  },
};

interface Outputs { predictions: number[]; fitCalls: number; optimizerSteps: number }

/**
 * Seeded hold-out: for classes, the same share of every class (stratified). For a regression target with
 * `byTarget`, one row of each of round(n × fraction) runs of rows in target order, so every held-out set spans
 * the targets alike and a score varies less from one (secret) draw to the next.
 */
export function holdOut(y: number[], classes: number, fraction: number, seed: string, byTarget = false): { train: number[]; test: number[] } {
  const rng = makeRng(seed, 'tabular-split');
  const strata = () => {
    const n = y.length, k = Math.round(n * fraction);
    const order = y.map((_, i) => i).sort((a, b) => y[a]! - y[b]! || a - b);
    return Array.from({ length: k }, (_, s) => order.slice(Math.floor((s * n) / k), Math.floor(((s + 1) * n) / k)));
  };
  const stratified = byTarget && classes === 0;
  const groups = classes > 0 ? Array.from({ length: classes }, (_, c) => y.flatMap((v, i) => (v === c ? [i] : []))) : stratified ? strata() : [y.map((_, i) => i)];
  const train: number[] = [], test: number[] = [];
  for (const g of groups) {
    const order = shuffle(rng, g);
    const k = stratified ? 1 : Math.round(order.length * fraction);
    test.push(...order.slice(0, k));
    train.push(...order.slice(k));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

export const tabular: TaskHost = {
  kind: 'tabular',
  paramsSchema,
  metrics: ['mae', 'mse', 'accuracy', 'fit_calls', 'optimizer_steps'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as TabularParams;
    const table = loadTabular(p.dataset, ctx.dataDir);
    const k = table.classes?.length ?? 0;
    // grade: a split seeded by the instructor's secret (ctx.draw), so the held-out rows cannot be recomputed from
    // the public seed and files; the training rows handed out follow from it. A regression hold-out is stratified
    // by target, so a score varies little with the secret (the threshold was set on one public split).
    // check: as always, a public split of the rows outside the public seed's hold-out; it knows nothing of the
    // graded split.
    const { train, test } = ctx.mode === 'grade' ? holdOut(table.y, k, p.testFraction, ctx.draw, true) : (() => {
      const outer = holdOut(table.y, k, p.testFraction, String(ctx.assignment.spec.seed));
      const inner = holdOut(outer.train.map((i) => table.y[i]!), k, p.testFraction, ctx.draw);
      return { train: inner.train.map((j) => outer.train[j]!), test: inner.test.map((j) => outer.train[j]!) };
    })();
    const truth = test.map((i) => table.y[i]!);
    return {
      files: {},
      params: {
        variant: p.variant, columns: table.columns, classes: table.classes ?? null,
        xTrain: train.map((i) => table.x[i]), yTrain: train.map((i) => table.y[i]), xTest: test.map((i) => table.x[i]),
      },
      dataset: { name: p.dataset, checksum: table.checksum, evaluatedOn: `${ctx.mode === 'grade' ? 'held-out test' : 'self-check'} split, ${test.length} of ${table.x.length} rows` },
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as Outputs;
        if (o.predictions.length !== truth.length) throw new Error(`predict() returned ${o.predictions.length} predictions for ${truth.length} rows; return one prediction per row of the features it is given`);
        if (k && o.predictions.some((c) => !Number.isInteger(c) || c < 0 || c >= k)) throw new Error(`class predictions must be integers in 0…${k - 1}`);
      },
      score(outputs) {
        const o = outputs as Outputs;
        const common = { fit_calls: o.fitCalls, optimizer_steps: o.optimizerSteps };
        if (k) return { accuracy: accuracy(o.predictions, truth), ...common };
        const err = o.predictions.map((v, i) => v - truth[i]!);
        return { mae: err.reduce((s, e) => s + Math.abs(e), 0) / err.length, mse: err.reduce((s, e) => s + e * e, 0) / err.length, ...common };
      },
    };
  },
};
