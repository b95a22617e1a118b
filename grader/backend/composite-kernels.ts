// Gradient kernels that tfjs-backend-wasm 4.22 lacks or runs slowly (and
// that the cpu backend has only as scalar loops), as compositions: the
// multiply-adds go to the backend's matMul (XNNPACK on wasm), the data
// movement around them is done by the typed-array loops of patches.ts.
//   Conv2DBackpropFilter   a conv of x with dy (batch and channels swapped)
//   Conv2DBackpropInput    a full conv of dy with the rotated filter; col2im(dy · Wᵀ) when strided
//   Depthwise…Input        one pass over the taps, for depth multipliers > 1 (no
//                          matMul to feed: each channel has its own filter)
//   MaxPoolGrad            routes dy to each window's first maximum
//   UnsortedSegmentSum     scatterND, which sums duplicate indices
// Callers run them inside tf.tidy; tensors are NHWC.
import type * as TF from '@tensorflow/tfjs';
import { col2im, maxPoolGrad as routeMaxPoolGrad, padAndSwapBatch, type PatchGeometry } from './patches.ts';

type Tf = typeof TF;
type T4 = TF.Tensor4D;
type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | TF.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Pair = number | [number, number];

export function geometry(info: TF.backend_util.Conv2DInfo): PatchGeometry {
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, c: info.inChannels,
    outH: info.outHeight, outW: info.outWidth, kh: info.filterHeight, kw: info.filterWidth,
    strideH: info.strideHeight, strideW: info.strideWidth, dilationH: info.dilationHeight, dilationW: info.dilationWidth,
    top: info.padInfo.top, left: info.padInfo.left,
  };
}

const f32 = (t: TF.Tensor) => t.dataSync() as Float32Array;

/** aᵀ·b without a transposed operand (wasm's transposed matMul is ~10× slower). */
function matMulAtB(tf: Tf, a: TF.Tensor2D, b: TF.Tensor2D): TF.Tensor {
  // aᵀb = (bᵀa)ᵀ: transpose whichever operand is narrower, then the small result.
  return a.shape[1] <= b.shape[1] ? tf.matMul(tf.transpose(a), b) : tf.transpose(tf.matMul(tf.transpose(b), a));
}

const isPointwise = (g: PatchGeometry) =>
  g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.top === 0 && g.left === 0 && g.outH === g.h && g.outW === g.w;

/**
 * dW[i, j, ci, co] = Σ x[n, y·s + i, x·s + j, ci] · dy[n, y, x, co] is itself a
 * convolution once batch and channels swap roles: the input becomes
 * [ci, H, W, n], the "filter" dy as [oh, ow, n, co] dilated by the stride.
 * That keeps all multiply-adds in the backend's conv (XNNPACK on wasm):
 * 3–5× faster there than im2col + matMul, whose gather costs more than the math.
 */
export function conv2dBackpropFilter(tf: Tf, x: T4, dy: T4, filterShape: Shape4, strides: Pair, pad: Pad, dimRoundingMode?: Rounding): T4 {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
  const [kh, kw, cin, cout] = filterShape;
  const rows = info.batchSize * info.outHeight * info.outWidth;
  if (isPointwise(geometry(info))) return tf.reshape(matMulAtB(tf, tf.reshape(x, [rows, cin]), tf.reshape(dy, [rows, cout])), filterShape);
  const asInput = tf.tensor4d(padAndSwapBatch(f32(x), geometry(info)), [cin, (info.outHeight - 1) * info.strideHeight + kh, (info.outWidth - 1) * info.strideWidth + kw, info.batchSize]);
  const asFilter = tf.transpose(dy, [1, 2, 0, 3]) as T4; // [oh, ow, n, cout]
  const r = tf.conv2d(asInput, asFilter, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]); // [cin, kh, kw, cout]
  return tf.transpose(r, [1, 2, 0, 3]);
}

/**
 * dx = col2im(dy · Wᵀ). With stride 1 it is the full convolution of dy with
 * the filter rotated by 180° and its channel axes swapped, which runs in the
 * backend's conv; strided convs scatter-add the patch matrix back.
 */
export function conv2dBackpropInput(tf: Tf, dy: T4, filter: T4, inputShape: Shape4, strides: Pair, pad: Pad, dimRoundingMode?: Rounding): T4 {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode);
  const g = geometry(info);
  const [kh, kw, cin, cout] = filter.shape;
  const rows = g.n * g.outH * g.outW;
  if (isPointwise(g)) return tf.reshape(tf.matMul(tf.reshape(dy, [rows, cout]), tf.transpose(tf.reshape(filter, [cin, cout]))), inputShape);
  if (g.strideH === 1 && g.strideW === 1) {
    const top = kh - 1 - g.top, left = kw - 1 - g.left;
    const bottom = g.h + kh - 1 - g.outH - top, right = g.w + kw - 1 - g.outW - left;
    if (top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
      const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as T4; // [kh, kw, cout, cin]
      // Explicit padding goes to XNNPACK as is: no padded copy of dy.
      return tf.conv2d(dy, flipped, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    }
  }
  const wT = tf.transpose(tf.reshape(filter, [kh * kw * cin, cout])); // small: [cout, k]
  const cols = tf.matMul(tf.reshape(dy, [rows, cout]), wT);
  return tf.tensor4d(col2im(f32(cols), g), inputShape);
}

/**
 * dx of a depthwise conv in one pass over the taps: each input channel sums
 * its m outputs. (wasm runs the m = 1 case in XNNPACK, heap-kernels.ts.)
 */
function depthwiseInputTaps(g: PatchGeometry, m: number, dy: Float32Array, w: Float32Array): Float32Array {
  const { n, h, w: width, c, outH, outW, kh, kw, strideH, strideW, dilationH, dilationW, top, left } = g;
  const out = new Float32Array(n * h * width * c);
  const cm = c * m;
  let p = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, p += cm) {
        for (let i = 0; i < kh; i++) {
          const y = oy * strideH + i * dilationH - top;
          if (y < 0 || y >= h) continue;
          for (let j = 0; j < kw; j++) {
            const xx = ox * strideW + j * dilationW - left;
            if (xx < 0 || xx >= width) continue;
            const dst = ((b * h + y) * width + xx) * c;
            const tap = (i * kw + j) * cm;
            for (let ch = 0; ch < c; ch++) {
              let s = 0;
              for (let k = 0; k < m; k++) s += w[tap + ch * m + k]! * dy[p + ch * m + k]!;
              out[dst + ch]! += s;
            }
          }
        }
      }
    }
  }
  return out;
}

export function depthwiseConv2dBackpropInput(tf: Tf, dy: T4, filter: T4, inputShape: Shape4, strides: Pair, dilations: Pair, pad: Pad, dimRoundingMode?: Rounding): T4 {
  const g = geometry(tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode, true));
  return tf.tensor4d(depthwiseInputTaps(g, filter.shape[3], f32(dy), f32(filter)), inputShape);
}

export function maxPoolGrad(tf: Tf, dy: T4, x: T4, filterSize: Pair, strides: Pair, pad: Pad, dimRoundingMode?: Rounding): T4 {
  const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
  return tf.tensor4d(routeMaxPoolGrad(f32(dy), f32(x), geometry(info)), x.shape);
}

export function unsortedSegmentSum(tf: Tf, x: TF.Tensor, segmentIds: TF.Tensor, numSegments: number): TF.Tensor {
  const ids = segmentIds.dtype === 'int32' ? segmentIds : tf.cast(segmentIds, 'int32');
  // Out-of-range ids are dropped, as in TensorFlow; scatterND sums duplicates.
  const rows = tf.reshape(x, [segmentIds.size, -1]);
  const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
  const kept = tf.mul(rows, tf.cast(tf.reshape(valid, [-1, 1]), rows.dtype));
  const safeIds = tf.where(valid, ids, tf.zerosLike(ids));
  const out = tf.scatterND(tf.reshape(safeIds, [-1, 1]), kept, [numSegments, rows.shape[1]!]);
  return tf.reshape(out, [numSegments, ...x.shape.slice(segmentIds.rank)]);
}
