// Tabular labs of the course notes 001: Auto MPG regression (lab 4, with
// model.fit) and Iris classification with a hand-written training loop
// (lab 9, fit refused). The grader holds out a seeded test split; its
// targets never enter the sandbox.
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
    predictions: { type: 'array', items: { type: 'number' } },
    fitCalls: { type: 'integer', minimum: 0 },
    optimizerSteps: { type: 'integer', minimum: 0 },
  },
};

interface Outputs { predictions: number[]; fitCalls: number; optimizerSteps: number }

/** Seeded hold-out: for classes, the same share of every class (stratified). */
export function holdOut(y: number[], classes: number, fraction: number, seed: string): { train: number[]; test: number[] } {
  const rng = makeRng(seed, 'tabular-split');
  const groups = classes > 0 ? Array.from({ length: classes }, (_, c) => y.flatMap((v, i) => (v === c ? [i] : []))) : [y.map((_, i) => i)];
  const train: number[] = [], test: number[] = [];
  for (const g of groups) {
    const order = shuffle(rng, g);
    const k = Math.round(order.length * fraction);
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
    // check mode: a split of the training rows only, so the self-check never sees the graded test rows.
    const graded = holdOut(table.y, k, p.testFraction, String(ctx.assignment.spec.seed));
    const { train, test } = ctx.mode === 'grade' ? graded : (() => {
      const inner = holdOut(graded.train.map((i) => table.y[i]!), k, p.testFraction, `${ctx.assignment.spec.seed}/check`);
      return { train: inner.train.map((j) => graded.train[j]!), test: inner.test.map((j) => graded.train[j]!) };
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
        if (o.predictions.length !== truth.length) throw new Error(`expected ${truth.length} predictions (one per test row), got ${o.predictions.length}`);
        if (k && o.predictions.some((c) => !Number.isInteger(c) || c < 0 || c >= k)) throw new Error(`class predictions must be integers in 0…${k - 1}`);
      },
      score(outputs) {
        const o = outputs as Outputs;
        const common = { fit_calls: o.fitCalls, optimizer_steps: o.optimizerSteps };
        if (k) return { accuracy: o.predictions.filter((c, i) => c === truth[i]).length / truth.length, ...common };
        const err = o.predictions.map((v, i) => v - truth[i]!);
        return { mae: err.reduce((s, e) => s + Math.abs(e), 0) / err.length, mse: err.reduce((s, e) => s + e * e, 0) / err.length, ...common };
      },
    };
  },
};
