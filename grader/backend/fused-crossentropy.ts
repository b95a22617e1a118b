// The categorical cross-entropy loss of a model compiled with
// loss: 'categoricalCrossentropy', on wasm, as one kernel forward and one
// backward. Stock tfjs-layers runs it as 9 kernels forward and ~28 on the
// way back (sum, divide, clip, cast, log, multiply, sum, negate and their
// gradients): on the MNIST MLP that was more than half of each step's kernel
// calls, each paying tfjs's per-kernel overhead. Same function:
//   p = output / Σ output,  q = clip(p, ε, 1 − ε),  loss = −Σ target · log q
// per row of the last axis, computed in float64 on the heap (rows × classes
// is small: batch × classes). The model's lossFunctions entry is replaced
// after compile; the checks fit() makes of targets against the loss run on
// the stock function compile recorded for them, and saving keeps the name.
import type * as TF from '@tensorflow/tfjs';
import { heapOf, sizeOf } from './wasm-heap.ts';
import { patchMethodOnce } from './engine-patches.ts';

type Tf = typeof TF;
type KernelFunc = TF.KernelConfig['kernelFunc'];
type Args = Parameters<KernelFunc>[0];
type Loss = (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor;

export const CCE = 'DlgradeCategoricalCrossentropy';
export const CCE_GRAD = 'DlgradeCategoricalCrossentropyGrad';

interface Rows { classes: number; rows: number; lo: number; hi: number }

function rowsOf(output: TF.TensorInfo, epsilon: number, ...same: TF.TensorInfo[]): Rows {
  if (same.some((t) => sizeOf(t) !== sizeOf(output))) throw new Error(`${CCE}: target and output must have one shape`);
  const classes = output.shape[output.shape.length - 1]!;
  const rows = classes === 0 ? 0 : sizeOf(output) / classes;
  return { classes, rows, lo: Math.fround(epsilon), hi: Math.fround(1 - epsilon) };
}

/** Inputs target, output (same shape); attr epsilon. Output: the loss per row, shape output.shape[:-1]. */
function forward(): KernelFunc {
  return (args: Args) => {
    const { target, output } = args.inputs as { target: TF.TensorInfo; output: TF.TensorInfo };
    const { rows, classes, lo, hi } = rowsOf(output, (args.attrs as { epsilon: number }).epsilon, target);
    const backend = heapOf(args);
    const loss = backend.makeOutput(output.shape.slice(0, -1), 'float32');
    const t = backend.typedArrayFromHeap(target), o = backend.typedArrayFromHeap(output), l = backend.typedArrayFromHeap(loss);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let sum = 0, ce = 0;
      for (let j = 0; j < classes; j++) sum += o[base + j]!;
      for (let j = 0; j < classes; j++) ce -= t[base + j]! * Math.log(Math.min(hi, Math.max(lo, o[base + j]! / sum)));
      l[r] = ce;
    }
    return loss;
  };
}

/**
 * Inputs dy (per row), target, output; outputs d target and d output:
 *   g_j = −target_j / q_j where ε ≤ p_j ≤ 1 − ε (clip passes the gradient), else 0
 *   d output_j = dy · (g_j − Σ_i g_i p_i) / Σ output     d target_j = −dy · log q_j
 */
function backward(): KernelFunc {
  return (args: Args) => {
    const { dy, target, output } = args.inputs as { dy: TF.TensorInfo; target: TF.TensorInfo; output: TF.TensorInfo };
    const { rows, classes, lo, hi } = rowsOf(output, (args.attrs as { epsilon: number }).epsilon, target);
    if (sizeOf(dy) !== rows) throw new Error(`${CCE_GRAD}: dy must have one value per row`);
    const backend = heapOf(args);
    const dTarget = backend.makeOutput(output.shape, 'float32'), dOutput = backend.makeOutput(output.shape, 'float32');
    const d = backend.typedArrayFromHeap(dy), t = backend.typedArrayFromHeap(target), o = backend.typedArrayFromHeap(output);
    const dt = backend.typedArrayFromHeap(dTarget), dO = backend.typedArrayFromHeap(dOutput);
    const g = new Float64Array(classes);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += o[base + j]!;
      let dot = 0;
      for (let j = 0; j < classes; j++) {
        const p = o[base + j]! / sum, q = Math.min(hi, Math.max(lo, p));
        g[j] = p >= lo && p <= hi ? -t[base + j]! / q : 0;
        dot += g[j]! * p;
        dt[base + j] = -d[r]! * Math.log(q);
      }
      for (let j = 0; j < classes; j++) dO[base + j] = (d[r]! * (g[j]! - dot)) / sum;
    }
    return [dTarget, dOutput];
  };
}

export function crossentropyKernels(): Record<string, KernelFunc> {
  return { [CCE]: forward(), [CCE_GRAD]: backward() };
}

/** The loss through the fused kernels where they apply (wasm, same shapes, float output); `stock` elsewhere. */
function fusedLoss(tf: Tf, stock: Loss): Loss {
  const fused = (yTrue: TF.Tensor, yPred: TF.Tensor, epsilon: number) => tf.customGrad((t, o, save) => {
    (save as (ts: TF.Tensor[]) => void)([t as TF.Tensor, o as TF.Tensor]);
    return {
      value: tf.engine().runKernel(CCE, { target: t as TF.Tensor, output: o as TF.Tensor }, { epsilon }) as TF.Tensor,
      gradFunc: (dy: TF.Tensor, [st, so]: TF.Tensor[]) => tf.engine().runKernel(CCE_GRAD, { dy, target: st!, output: so! }, { epsilon }) as TF.Tensor[],
    };
  })(yTrue, yPred);
  return (yTrue, yPred) => {
    const usable = tf.getBackend() === 'wasm' && tf.getKernel(CCE_GRAD, 'wasm') !== undefined && yPred.dtype === 'float32' &&
      yTrue.dtype !== 'string' && yTrue.dtype !== 'complex64' && yPred.rank >= 1 && tf.util.arraysEqual(yTrue.shape, yPred.shape);
    return usable ? fused(yTrue, yPred, tf.backend().epsilon()) : stock(yTrue, yPred);
  };
}

interface CompiledModel { lossFunctions: Loss[]; outputNames: string[] }
type Compile = (this: CompiledModel, args: TF.ModelCompileArgs) => void;

/** Which outputs compile gave the stock categorical cross-entropy by name (the only way to tell it from a user's function). */
function byName(loss: TF.ModelCompileArgs['loss'], outputNames: string[]): boolean[] {
  const named = (l: unknown) => l === 'categoricalCrossentropy';
  if (typeof loss === 'string') return outputNames.map(() => named(loss));
  if (Array.isArray(loss)) return outputNames.map((_, i) => named(loss[i]));
  if (loss && typeof loss === 'object') return outputNames.map((n) => named((loss as Record<string, unknown>)[n]));
  return outputNames.map(() => false);
}

/** LayersModel.compile, then the categorical cross-entropy losses it resolved swapped for the fused one. */
export function fuseCrossentropyLoss(tf: Tf): void {
  patchMethodOnce<Compile>(tf.LayersModel.prototype, 'compile', (stock) => function (this: CompiledModel, args: TF.ModelCompileArgs) {
    stock.call(this, args);
    const fuse = byName(args.loss, this.outputNames);
    if (fuse.some(Boolean)) this.lossFunctions = this.lossFunctions.map((fn, i) => (fuse[i] ? fusedLoss(tf, fn) : fn));
  });
}
