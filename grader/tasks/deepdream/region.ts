// Pure geometry for the DeepDream task: the region mask the grader hands out,
// how much of the region each cell of a feature map covers, and how many
// distinct scales (octaves) the submission's gradient steps ran at and fused into its picture.

export type Region =
  | { shape: 'ellipse'; cx: number; cy: number; rx: number; ry: number }
  | { shape: 'rect'; x0: number; y0: number; x1: number; y1: number };

/** 1 inside the region, 0 outside, per pixel (row-major). Coordinates are fractions of the width and height. */
export function regionMask(region: Region, height: number, width: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width, v = (y + 0.5) / height;
      const inside = region.shape === 'ellipse'
        ? ((u - region.cx) / region.rx) ** 2 + ((v - region.cy) / region.ry) ** 2 <= 1
        : u >= region.x0 && u < region.x1 && v >= region.y0 && v < region.y1;
      mask[y * width + x] = inside ? 1 : 0;
    }
  }
  return mask;
}

/**
 * For a feature map of h × w cells over an image of height × width pixels,
 * the fraction of each cell's block of pixels that lies in the mask.
 */
export function cellCoverage(mask: ArrayLike<number>, height: number, width: number, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w);
  for (let i = 0; i < h; i++) {
    const y0 = Math.floor((i * height) / h), y1 = Math.max(y0 + 1, Math.floor(((i + 1) * height) / h));
    for (let j = 0; j < w; j++) {
      const x0 = Math.floor((j * width) / w), x1 = Math.max(x0 + 1, Math.floor(((j + 1) * width) / w));
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += mask[y * width + x]! ? 1 : 0;
      out[i * w + j] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

export interface ScaleRecord {
  height: number;
  width: number;
  /** Forward passes of the pretrained base at this size while a gradient was being taken. */
  gradientSteps: number;
  /**
   * How much of what the steps at this size changed (the input of its last pass minus its first's) shows up
   * inside the region of the returned picture: their correlation there, -1…1 (deepdream/sandbox.ts
   * fusedCorrelation). 0 for passes that changed nothing.
   */
  fused?: number;
  /**
   * Every gradient that reached the base's input at this size (at least two) was all zeros: the target is silent
   * in the region there, so the steps had nothing to climb and the size counts without a change to show.
   */
  stalled?: boolean;
}

/**
 * A size's change must correlate at least this much with the returned picture's change in the region. The
 * reference's three octaves reach 0.56, 0.63 and 0.69 on the half-size picture; throwaway passes (nothing changes
 * between them) give 0, and ten steps at a size whose result is thrown away gave 0.09 and -0.01.
 */
export const MIN_FUSED = 0.2;

/**
 * Octaves: the image sizes at which at least `minSteps` gradient steps ran
 * and whose change was fused into the returned picture (`fused` ≥ `minFused`,
 * when recorded) or whose gradients were all zero (`stalled`), counted only when each is at least `minRatio` times the
 * next smaller counted one (a 256 and a 250 px pass are one scale, not two).
 */
export function countOctaves(scales: ScaleRecord[], minSteps = 2, minRatio = 1.15, minFused = MIN_FUSED): number {
  const sizes = scales.filter((s) => s.gradientSteps >= minSteps && (s.fused === undefined || s.fused >= minFused || s.stalled === true)).map((s) => Math.min(s.height, s.width)).sort((a, b) => a - b);
  let count = 0, last = 0;
  for (const s of sizes) {
    if (count === 0 || s >= last * minRatio) {
      count++;
      last = s;
    }
  }
  return count;
}

/** Largest change, in [0, 1] units, of any channel of any pixel where the mask is 0 (images as uint8 RGB). */
export function maxChangeOutside(before: Uint8Array, after: Uint8Array, mask: Uint8Array): number {
  let worst = 0;
  for (let p = 0; p < mask.length; p++) {
    if (mask[p]) continue;
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(after[p * 3 + c]! - before[p * 3 + c]!));
  }
  return worst / 255;
}

/** Mean absolute change, in [0, 1] units, over the pixels inside the mask. */
export function meanChangeInside(before: Uint8Array, after: Uint8Array, mask: Uint8Array): number {
  let sum = 0, n = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    for (let c = 0; c < 3; c++) sum += Math.abs(after[p * 3 + c]! - before[p * 3 + c]!);
    n += 3;
  }
  return n ? sum / n / 255 : 0;
}
