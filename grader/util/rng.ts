// One seeded PRNG for everything the grader samples, so a (seed, purpose) pair
// always yields the same sequence on every machine.
import seedrandom from 'seedrandom';

export type Rng = () => number;

export function makeRng(seed: string | number, purpose = ''): Rng {
  return seedrandom(`${seed}/${purpose}`);
}

export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** In-place Fisher–Yates shuffle. */
export function shuffle<T extends { length: number; [i: number]: any }>(rng: Rng, xs: T): T {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    const t = xs[i];
    xs[i] = xs[j];
    xs[j] = t;
  }
  return xs;
}
