// Function checks (course notes 001, lab 7 and lab 8: tensors and their
// conversions, automatic differentiation, a custom layer). The submission
// exports small functions; the grader draws their inputs (in grade mode from
// the instructor's secret draw), the sandbox half calls each function on them
// and returns the raw outputs, and this half computes the expected values
// itself, in plain float64 JavaScript, and compares. The inputs enter the
// sandbox; the expected outputs never do.
//
// Where each metric comes from (each the fraction of its cases that came out right):
//   standardize_ok, one_hot_ok,        measured: the submission's outputs on the drawn inputs
//   grad_ok, regression_step_ok,       against values computed here.
//   layer_output_ok
//   layer_config_saved                 verified: read here from the model.json the run stage saved
//                                      (shared/saved-model.ts saveScoredModel, captured before the
//                                      submission loaded), handed over by a verify stage that runs no
//                                      student code: a layer of class ScaleShift whose config holds the
//                                      initialScale / initialShift it was built with.
//   layer_reload_ok                    verified: that verify stage rebuilds the saved model with the
//                                      grader's own ScaleShift (the statement's definition; none of the
//                                      submission's code) and its saved weights, and predicts; compared
//                                      here with x·scale + shift for the weights the grader set.
//   layer_own_reload_ok                signal: the submission's own class, registered with
//                                      tf.serialization.registerClass, reloads the saved files in its
//                                      process and predicts the same.
import { makeRng, randInt, type Rng } from '../../util/rng.ts';
import { savedModelIn, layersOf, type SavedModel } from '../shared/topology.ts';
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';

export interface FunctionCheckParams {
  kind: 'function-check';
  /** Cases drawn per function. */
  cases: number;
  /** Largest difference from the expected value allowed, relative to max(1, |expected|). */
  tolerance?: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'cases'],
  properties: {
    kind: { const: 'function-check' },
    cases: { type: 'integer', minimum: 1, maximum: 20 },
    tolerance: { type: 'number', exclusiveMinimum: 0, maximum: 0.1, default: 1e-3 },
  },
};

/** One returned value: its numbers (null for NaN/Infinity) and shape, or why there is none. */
export type CaseOut = { values: (number | null)[]; shape: number[] } | { error: string };

const caseSchema = {
  type: 'object',
  properties: {
    values: { type: 'array', maxItems: 10_000, items: { type: ['number', 'null'] } },
    shape: { type: 'array', maxItems: 8, items: { type: 'integer', minimum: 0 } },
    error: { type: 'string', maxLength: 2000 },
  },
};
const cases = { type: 'array', maxItems: 20, items: caseSchema };

const outputSchema = {
  type: 'object',
  required: ['standardize', 'toOneHot', 'gradOfCubic', 'regressionStep', 'layer'],
  properties: {
    standardize: cases, toOneHot: cases, gradOfCubic: cases, regressionStep: cases,
    layer: {
      type: 'object',
      required: ['outputs', 'saved'],
      properties: { outputs: cases, saved: { type: 'boolean' }, saveError: { type: 'string', maxLength: 2000 }, ownReload: caseSchema },
    },
  },
};

export interface FunctionCheckOutputs {
  standardize: CaseOut[];
  toOneHot: CaseOut[];
  gradOfCubic: CaseOut[];
  regressionStep: CaseOut[];
  layer: { outputs: CaseOut[]; saved: boolean; saveError?: string; ownReload?: CaseOut };
}

/** What the verify stage returns (function-check/sandbox.ts). */
export interface FunctionCheckVerify {
  modelJson: string | null;
  reload: CaseOut | null;
  errors: string[];
}

// ---- the drawn inputs (these go to the sandbox) --------------------------------------------------

export interface Inputs {
  standardize: { x: number[][] }[];
  toOneHot: { labels: number[]; depth: number }[];
  gradOfCubic: { coefficients: number[]; xs: number[] }[];
  regressionStep: { w: number[]; b: number; x: number[][]; y: number[]; lr: number }[];
  layer: { x: number[][]; initialScale: number; initialShift: number; scale: number[]; shift: number[] };
}

const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
/** Rounded to 3 decimals: every drawn number is exact enough in float32 and readable in a message. */
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const matrix = (rng: Rng, n: number, m: number, f: (j: number) => number) => Array.from({ length: n }, () => Array.from({ length: m }, (_, j) => r3(f(j))));

export function drawInputs(draw: string, count: number): Inputs {
  const rng = makeRng(draw, 'function-check');
  const standardize = Array.from({ length: count }, () => {
    const n = 5 + randInt(rng, 8), m = 2 + randInt(rng, 4);
    const offset = Array.from({ length: m }, () => uniform(rng, -10, 10)), spread = Array.from({ length: m }, () => uniform(rng, 0.5, 5));
    return { x: matrix(rng, n, m, (j) => offset[j]! + spread[j]! * uniform(rng, -1, 1)) };
  });
  const toOneHot = Array.from({ length: count }, () => {
    const depth = 3 + randInt(rng, 8), n = 5 + randInt(rng, 16);
    return { labels: Array.from({ length: n }, () => randInt(rng, depth)), depth };
  });
  const gradOfCubic = Array.from({ length: count }, () => ({
    coefficients: Array.from({ length: 4 }, () => r3(uniform(rng, -3, 3))),
    xs: Array.from({ length: 8 }, () => r3(uniform(rng, -2, 2))),
  }));
  const regressionStep = Array.from({ length: count }, () => {
    const n = 8 + randInt(rng, 13), m = 1 + randInt(rng, 4);
    return {
      w: Array.from({ length: m }, () => r3(uniform(rng, -1, 1))), b: r3(uniform(rng, -1, 1)),
      x: matrix(rng, n, m, () => uniform(rng, -1, 1)), y: Array.from({ length: n }, () => r3(uniform(rng, -2, 2))),
      lr: r3(uniform(rng, 0.05, 0.2)),
    };
  });
  const d = 3 + randInt(rng, 4);
  const layer = {
    x: matrix(rng, 5, d, () => uniform(rng, -2, 2)),
    initialScale: r3(uniform(rng, 0.5, 2)) * (rng() < 0.5 ? -1 : 1), initialShift: r3(uniform(rng, -1, 1)),
    scale: Array.from({ length: d }, () => r3(uniform(rng, -2, 2))), shift: Array.from({ length: d }, () => r3(uniform(rng, -1, 1))),
  };
  return { standardize, toOneHot, gradOfCubic, regressionStep, layer };
}

// ---- the expected values (these never leave this process) ----------------------------------------

interface Expected { values: number[]; shape: number[] }

export function expectStandardize(x: number[][]): Expected {
  const n = x.length, m = x[0]!.length;
  const mean = Array.from({ length: m }, (_, j) => x.reduce((s, row) => s + row[j]!, 0) / n);
  const std = Array.from({ length: m }, (_, j) => Math.sqrt(x.reduce((s, row) => s + (row[j]! - mean[j]!) ** 2, 0) / n));
  return { values: x.flatMap((row) => row.map((v, j) => (v - mean[j]!) / std[j]!)), shape: [n, m] };
}

export function expectOneHot(labels: number[], depth: number): Expected {
  return { values: labels.flatMap((l) => Array.from({ length: depth }, (_, k) => (k === l ? 1 : 0))), shape: [labels.length, depth] };
}

export function expectGradOfCubic([a, b, c]: number[], xs: number[]): Expected {
  return { values: xs.map((x) => 3 * a! * x * x + 2 * b! * x + c!), shape: [xs.length] };
}

/** One step of gradient descent on mean((x·w + b − y)²): [w…, b]. */
export function expectRegressionStep({ w, b, x, y, lr }: Inputs['regressionStep'][number]): Expected {
  const n = x.length;
  const r = x.map((row, i) => row.reduce((s, v, j) => s + v * w[j]!, b) - y[i]!);
  const gw = w.map((_, j) => (2 / n) * r.reduce((s, ri, i) => s + ri * x[i]![j]!, 0));
  const gb = (2 / n) * r.reduce((s, ri) => s + ri, 0);
  return { values: [...w.map((wj, j) => wj - lr * gw[j]!), b - lr * gb], shape: [w.length + 1] };
}

export function expectScaleShift(x: number[][], scale: (j: number) => number, shift: (j: number) => number): Expected {
  return { values: x.flatMap((row) => row.map((v, j) => v * scale(j) + shift(j))), shape: [x.length, x[0]!.length] };
}

// ---- comparing -------------------------------------------------------------------------------------

const fmtNum = (v: number | null) => (v === null ? 'NaN' : Number.isInteger(v) ? String(v) : v.toPrecision(4));
const fmtShape = (s: number[]) => `[${s.join(', ')}]`;
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * undefined when `got` matches `want` within `tol` (relative to max(1, |want|)); else what is wrong, in a
 * sentence. The expected value is named only when `showExpected` (check mode, the public draw): results
 * of grading may be shown to students, and the secret draw's expected outputs stay with the grader.
 */
export function mismatch(got: CaseOut | undefined, want: Expected, tol: number, showExpected = true): string | undefined {
  if (!got) return 'no value was returned';
  if ('error' in got) return got.error;
  // A shape that holds the same numbers in the same order is fine ([n] for [n, 1], say); a different count is not.
  if (got.values.length !== want.values.length || size(got.shape) !== got.values.length) return `it returned shape ${fmtShape(got.shape)} where ${fmtShape(want.shape)} was expected`;
  const squeeze = (s: number[]) => s.filter((d) => d !== 1).join(',');
  if (squeeze(got.shape) !== squeeze(want.shape)) return `it returned shape ${fmtShape(got.shape)} where ${fmtShape(want.shape)} was expected`;
  for (let i = 0; i < want.values.length; i++) {
    const g = got.values[i], w = want.values[i]!;
    if (g === null || g === undefined || !Number.isFinite(g) || Math.abs(g - w) > tol * Math.max(1, Math.abs(w))) {
      const expected = showExpected ? `where ${fmtNum(w)} was expected` : 'which is not the expected value';
      return `value ${i} (in row-major order) is ${fmtNum(g ?? null)}, ${expected} (tolerance ${tol} × max(1, |expected|))`;
    }
  }
  return undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The saved topology's ScaleShift layers holding the config they were built with; undefined when none do (with why). */
export function layerConfigProblem(saved: SavedModel | undefined, initialScale: number, initialShift: number): string | undefined {
  if (!saved) return 'no saved model was found (see the verification problem)';
  let layers;
  try {
    layers = layersOf(saved);
  } catch (e) {
    return (e as Error).message;
  }
  const ours = layers.filter((l) => l.className === 'ScaleShift');
  if (!ours.length) {
    const names = [...new Set(layers.map((l) => l.className || '(no class name)'))].slice(0, 6).join(', ');
    return `the saved model has no layer of class ScaleShift (its layers: ${names}); give the class \`static className = 'ScaleShift'\``;
  }
  const close = (v: unknown, want: number) => typeof v === 'number' && Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));
  // TF.js writes config keys in Python's snake_case (initial_scale) and turns them back into camelCase when it loads.
  const key = (cfg: Record<string, unknown>, camel: string, snake: string) => (snake in cfg ? cfg[snake] : cfg[camel]);
  if (ours.some((l) => isObj(l.config) && close(key(l.config, 'initialScale', 'initial_scale'), initialScale) && close(key(l.config, 'initialShift', 'initial_shift'), initialShift))) return undefined;
  const cfg = ours[0]!.config;
  const keys = Object.keys(cfg).slice(0, 12).join(', ');
  return `the saved ScaleShift layer's config is {${keys}}, without initialScale ${initialScale} and initialShift ${initialShift}: getConfig() must return { ...super.getConfig(), initialScale, initialShift } so that the layer can be rebuilt from model.json`;
}

const FUNCTIONS = [
  ['standardize', 'standardize_ok', 'standardize(x)'],
  ['toOneHot', 'one_hot_ok', 'toOneHot(labels, depth)'],
  ['gradOfCubic', 'grad_ok', 'gradOfCubic(coefficients, xs)'],
  ['regressionStep', 'regression_step_ok', 'linearRegressionStep(w, b, x, y, lr)'],
] as const;

export const functionCheck: TaskHost = {
  kind: 'function-check',
  paramsSchema,
  metrics: ['standardize_ok', 'one_hot_ok', 'grad_ok', 'regression_step_ok', 'layer_output_ok', 'layer_config_saved', 'layer_reload_ok', 'layer_own_reload_ok'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as FunctionCheckParams;
    const tol = p.tolerance ?? 1e-3;
    const inputs = drawInputs(ctx.draw, p.cases);
    const L = inputs.layer;
    const expected: Record<(typeof FUNCTIONS)[number][0], Expected[]> = {
      standardize: inputs.standardize.map((c) => expectStandardize(c.x)),
      toOneHot: inputs.toOneHot.map((c) => expectOneHot(c.labels, c.depth)),
      gradOfCubic: inputs.gradOfCubic.map((c) => expectGradOfCubic(c.coefficients, c.xs)),
      regressionStep: inputs.regressionStep.map(expectRegressionStep),
    };
    // The layer: built with initialScale/initialShift (every weight that constant), then given the drawn weights.
    const layerExpected = [expectScaleShift(L.x, () => L.initialScale, () => L.initialShift), expectScaleShift(L.x, (j) => L.scale[j]!, (j) => L.shift[j]!)];
    const reloadExpected = layerExpected[1]!;

    /** Per metric: the fraction of cases right, and the first wrong case's sentence. */
    const judgeAll = (o: FunctionCheckOutputs, verified?: VerifyResult) => {
      const metrics: Record<string, number> = {};
      const hints: Record<string, string> = {};
      const fraction = (metric: string, what: string, got: (CaseOut | undefined)[], want: Expected[]) => {
        let right = 0, first: string | undefined;
        want.forEach((w, i) => {
          const m = mismatch(got[i], w, tol, ctx.mode === 'check');
          if (m === undefined) right++;
          else first ??= `${what}, case ${i + 1} of ${want.length}: ${m}`;
        });
        metrics[metric] = right / want.length;
        if (first) hints[metric] = first;
      };
      for (const [key, metric, what] of FUNCTIONS) fraction(metric, what, o[key], expected[key]);
      fraction('layer_output_ok', 'the model with your ScaleShift layer (built with initialScale/initialShift, then its weights set to [scale, shift])', o.layer.outputs, layerExpected);
      const v = verified?.outputs as Partial<FunctionCheckVerify> | undefined;
      const problem = o.layer.saved ? layerConfigProblem(savedModelIn(v?.modelJson), L.initialScale, L.initialShift) : `the model with your layer was not saved: ${o.layer.saveError ?? 'saving failed'}`;
      metrics.layer_config_saved = problem === undefined ? 1 : 0;
      if (problem) hints.layer_config_saved = problem;
      fraction('layer_reload_ok', 'the saved model rebuilt by the grader with its own ScaleShift (weights named scale and shift, shape [d])', [v?.reload ?? (o.layer.saved ? { error: (v?.errors ?? [])[0] ?? 'the verify stage did not reload it' } : { error: 'the model was not saved' })], [reloadExpected]);
      fraction('layer_own_reload_ok', 'the saved model reloaded in your process with your registered class (tf.serialization.registerClass)', [o.layer.ownReload ?? { error: 'not reloaded' }], [reloadExpected]);
      return { metrics, hints };
    };

    return {
      files: {},
      params: { inputs },
      dataset: { name: 'drawn inputs', checksum: `function-check, ${p.cases} cases per function, seed ${ctx.assignment.spec.seed}`, evaluatedOn: `${p.cases} drawn cases per function (${ctx.mode === 'grade' ? 'secret grading' : 'public check'} draw)` },
      outputSchema,
      maxOutputBytes: 1 << 20,
      checkOutputs() { /* shapes and values are judged per case: a wrong one fails its own item, not the run */ },
      verify: { params: { x: L.x } },
      score(outputs, verified?: VerifyResult) {
        return judgeAll(outputs as FunctionCheckOutputs, verified).metrics;
      },
      hints(outputs, _metrics, verified?: VerifyResult) {
        return judgeAll(outputs as FunctionCheckOutputs, verified).hints;
      },
    };
  },
};
