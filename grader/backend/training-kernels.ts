// Registers the training kernels a backend lacks or runs slowly: composites
// (composite-kernels.ts), passes on wasm's heap (heap-kernels.ts), and on wasm
// the fused categorical cross-entropy (fused-crossentropy.ts), with SIMD the
// fused Adam step and BatchNormalization training (fused-adam.ts,
// fused-batchnorm.ts); patches the engine (engine-patches.ts).
// Call after the backend is initialised: the wrapped kernels' setup already
// ran, and the new ones need none.
import type * as TF from '@tensorflow/tfjs';
import {
  conv2dBackpropFilter, conv2dBackpropInput, depthwiseConv2dBackpropInput, maxPoolGrad, unsortedSegmentSum,
  geometry,
} from './composite-kernels.ts';
import { CLIP_GRAD, replaceGradients } from './gradients.ts';
import { ADAM_KERNEL, adamKernel, fuseAdam } from './fused-adam.ts';
import { simdKernels } from './simd/instance.ts';
import { patchMissingInputs, shareSavedTensors } from './engine-patches.ts';
import { batchNormKernels, fuseBatchNormTraining } from './fused-batchnorm.ts';
import { crossentropyKernels, fuseCrossentropyLoss } from './fused-crossentropy.ts';
import { batchNormOnHeap, biasAdd, clipGradOnHeap, depthwiseFilterOnHeap, depthwiseInputOnHeap, leadingReduction, tileOnHeap } from './heap-kernels.ts';
import { maxPoolGrad as routeMaxPoolGrad } from './patches.ts';
import type { WasmInternals } from './wasm-heap.ts';

type Tf = typeof TF;
type KernelFunc = TF.KernelConfig['kernelFunc'];
type Args = Parameters<KernelFunc>[0];

/**
 * Runs a composite (op-level) implementation as a kernel: wraps the kernel's
 * TensorInfo inputs as tensors, keeps the result and frees the intermediates.
 */
function composite(tf: Tf, body: (t: Record<string, TF.Tensor>, attrs: any) => TF.Tensor): KernelFunc {
  return ({ inputs, attrs, backend }: Args) => tf.tidy(() => {
    const t: Record<string, TF.Tensor> = {};
    for (const [k, info] of Object.entries(inputs)) {
      // A tensor made from a TensorInfo does not take a reference of its own;
      // without one, disposing the wrapper would free the caller's data.
      (backend as TF.KernelBackend).incRef(info!.dataId);
      t[k] = tf.engine().makeTensorFromTensorInfo(info!);
    }
    return body(t, attrs ?? {});
  }) as unknown as TF.TensorInfo;
}

function kernels(tf: Tf): Record<string, KernelFunc> {
  return {
    Conv2DBackpropFilter: composite(tf, ({ x, dy }, a) => {
      if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter: only NHWC is supported, got ${a.dataFormat}`);
      return conv2dBackpropFilter(tf, x as TF.Tensor4D, dy as TF.Tensor4D, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
    }),
    Conv2DBackpropInput: composite(tf, ({ dy, filter }, a) => {
      if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropInput: only NHWC is supported, got ${a.dataFormat}`);
      return conv2dBackpropInput(tf, dy as TF.Tensor4D, filter as TF.Tensor4D, a.inputShape, a.strides, a.pad, a.dimRoundingMode);
    }),
    MaxPoolGrad: composite(tf, ({ dy, input }, a) => maxPoolGrad(tf, dy as TF.Tensor4D, input as TF.Tensor4D, a.filterSize, a.strides, a.pad, a.dimRoundingMode)),
    DepthwiseConv2dNativeBackpropInput: composite(tf, ({ dy, filter }, a) =>
      depthwiseConv2dBackpropInput(tf, dy as TF.Tensor4D, filter as TF.Tensor4D, a.inputShape, a.strides, a.dilations, a.pad, a.dimRoundingMode)),
    UnsortedSegmentSum: composite(tf, ({ x, segmentIds }, a) => unsortedSegmentSum(tf, x!, segmentIds!, a.numSegments)),
  };
}

/**
 * wasm's BatchMatMul with a transposed operand falls off XNNPACK onto a loop
 * ~10× slower than transposing first; Dense and conv backprop hit it on
 * every step. Transposes first, then runs the untransposed kernel.
 */
function transposeFirst(tf: Tf, backendName: string, matMul: KernelFunc): KernelFunc {
  const transpose = tf.getKernel('Transpose', backendName)!.kernelFunc;
  return (args: Args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return matMul(args);
    const backend = args.backend as TF.KernelBackend;
    const flip = (t: TF.TensorInfo): TF.TensorInfo => {
      const perm = t.shape.map((_, i) => i);
      [perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2]!, perm[perm.length - 1]!];
      return transpose({ inputs: { x: t }, backend, attrs: { perm } }) as TF.TensorInfo;
    };
    const a = transposeA ? flip(args.inputs.a!) : args.inputs.a!;
    const b = transposeB ? flip(args.inputs.b!) : args.inputs.b!;
    try {
      return matMul({ inputs: { a, b }, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      if (transposeA) backend.disposeData(a.dataId);
      if (transposeB) backend.disposeData(b.dataId);
    }
  };
}

/**
 * fit() slices every batch out of the whole dataset with gather(x, ids, 0);
 * wasm's GatherV2 walks it element by element. Rows are contiguous, so copy
 * them with memmove inside the wasm heap; other axes take the stock kernel.
 */
function gatherRows(tf: Tf, gather: KernelFunc): KernelFunc {
  return (args: Args) => {
    const { x, indices } = args.inputs as { x: TF.TensorInfo; indices: TF.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const parsed = tf.util.parseAxisParam(axis, x.shape)[0];
    if (parsed !== 0 || batchDims || (x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length === 0) return gather(args);
    const backend = args.backend as unknown as WasmInternals;
    const ids = backend.readSync(indices.dataId);
    const row = tf.util.sizeFromShape(x.shape.slice(1));
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < x.shape[0]!)) throw new Error(`GatherV2: the index value ${id} is not in [0, ${x.shape[0]! - 1}]`);
    }
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    const xs = backend.typedArrayFromHeap(x), os = backend.typedArrayFromHeap(out); // after makeOutput: the heap may have grown
    for (let i = 0; i < ids.length; i++) os.set(xs.subarray(ids[i]! * row, (ids[i]! + 1) * row), i * row);
    return out;
  };
}

/** The kernel's input x itself as its output, by reference count (tensors are immutable): no copy. */
function shareInput(args: Args): TF.TensorInfo {
  const { x } = args.inputs as { x: TF.TensorInfo };
  (args.backend as TF.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * tf.clone runs Identity, as do the engine's saved copies for a gradient of a
 * gradient (engine-patches.ts shares the others without a kernel); wasm's
 * Identity copies: a custom loop gathering batches from a 157 MB dataset once
 * copied all of it twice per step. Share the data, as the cpu and webgl
 * backends do; strings keep the copy.
 */
function identityShared(copy: KernelFunc): KernelFunc {
  return (args: Args) => ((args.inputs as { x: TF.TensorInfo }).x.dtype === 'string' ? copy(args) : shareInput(args));
}

/** Cast to the dtype a tensor already has (tf.moments casts every activation it reads): shared like Identity, not copied. */
function castShared(cast: KernelFunc): KernelFunc {
  return (args: Args) => {
    const { dtype } = (args.inputs as { x: TF.TensorInfo }).x;
    return dtype === 'string' || dtype !== (args.attrs as { dtype: string }).dtype ? cast(args) : shareInput(args);
  };
}

/** x[b : b + s] as a new tensor, copied heap to heap one contiguous run at a time (b and s resolved). */
function copySlice(tf: Tf, backend: WasmInternals, x: TF.TensorInfo, b: number[], s: number[]): TF.TensorInfo {
  const out = backend.makeOutput(s, x.dtype);
  if (tf.util.sizeFromShape(s) === 0) return out;
  const xs = backend.typedArrayFromHeap(x), os = backend.typedArrayFromHeap(out); // after makeOutput: the heap may have grown
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
    const from = tf.slice_util.computeFlatOffset(b, strides);
    os.set(xs.subarray(from, from + os.length));
    return out;
  }
  // Odometer over all but the last axis; each step copies one run.
  const r = s.length, run = s[r - 1]!, at = new Array<number>(r - 1).fill(0);
  for (let o = 0; ; o += run) {
    let from = b[r - 1]!;
    for (let d = 0; d < r - 1; d++) from += (b[d]! + at[d]!) * strides[d]!;
    os.set(xs.subarray(from, from + run), o);
    let d = r - 2;
    while (d >= 0 && ++at[d]! === s[d]) at[d--] = 0;
    if (d < 0) return out;
  }
}

/**
 * wasm's slice reads its whole input out of the heap (a copy) before taking
 * the part it needs, and Slice, StridedSlice, SplitV (tf.split) and Unpack
 * (tf.unstack) all go through it: predict() batching a 1,000-image input
 * copied it once per batch, and unstacking 2,000 rows took 4 s. These copy
 * only the parts; strings keep the stock kernels.
 */
function slicing(tf: Tf): Record<'Slice' | 'StridedSlice' | 'SplitV' | 'Unpack', (stock: KernelFunc) => KernelFunc> {
  const onHeap = (stock: KernelFunc, input: string, body: (x: TF.TensorInfo, attrs: any, backend: WasmInternals) => TF.TensorInfo | TF.TensorInfo[] | undefined): KernelFunc =>
    (args: Args) => {
      const x = args.inputs[input]!;
      const out = x.dtype === 'string' ? undefined : body(x, args.attrs ?? {}, args.backend as unknown as WasmInternals);
      return out ?? stock(args);
    };
  return {
    Slice: (stock) => onHeap(stock, 'x', (x, a, backend) => {
      const [b, s] = tf.slice_util.parseSliceParams(x as TF.Tensor, a.begin, a.size);
      return copySlice(tf, backend, x, b, s);
    }),
    StridedSlice: (stock) => onHeap(stock, 'x', (x, a, backend) => {
      const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
      if (info.isIdentity || !(info.sliceDim0 || info.isSimpleSlice)) return undefined; // stock: a reshape, or wasm's own strided kernel
      const out = copySlice(tf, backend, x, info.begin, tf.slice_util.computeOutShape(info.begin, info.end, info.strides));
      return { ...out, shape: info.finalShape };
    }),
    SplitV: (stock) => onHeap(stock, 'x', (x, a, backend) => {
      const axis = tf.util.parseAxisParam(a.axis, x.shape)[0]!;
      const begin = x.shape.map(() => 0);
      return tf.backend_util.prepareSplitSize(x as TF.Tensor, a.numOrSizeSplits, axis).map((n) => {
        const size = x.shape.slice();
        size[axis] = n;
        const out = copySlice(tf, backend, x, begin.slice(), size);
        begin[axis] += n;
        return out;
      });
    }),
    Unpack: (stock) => onHeap(stock, 'value', (x, a, backend) => {
      const axis = tf.util.parseAxisParam(a.axis, x.shape)[0]!;
      const shape = x.shape.filter((_, i) => i !== axis);
      const size = x.shape.map((d, i) => (i === axis ? 1 : d));
      return Array.from({ length: x.shape[axis]! }, (_, k) => ({ ...copySlice(tf, backend, x, x.shape.map((_, i) => (i === axis ? k : 0)), size), shape }));
    }),
  };
}

/**
 * wasm's MaxPoolGrad as the typed-array routing of patches.ts, run on views
 * of the wasm heap: x and dy are read and dx written in place, with none of
 * the three copies in and out a composite kernel makes.
 */
function maxPoolGradOnHeap(tf: Tf, fallback: KernelFunc): KernelFunc {
  return (args: Args) => {
    const { dy, input } = args.inputs as { dy: TF.TensorInfo; input: TF.TensorInfo };
    if (dy.dtype !== 'float32' || input.dtype !== 'float32') return fallback(args);
    const a = args.attrs as { filterSize: [number, number] | number; strides: [number, number] | number; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const backend = args.backend as unknown as WasmInternals;
    const out = backend.makeOutput(input.shape, 'float32');
    const view = (t: TF.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array; // after makeOutput: the heap may have grown
    routeMaxPoolGrad(view(dy), view(input), geometry(info), view(out));
    return out;
  };
}

export interface RegisteredKernels {
  /** Kernels this module added or replaced on the backend, for the result's record. */
  kernels: string[];
}

/** What each backend gets: wasm lacks the filter/depthwise/segment gradients and runs two others slowly; cpu's scalar-loop Conv2DBackpropFilter was ~93 % of its LeNet time, and its MaxPoolGrad the next largest. */
const PLAN: Record<string, { add: string[]; replace: string[]; transposeFirst: boolean }> = {
  wasm: { add: ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum'], replace: ['Conv2DBackpropInput', 'MaxPoolGrad'], transposeFirst: true },
  cpu: { add: [], replace: ['Conv2DBackpropFilter', 'MaxPoolGrad'], transposeFirst: false },
};

export function registerTrainingKernels(tf: Tf, backendName: string): RegisteredKernels {
  patchMissingInputs(tf);
  shareSavedTensors(tf);
  const plan = PLAN[backendName];
  if (!plan) return { kernels: [] };
  const impl = kernels(tf);
  if (backendName === 'wasm') {
    impl.MaxPoolGrad = maxPoolGradOnHeap(tf, impl.MaxPoolGrad!);
    impl.DepthwiseConv2dNativeBackpropFilter = depthwiseFilterOnHeap(tf);
    impl.DepthwiseConv2dNativeBackpropInput = depthwiseInputOnHeap(tf, impl.DepthwiseConv2dNativeBackpropInput!);
  }
  const done: string[] = [];
  const put = (name: string, kernelFunc: KernelFunc) => {
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
    tf.registerKernel({ kernelName: name, backendName, kernelFunc });
    done.push(name);
  };
  for (const name of plan.add) if (!tf.getKernel(name, backendName)) put(name, impl[name]!);
  for (const name of plan.replace) put(name, impl[name]!);
  // Wrapping the backend's own kernel: once only, even when registration runs again.
  const wrap = (name: string, make: (k: KernelFunc) => KernelFunc) => {
    const original = tf.getKernel(name, backendName);
    if (original && !(original.kernelFunc as { dlgrade?: boolean }).dlgrade) put(name, Object.assign(make(original.kernelFunc), { dlgrade: true }));
  };
  if (backendName === 'wasm') {
    wrap('GatherV2', (k) => gatherRows(tf, k));
    wrap('Identity', identityShared);
    wrap('Cast', castShared);
    for (const [name, make] of Object.entries(slicing(tf))) wrap(name, make);
    wrap('Tile', (k) => tileOnHeap(tf, k));
    wrap('Sum', (k) => leadingReduction(tf, k, false));
    wrap('Mean', (k) => leadingReduction(tf, k, true));
    wrap('FusedBatchNorm', (k) => batchNormOnHeap(tf, k));
    wrap('Add', biasAdd);
    put(CLIP_GRAD, clipGradOnHeap());
    replaceGradients(tf);
    for (const [name, k] of Object.entries(crossentropyKernels())) put(name, k);
    fuseCrossentropyLoss(tf);
    const simd = simdKernels(tf.backend());
    if (simd) {
      put(ADAM_KERNEL, adamKernel());
      fuseAdam(tf);
      for (const [name, k] of Object.entries(batchNormKernels(simd))) put(name, k);
      fuseBatchNormTraining(tf);
    }
  }
  if (plan.transposeFirst) wrap('BatchMatMul', (k) => transposeFirst(tf, backendName, k));
  return { kernels: done };
}
