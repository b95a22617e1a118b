// Adam's step on wasm as one SIMD kernel per variable instead of ~14 kernels
// and 6 scalar tensors copied onto the heap (stock AdamOptimizer): on the
// MNIST MLP that was a fifth of each training step, almost all of it tfjs's
// per-kernel overhead. The kernel repeats stock's float32 operations in
// stock's order, so the weights it produces are the same to the bit
// (test/simd.test.ts); off wasm, or with anything unusual (a non-float32
// gradient), the stock step runs.
import type * as TF from '@tensorflow/tfjs';
import { heapOffset, simdKernels } from './simd/instance.ts';
import { heapOf, sizeOf } from './wasm-heap.ts';
import { patchMethodOnce } from './engine-patches.ts';

type Tf = typeof TF;
type KernelFunc = TF.KernelConfig['kernelFunc'];
type Args = Parameters<KernelFunc>[0];

export const ADAM_KERNEL = 'DlgradeAdam';

interface AdamAttrs { beta1: number; beta2: number; epsilon: number; learningRate: number }

/** Inputs value, m, v, g and the accβ1/accβ2 scalars; outputs value', m', v' (new tensors: others may share the old data). */
export function adamKernel(): KernelFunc {
  return (args: Args) => {
    const { value, m, v, g, accBeta1, accBeta2 } = args.inputs as Record<string, TF.TensorInfo>;
    const { beta1, beta2, epsilon, learningRate } = args.attrs as unknown as AdamAttrs;
    const backend = heapOf(args);
    const simd = simdKernels(backend)!;
    // The kernel writes where the shapes say: refuse inputs that disagree (it is reachable through tf.engine().runKernel).
    if (![m!, v!, g!].every((t) => sizeOf(t) === sizeOf(value!) && t.dtype === 'float32') || sizeOf(accBeta1!) !== 1 || sizeOf(accBeta2!) !== 1) {
      throw new Error(`${ADAM_KERNEL}: value, m, v and g must be float32 of one size, accBeta1/accBeta2 scalars`);
    }
    const outs = [value!, m!, v!].map((t) => backend.makeOutput(t.shape, 'float32'));
    const at = (t: TF.TensorInfo) => heapOffset(backend, t);
    const n = sizeOf(value!);
    simd.adam(at(value!), at(m!), at(v!), at(g!), at(outs[0]!), at(outs[1]!), at(outs[2]!), n, at(accBeta1!), at(accBeta2!),
      beta1, 1 - beta1, beta2, 1 - beta2, epsilon, -learningRate);
    return outs;
  };
}

interface AdamState {
  learningRate: number; beta1: number; beta2: number; epsilon: number;
  accBeta1: TF.Variable; accBeta2: TF.Variable;
  accumulatedFirstMoment: { originalName: string; variable: TF.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: TF.Variable }[];
  incrementIterations(): void;
}
type VariableGradients = TF.NamedTensorMap | { name: string; tensor: TF.Tensor }[];

/** AdamOptimizer.applyGradients on wasm through the fused kernel; the same state (moments, accβ, iterations) as stock, so getWeights/setWeights and saving see no difference. */
export function fuseAdam(tf: Tf): void {
  type Apply = (this: AdamState, vg: VariableGradients) => void;
  patchMethodOnce<Apply>(tf.AdamOptimizer.prototype, 'applyGradients', (stock) => function (this: AdamState, vg: VariableGradients) {
    const names = Array.isArray(vg) ? vg.map((v) => v.name) : Object.keys(vg);
    const gradientOf = (name: string, i: number) => (Array.isArray(vg) ? vg[i]!.tensor : vg[name]);
    const variables = tf.engine().registeredVariables;
    const fusable = tf.getBackend() === 'wasm' && tf.getKernel(ADAM_KERNEL, 'wasm') !== undefined && simdKernels(tf.backend()) !== undefined &&
      names.every((name, i) => {
        const g = gradientOf(name, i), value = variables[name];
        return g == null || (value !== undefined && value.dtype === 'float32' && g.dtype === 'float32' && tf.util.arraysEqual(g.shape, value.shape));
      });
    if (!fusable) return stock.call(this, vg);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = variables[name]!;
        // As stock: moments created on first use, non-trainable, named after the variable.
        this.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        this.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const g = gradientOf(name, i);
        if (g == null) return;
        const m = this.accumulatedFirstMoment[i]!.variable, v = this.accumulatedSecondMoment[i]!.variable;
        const attrs: AdamAttrs = { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate };
        const [nextValue, nextM, nextV] = tf.engine().runKernel(ADAM_KERNEL,
          { value, m, v, g, accBeta1: this.accBeta1, accBeta2: this.accBeta2 }, attrs as unknown as TF.NamedAttrMap) as TF.Tensor[];
        m.assign(nextM!);
        v.assign(nextV!);
        value.assign(nextValue!);
      });
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
    this.incrementIterations();
  });
}
