// wasm kernels that work on views of the wasm heap (no copies into JS), hand
// the work to wasm's own SIMD kernels or run this project's (simd/), for what
// stock wasm lacks or does slowly around training (MobileNetV2 fine-tuning at
// 64×64, batch 32: 226 CPU ms per image with stock kernels, 33 with these and
// the fused ones):
//   Add (bias)       per-channel bias over [..., c]: one SIMD pass; stock
//                    broadcasts element by element
//   Tile             stock computes every output index; here block copies
//   Sum/Mean         over leading axes (per channel of NHWC): stock transposes
//                    the whole input first; here one average pool
//   FusedBatchNorm   stock indexes with a modulo per element; here a 1×1
//                    depthwise conv with bias
//   Depthwise…Filter one SIMD pass per tap (simd/kernels.wat); depth
//                    multipliers above 1: one JS pass on the heap
//   Depthwise…Input  wasm's depthwise conv of the zero-dilated dy
//   ClipByValue grad (ReLU6) one SIMD pass instead of five kernels
// Plain JS loops run several times slower than SIMD, so they remain only as
// the fallback where the SIMD module does not load. Views go stale when the
// heap grows (any makeOutput): take them after allocating.
import type * as TF from '@tensorflow/tfjs';
import { heapOf, sizeOf, type WasmInternals } from './wasm-heap.ts';
import { heapOffset, simdKernels } from './simd/instance.ts';

type Tf = typeof TF;
type KernelFunc = TF.KernelConfig['kernelFunc'];
type Args = Parameters<KernelFunc>[0];


/**
 * Tile as block copies: the innermost axis copies its row, then every axis
 * replicates the block it has built with copyWithin (doubling).
 */
export function tileOnHeap(tf: Tf, stock: KernelFunc): KernelFunc {
  return (args: Args) => {
    const { x } = args.inputs as { x: TF.TensorInfo };
    const { reps } = args.attrs as { reps: number[] };
    if (x.dtype === 'string' || x.shape.length === 0 || reps.length !== x.shape.length) return stock(args);
    const shape = x.shape, r = shape.length;
    const outShape = shape.map((d, i) => d * reps[i]!);
    const backend = heapOf(args);
    const out = backend.makeOutput(outShape, x.dtype);
    if (tf.util.sizeFromShape(outShape) === 0) return out;
    const xs = backend.typedArrayFromHeap(x), os = backend.typedArrayFromHeap(out);
    const xStrides = tf.util.computeStrides(shape).concat(1);
    const oStrides = tf.util.computeStrides(outShape).concat(1);
    // Fills the block of `axis` at oOff (shape[axis] · oStrides[axis] values), then its reps.
    const fill = (axis: number, xOff: number, oOff: number): void => {
      const block = shape[axis]! * oStrides[axis]!;
      if (axis === r - 1) os.set(xs.subarray(xOff, xOff + shape[axis]!), oOff);
      else for (let i = 0; i < shape[axis]!; i++) fill(axis + 1, xOff + i * xStrides[axis]!, oOff + i * oStrides[axis]!);
      const total = block * reps[axis]!;
      for (let done = block; done < total; done *= 2) os.copyWithin(oOff + done, oOff, oOff + Math.min(done, total - done));
    };
    fill(0, 0, 0);
    return out;
  };
}

/**
 * Add of a per-channel bias ([c], or [1, …, 1, c]) to a float32 [..., c]
 * tensor, either order, as one SIMD pass: a conv or dense layer's bias while
 * training (TF.js fuses it into the conv only outside a gradient). Stock wasm
 * broadcasts element by element (LeNet: 6.6 % of its epoch). Other shapes,
 * or no SIMD module: the stock kernel.
 */
export function biasAdd(stock: KernelFunc): KernelFunc {
  const isBias = (b: TF.TensorInfo, c: number) => b.dtype === 'float32' && b.shape[b.shape.length - 1] === c && b.shape.slice(0, -1).every((d) => d === 1);
  return (args: Args) => {
    const { a, b } = args.inputs as { a: TF.TensorInfo; b: TF.TensorInfo };
    const [x, bias] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
    const c = x.shape[x.shape.length - 1]!;
    const backend = heapOf(args);
    const simd = simdKernels(backend);
    if (!simd || x.dtype !== 'float32' || x.shape.length < 2 || c === 0 || bias.shape.length > x.shape.length || !isBias(bias, c) || sizeOf(bias) === sizeOf(x)) return stock(args);
    const out = backend.makeOutput(x.shape, 'float32');
    simd.ch_add(heapOffset(backend, x), heapOffset(backend, bias), heapOffset(backend, out), sizeOf(x) / c, c);
    return out;
  };
}

/**
 * Sum or Mean of a float32 tensor over its leading axes ([0, 1, 2] of NHWC:
 * per channel) as wasm's average pool (XNNPACK, SIMD: ~6× a JS loop) over
 * the last two reduced axes, then the few pooled rows summed in float64;
 * other axes take the stock kernel (which reduces innermost axes without a
 * transpose).
 */
export function leadingReduction(tf: Tf, stock: KernelFunc, mean: boolean): KernelFunc {
  return (args: Args) => {
    const { x } = args.inputs as { x: TF.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32' || x.shape.length < 2) return stock(args);
    const axes = tf.util.parseAxisParam(axis, x.shape).slice().sort((a, b) => a - b);
    const k = axes.length;
    if (k === 0 || k === x.shape.length || axes.some((a, i) => a !== i)) return stock(args);
    const cols = tf.util.sizeFromShape(x.shape.slice(k));
    const [wh, ww] = k === 1 ? [x.shape[0]!, 1] : [x.shape[k - 2]!, x.shape[k - 1]!];
    const blocks = tf.util.sizeFromShape(x.shape.slice(0, Math.max(0, k - 2)));
    const backend = heapOf(args);
    const outShape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
    if (wh * ww * blocks === 0) return stock(args);
    const pooled = tf.getKernel('AvgPool', 'wasm')!.kernelFunc({
      inputs: { x: { dataId: x.dataId, shape: [blocks, wh, ww, cols], dtype: 'float32' } }, backend: args.backend,
      attrs: { filterSize: [wh, ww], strides: 1, pad: 'valid' },
    }) as TF.TensorInfo; // [blocks, 1, 1, cols]: means
    const out = backend.makeOutput(outShape, 'float32');
    const ps = backend.typedArrayFromHeap(pooled) as Float32Array, os = backend.typedArrayFromHeap(out) as Float32Array;
    const acc = new Float64Array(cols);
    for (let b = 0, p = 0; b < blocks; b++) for (let c = 0; c < cols; c++, p++) acc[c]! += ps[p]!;
    const scale = mean ? 1 / blocks : wh * ww;
    for (let c = 0; c < cols; c++) os[c] = acc[c]! * scale;
    (args.backend as TF.KernelBackend).disposeData(pooled.dataId);
    return out;
  };
}

type Pair = number | [number, number];
interface DepthwiseAttrs { strides: Pair; dilations: Pair; pad: 'valid' | 'same' | number | TF.backend_util.ExplicitPadding; dimRoundingMode?: 'floor' | 'round' | 'ceil' }

/**
 * Output positions o in [0, outSize) whose input position o·stride + off lies
 * in [0, inSize): worked out once per tap instead of tested per position.
 */
function validRange(off: number, stride: number, inSize: number, outSize: number): [number, number] {
  return [Math.max(0, Math.ceil(-off / stride)), Math.min(outSize, Math.floor((inSize - 1 - off) / stride) + 1)];
}

/**
 * DepthwiseConv2dNativeBackpropFilter on the heap:
 * dW[i, j, c·m + k] = Σ x[n, y·s + i·d − top, x·s + j·d − left, c] · dy[n, y, x, c·m + k],
 * per tap one SIMD pass (depth multiplier 1), else a JS pass accumulating in float64.
 */
export function depthwiseFilterOnHeap(tf: Tf): KernelFunc {
  return (args: Args) => {
    const { x, dy } = args.inputs as { x: TF.TensorInfo; dy: TF.TensorInfo };
    const a = args.attrs as unknown as DepthwiseAttrs & { filterShape: [number, number, number, number] };
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
    const backend = heapOf(args);
    const out = backend.makeOutput(a.filterShape, 'float32');
    const xs = backend.typedArrayFromHeap(x) as Float32Array, ds = backend.typedArrayFromHeap(dy) as Float32Array;
    const os = backend.typedArrayFromHeap(out) as Float32Array;
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw,
      strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
    const top = info.padInfo.top, left = info.padInfo.left, m = a.filterShape[3], cm = c * m;
    const simd = m === 1 ? simdKernels(backend) : undefined;
    if (simd) {
      // Per tap, the output rows and columns whose input row/column lies inside the input; byte strides.
      const at = (t: TF.TensorInfo) => heapOffset(backend, t);
      const B = 4 * c, xRow = w * B, dRow = ow * B;
      for (let i = 0; i < kh; i++) {
        const yOff = i * dh - top;
        const [oy0, oy1] = validRange(yOff, sh, h, oh);
        for (let j = 0; j < kw; j++) {
          const xOff = j * dw - left, tap = at(out) + (i * kw + j) * B;
          const [ox0, ox1] = validRange(xOff, sw, w, ow);
          if (oy1 <= oy0 || ox1 <= ox0) { os.fill(0, (i * kw + j) * c, (i * kw + j + 1) * c); continue; }
          simd.dw_filter_tap(at(x) + (oy0 * sh + yOff) * xRow + (ox0 * sw + xOff) * B, at(dy) + oy0 * dRow + ox0 * B, tap, c,
            n, oy1 - oy0, ox1 - ox0, h * xRow, sh * xRow, sw * B, oh * dRow, dRow, B);
        }
      }
      return out;
    }
    const acc = new Float64Array(cm);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        acc.fill(0);
        const off = j * dw - left;
        const [ox0, ox1] = validRange(off, sw, w, ow);
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < oh; oy++) {
            const y = oy * sh + i * dh - top;
            if (y < 0 || y >= h) continue;
            const xRow = (b * h + y) * w, dRow = (b * oh + oy) * ow;
            for (let ox = ox0; ox < ox1; ox++) {
              const xp = (xRow + ox * sw + off) * c, dp = (dRow + ox) * cm;
              for (let ch = 0; ch < c; ch++) for (let k = 0, v = xs[xp + ch]!; k < m; k++) acc[ch * m + k]! += v * ds[dp + ch * m + k]!;
            }
          }
        }
        os.set(acc, (i * kw + j) * cm);
      }
    }
    return out;
  };
}

/**
 * DepthwiseConv2dNativeBackpropInput as wasm's own depthwise conv (XNNPACK):
 * dx is the full correlation of dy, zero-dilated by the stride, with the
 * spatially rotated filter. With a depth multiplier above 1 (each input
 * channel sums several outputs) it falls back to `fallback`.
 */
export function depthwiseInputOnHeap(tf: Tf, fallback: KernelFunc): KernelFunc {
  return (args: Args) => {
    const { dy, filter } = args.inputs as { dy: TF.TensorInfo; filter: TF.TensorInfo };
    const a = args.attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] };
    const [kh, kw, c, m] = filter.shape as [number, number, number, number];
    if (m !== 1 || dy.dtype !== 'float32' || filter.dtype !== 'float32') return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
    const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
    const upH = (oh - 1) * sh + 1, upW = (ow - 1) * sw + 1; // dy with stride − 1 zeros between its rows and columns
    const effH = (kh - 1) * dh + 1, effW = (kw - 1) * dw + 1;
    const top = effH - 1 - info.padInfo.top, left = effW - 1 - info.padInfo.left;
    const bottom = h - 1 + effH - upH - top, right = w - 1 + effW - upW - left;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) return fallback(args);
    const backend = args.backend as TF.KernelBackend & WasmInternals;
    const strided = sh > 1 || sw > 1;
    const up = strided ? backend.makeOutput([n, upH, upW, c], 'float32') : dy;
    const rotated = backend.makeOutput(filter.shape, 'float32');
    const fs = backend.typedArrayFromHeap(filter) as Float32Array, rs = backend.typedArrayFromHeap(rotated) as Float32Array;
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) rs.set(fs.subarray((i * kw + j) * c, (i * kw + j + 1) * c), ((kh - 1 - i) * kw + kw - 1 - j) * c);
    if (strided) {
      const us = backend.typedArrayFromHeap(up) as Float32Array, ds = backend.typedArrayFromHeap(dy) as Float32Array;
      us.fill(0);
      for (let b = 0, p = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++, p += c) us.set(ds.subarray(p, p + c), ((b * upH + y * sh) * upW + xx * sw) * c);
    }
    try {
      return tf.getKernel('DepthwiseConv2dNative', 'wasm')!.kernelFunc({
        inputs: { x: up, filter: rotated }, backend,
        attrs: { strides: 1, dilations: [dh, dw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC' },
      }) as TF.TensorInfo;
    } finally {
      if (strided) backend.disposeData(up.dataId);
      backend.disposeData(rotated.dataId);
    }
  };
}

/** ClipByValue's gradient (ReLU6): dy where clipMin ≤ x ≤ clipMax, else 0 (NaN x: 0, as stock); SIMD where it loads. */
export function clipGradOnHeap(): KernelFunc {
  return (args: Args) => {
    const { dy, x } = args.inputs as { dy: TF.TensorInfo; x: TF.TensorInfo };
    const { clipValueMin: lo, clipValueMax: hi } = args.attrs as { clipValueMin: number; clipValueMax: number };
    const backend = heapOf(args);
    const out = backend.makeOutput(x.shape, 'float32');
    const simd = simdKernels(backend);
    if (simd) {
      simd.clip_grad(heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, out), sizeOf(x), lo, hi);
      return out;
    }
    const ds = backend.typedArrayFromHeap(dy) as Float32Array, xs = backend.typedArrayFromHeap(x) as Float32Array;
    const os = backend.typedArrayFromHeap(out) as Float32Array;
    for (let i = 0; i < os.length; i++) {
      const v = xs[i]!;
      os[i] = v >= lo && v <= hi ? ds[i]! : 0;
    }
    return out;
  };
}

/**
 * FusedBatchNorm with per-channel statistics as one pass of wasm's depthwise
 * 1×1 conv with bias (XNNPACK, SIMD): y = x · k + (offset − mean · k) with
 * k = scale / √(variance + ε). Stock wasm's kernel indexes every element
 * with a modulo: ~6× slower. Other shapes take the stock kernel.
 */
export function batchNormOnHeap(tf: Tf, stock: KernelFunc): KernelFunc {
  return (args: Args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, TF.TensorInfo | undefined>;
    const { varianceEpsilon } = args.attrs as { varianceEpsilon: number };
    const c = x!.shape[x!.shape.length - 1]!;
    const perChannel = (t: TF.TensorInfo | undefined) => !t || (t.shape.length === 1 && t.shape[0] === c && t.dtype === 'float32');
    if (x!.dtype !== 'float32' || x!.shape.length === 0 || ![mean, variance, offset, scale].every(perChannel) || !mean || !variance) return stock(args);
    const backend = args.backend as TF.KernelBackend & WasmInternals;
    const filter = backend.makeOutput([1, 1, c, 1], 'float32'), bias = backend.makeOutput([c], 'float32');
    const view = (t: TF.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    const fs = view(filter), bs = view(bias), ms = view(mean), vs = view(variance);
    const ss = scale ? view(scale) : null, os = offset ? view(offset) : null;
    for (let ch = 0; ch < c; ch++) {
      const k = (ss ? ss[ch]! : 1) / Math.sqrt(vs[ch]! + varianceEpsilon);
      fs[ch] = k;
      bs[ch] = (os ? os[ch]! : 0) - ms[ch]! * k;
    }
    try {
      const out = tf.getKernel('FusedDepthwiseConv2D', 'wasm')!.kernelFunc({
        inputs: { x: { dataId: x!.dataId, shape: [1, 1, tf.util.sizeFromShape(x!.shape) / c, c], dtype: 'float32' }, filter, bias }, backend,
        attrs: { strides: 1, pad: 'valid', dilations: 1, dataFormat: 'NHWC', activation: 'linear' },
      }) as TF.TensorInfo;
      return { ...out, shape: x!.shape };
    } finally {
      backend.disposeData(filter.dataId);
      backend.disposeData(bias.dataId);
    }
  };
}
