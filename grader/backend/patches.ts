// Typed-array loops for the data movement around convolution gradients that
// no backend op does quickly: col2im (scatter-add a patch matrix back) and
// max-pool routing. (wasm's Slice copies its whole input on every call, so
// slice-based versions were 10× slower.) All tensors are NHWC, row-major.

export interface PatchGeometry {
  n: number; h: number; w: number; c: number;
  outH: number; outW: number;
  kh: number; kw: number;
  strideH: number; strideW: number;
  dilationH: number; dilationW: number;
  /** Padding before the first row / column. */
  top: number; left: number;
}

/**
 * x [n, h, w, c] → [c, H, W, n] zero-padded by (top, left) and cropped to the
 * rows and columns the conv's windows reach: the input of the filter-gradient
 * conv, in one pass (wasm's pad + transpose took 4 ms on LeNet's first layer).
 */
export function padAndSwapBatch(x: Float32Array, g: PatchGeometry): Float32Array {
  const { n, h, w, c, outH, outW, kh, kw, strideH, strideW, top, left } = g;
  const H = (outH - 1) * strideH + kh, W = (outW - 1) * strideW + kw;
  const out = new Float32Array(c * H * W * n);
  for (let b = 0; b < n; b++) {
    for (let y = Math.max(0, top); y < Math.min(H, h + top); y++) {
      for (let xx = Math.max(0, left); xx < Math.min(W, w + left); xx++) {
        const src = ((b * h + y - top) * w + xx - left) * c;
        for (let ch = 0; ch < c; ch++) out[((ch * H + y) * W + xx) * n + b] = x[src + ch]!;
      }
    }
  }
  return out;
}

/** col2im, the adjoint of im2col: sums each entry of a patch matrix [n·outH·outW, kh·kw·c] (columns in the filter's [kh, kw, c] order) back into its input position. */
export function col2im(cols: Float32Array, g: PatchGeometry): Float32Array {
  const { n, h, w, c, outH, outW, kh, kw, strideH, strideW, dilationH, dilationW, top, left } = g;
  const dx = new Float32Array(n * h * w * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let i = 0; i < kh; i++) {
          const y = oy * strideH + i * dilationH - top;
          if (y < 0 || y >= h) { o += kw * c; continue; }
          const xr = xb + y * w * c;
          for (let j = 0; j < kw; j++) {
            const xx = ox * strideW + j * dilationW - left;
            if (xx >= 0 && xx < w) {
              const dst = xr + xx * c;
              for (let ch = 0; ch < c; ch++) dx[dst + ch]! += cols[o + ch]!;
            }
            o += c;
          }
        }
      }
    }
  }
  return dx;
}

/**
 * Max-pool gradient: each output's gradient goes to the first maximum of its
 * window (as TF.js's cpu backend picks it; after a ReLU, ties are common).
 * Channels are the innermost loop, so every read is contiguous.
 */
/** dx for a max pool; written into `dx` when given (it is zeroed first), e.g. straight into the wasm heap. */
export function maxPoolGrad(dy: Float32Array, x: Float32Array, g: PatchGeometry, dx: Float32Array<ArrayBufferLike> = new Float32Array(x.length)): Float32Array<ArrayBufferLike> {
  dx.fill(0);
  const { n, h, w, c, outH, outW, kh, kw, strideH, strideW, dilationH, dilationW, top, left } = g;
  if (kh === 2 && kw === 2 && strideH === 2 && strideW === 2 && dilationH === 1 && dilationW === 1 && top === 0 && left === 0 && 2 * outH <= h && 2 * outW <= w) {
    return maxPool2x2Grad(dy, x, g, dx);
  }
  const best = new Float32Array(c), at = new Int32Array(c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, o += c) {
        best.fill(-Infinity);
        at.fill(-1);
        for (let i = 0; i < kh; i++) {
          const y = oy * strideH + i * dilationH - top;
          if (y < 0 || y >= h) continue;
          for (let j = 0; j < kw; j++) {
            const xx = ox * strideW + j * dilationW - left;
            if (xx < 0 || xx >= w) continue;
            const base = xb + (y * w + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch]!;
              if (v > best[ch]!) { best[ch] = v; at[ch] = base + ch; }
            }
          }
        }
        for (let ch = 0; ch < c; ch++) if (at[ch]! >= 0) dx[at[ch]!]! += dy[o + ch]!;
      }
    }
  }
  return dx;
}

/** The common 2×2, stride-2, unpadded pool, with the four taps unrolled. */
function maxPool2x2Grad(dy: Float32Array, x: Float32Array, g: PatchGeometry, dx: Float32Array<ArrayBufferLike>): Float32Array<ArrayBufferLike> {
  const { n, h, w, c, outH, outW } = g;
  const right = c, down = w * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const base = ((b * h + 2 * oy) * w + 2 * ox) * c;
        for (let ch = 0; ch < c; ch++, o++) {
          const p = base + ch;
          // First maximum in row-major window order; NaN everywhere routes nowhere, as on cpu.
          let at = -1, best = -Infinity;
          const v0 = x[p]!, v1 = x[p + right]!, v2 = x[p + down]!, v3 = x[p + down + right]!;
          if (v0 > best) { best = v0; at = p; }
          if (v1 > best) { best = v1; at = p + right; }
          if (v2 > best) { best = v2; at = p + down; }
          if (v3 > best) { at = p + down + right; }
          if (at >= 0) dx[at]! += dy[o]!;
        }
      }
    }
  }
  return dx;
}
