// The balanced pair set of the siamese assignment (course notes, WORK4):
// per digit the same number of positive pairs (same digit, different images),
// per unordered digit combination the same number of negative pairs.
// Label 0 = same digit, 1 = different digits, as in the notes.
import { makeRng, randInt, shuffle, type Rng } from '../util/rng.ts';

export interface PairSet {
  a: Int32Array; // image indices into the split the pool was drawn from
  b: Int32Array;
  label: Uint8Array; // 0 = same digit, 1 = different
}

export interface PairSpec {
  positivesPerClass: number;
  negativesPerCombination: number;
  numClasses?: number;
  seed: string | number;
}

/** Draws a balanced pair set from the images `pool` (indices into `labels`). */
export function balancedPairs(labels: Uint8Array, pool: ArrayLike<number>, spec: PairSpec): PairSet {
  const k = spec.numClasses ?? 10;
  const byClass = groupByClass(labels, pool, k);
  const rng = makeRng(spec.seed, 'balanced-pairs');
  const combos = (k * (k - 1)) / 2;
  const n = k * spec.positivesPerClass + combos * spec.negativesPerCombination;
  const a = new Int32Array(n), b = new Int32Array(n), label = new Uint8Array(n);
  let at = 0;
  const push = (i: number, j: number, y: number) => {
    // Random order within a pair so position carries no information.
    if (rng() < 0.5) [i, j] = [j, i];
    a[at] = i; b[at] = j; label[at] = y; at++;
  };
  // Every count is checked before anything is drawn: an impossible request fails at once, naming what is short.
  for (let c = 0; c < k; c++) {
    const members = byClass[c]!;
    if (members.length < 2) throw new PairCountError(`class ${c} has ${members.length} images in the pool; need at least 2`, 'positivesPerClass', spec.positivesPerClass, 0, [c]);
    const maxPairs = (members.length * (members.length - 1)) / 2;
    if (spec.positivesPerClass > maxPairs) throw new PairCountError(`class ${c}: ${spec.positivesPerClass} distinct positive pairs requested, only ${maxPairs} exist`, 'positivesPerClass', spec.positivesPerClass, maxPairs, [c]);
  }
  for (let c1 = 0; c1 < k; c1++) {
    for (let c2 = c1 + 1; c2 < k; c2++) {
      const maxPairs = byClass[c1]!.length * byClass[c2]!.length;
      if (spec.negativesPerCombination > maxPairs) {
        throw new PairCountError(`classes ${c1} and ${c2}: ${spec.negativesPerCombination} distinct negative pairs requested, only ${maxPairs} exist`, 'negativesPerCombination', spec.negativesPerCombination, maxPairs, [c1, c2]);
      }
    }
  }
  for (let c = 0; c < k; c++) {
    const members = byClass[c]!;
    for (const [i, j] of distinctPairs(rng, members, members, spec.positivesPerClass)) push(i, j, 0);
  }
  for (let c1 = 0; c1 < k; c1++) {
    for (let c2 = c1 + 1; c2 < k; c2++) {
      for (const [i, j] of distinctPairs(rng, byClass[c1]!, byClass[c2]!, spec.negativesPerCombination)) push(i, j, 1);
    }
  }
  // Shuffle the three arrays together.
  const order = shuffle(rng, Int32Array.from({ length: n }, (_, i) => i));
  return { a: order.map((i) => a[i]!), b: order.map((i) => b[i]!), label: Uint8Array.from(order, (i) => label[i]!) };
}

function groupByClass(labels: Uint8Array, pool: ArrayLike<number>, k: number): number[][] {
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let p = 0; p < pool.length; p++) {
    const idx = pool[p]!;
    const y = labels[idx]!;
    if (y >= k) throw new Error(`label ${y} at index ${idx} is outside 0..${k - 1}`);
    byClass[y]!.push(idx);
  }
  return byClass;
}

/** A pair request that cannot be met: which spec field, how many were asked for, how many exist, between which classes. */
export class PairCountError extends Error {
  override name = 'PairCountError';
  constructor(message: string, readonly field: 'positivesPerClass' | 'negativesPerCombination', readonly requested: number, readonly available: number, readonly classes: number[]) {
    super(message);
  }
}

/** How many distinct unordered pairs {x, y} (x from xs, y from ys, x !== y) exist. */
export function countDistinctPairs(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const X = new Set(Array.from(xs)), Y = new Set(Array.from(ys));
  let both = 0;
  for (const x of X) if (Y.has(x)) both++;
  // Ordered pairs minus x === y, then each pair inside the overlap was counted in both orders.
  return X.size * Y.size - both - (both * (both - 1)) / 2;
}

/** `count` distinct unordered pairs (x from xs, y from ys, x !== y); throws when fewer than `count` exist. */
export function* distinctPairs(rng: Rng, xs: number[], ys: number[], count: number): Generator<[number, number]> {
  if (count <= 0) return;
  const available = countDistinctPairs(xs, ys);
  // Rejection sampling would never finish; say so instead.
  if (count > available) throw new Error(`${count} distinct pairs requested, only ${available} exist`);
  const seen = new Set<number>();
  let made = 0;
  while (made < count) {
    const i = xs[randInt(rng, xs.length)]!;
    const j = ys[randInt(rng, ys.length)]!;
    if (i === j) continue;
    const key = Math.min(i, j) * 4294967296 + Math.max(i, j);
    if (seen.has(key)) continue;
    seen.add(key);
    made++;
    yield [i, j];
  }
}

/** A deterministic range [start, start+count) as a pool of indices. */
export function range(start: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => start + i);
}
