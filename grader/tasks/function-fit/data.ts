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
