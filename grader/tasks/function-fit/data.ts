// Noisy samples of a known cubic (course notes WORK1): training points for
// the submission, held-out points whose noisy targets only the grader sees.
import { makeRng, type Rng } from '../../util/rng.ts';

export interface CubicSpec {
  /** y = c[0]·x³ + c[1]·x² + c[2]·x + c[3] */
  coefficients: [number, number, number, number];
  xRange: [number, number];
  noiseStd: number;
  trainCount: number;
  testCount: number;
}

export interface CubicData {
  xTrain: number[];
  yTrain: number[];
  xTest: number[];
  yTest: number[];
}

export function cubic(c: CubicSpec['coefficients'], x: number): number {
  return ((c[0] * x + c[1]) * x + c[2]) * x + c[3];
}

function gaussian(rng: Rng): number {
  // Box–Muller; 1 - u keeps log away from 0.
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

export function cubicData(spec: CubicSpec, seed: number | string): CubicData {
  const draw = (n: number, purpose: string) => {
    const rng = makeRng(seed, purpose);
    const [lo, hi] = spec.xRange;
    const xs = Array.from({ length: n }, () => lo + (hi - lo) * rng());
    const ys = xs.map((x) => cubic(spec.coefficients, x) + spec.noiseStd * gaussian(rng));
    return [xs, ys] as const;
  };
  const [xTrain, yTrain] = draw(spec.trainCount, 'cubic-train');
  const [xTest, yTest] = draw(spec.testCount, 'cubic-test');
  return { xTrain, yTrain, xTest, yTest };
}

/** How far, at most, each of the grader's coefficients is from the statement's in grade mode. */
export const COEFFICIENT_SPREAD = 0.3;

/**
 * The grader's cubic in grade mode: "near the one in the statement". Each coefficient is the statement's plus an
 * offset uniform in ±COEFFICIENT_SPREAD, drawn from `seed` (the secret draw); offsets are drawn again until the
 * statement's cubic is at least `minMeanSquare` away from the grader's in mean square over xRange, so predicting
 * the statement's cubic without training misses an MSE threshold of minMeanSquare / 2 with room to spare.
 */
export function graderCoefficients(spec: CubicSpec, seed: string, minMeanSquare: number): CubicSpec['coefficients'] {
  const rng = makeRng(seed, 'cubic-coefficients');
  const [lo, hi] = spec.xRange;
  const grid = Array.from({ length: 201 }, (_, i) => lo + ((hi - lo) * i) / 200);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const c = spec.coefficients.map((v) => v + COEFFICIENT_SPREAD * (2 * rng() - 1)) as CubicSpec['coefficients'];
    const gap = grid.reduce((s, x) => s + (cubic(c, x) - cubic(spec.coefficients, x)) ** 2, 0) / grid.length;
    if (gap >= minMeanSquare) return c;
  }
  throw new Error(`no cubic within ±${COEFFICIENT_SPREAD} of the statement's is ${minMeanSquare} away from it in mean square over [${lo}, ${hi}]: the task's MSE threshold is too loose to tell training from the statement's coefficients`);
}

export function mse(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < target.length; i++) s += (pred[i]! - target[i]!) ** 2;
  return s / target.length;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
