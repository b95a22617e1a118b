// BatchNormalization in training on wasm as four SIMD passes instead of
// ~20 kernels: stock tfjs-layers takes the batch's moments (mean, x − mean,
// square, mean), normalizes, and on the way back the tape walks each of those
// again (tile, multiplies, sums, adds), every one a full pass over the
// activation plus tfjs's per-kernel overhead. MobileNetV2 fine-tuning spent
// about a fifth of its step there.
//   forward   per-channel Σx, then Σ(x − mean)² (blocks of rows in float32,
//             the blocks summed in float64); normalize in wasm's own kernel
//   backward  Σdy and Σdy·(x − mean) in one pass, then
//             dx = k·dy + a·x + b per channel, the whole BatchNorm derivative
//             (through the batch mean and variance) in one more
// Only the layer's training call changes; inference, shapes other than
// channels-last, missing gamma/beta and other backends run stock code.
import type * as TF from '@tensorflow/tfjs';
import { heapOffset, simdKernels, type SimdKernels } from './simd/instance.ts';
import { channelSums } from './simd/channel-sums.ts';
import { heapOf, sizeOf } from './wasm-heap.ts';
import { patchMethodOnce } from './engine-patches.ts';

type Tf = typeof TF;
type KernelFunc = TF.KernelConfig['kernelFunc'];
type Args = Parameters<KernelFunc>[0];

export const BN_MOMENTS = 'DlgradeBatchMoments';
export const BN_GRAD = 'DlgradeBatchNormGrad';

/** Inputs x [..., c]; outputs the batch mean and (biased) variance over every axis but the last, as tf.moments. */
function momentsKernel(simd: SimdKernels): KernelFunc {
  return (args: Args) => {
    const { x } = args.inputs as { x: TF.TensorInfo };
    const backend = heapOf(args);
    const c = x.shape[x.shape.length - 1]!, rows = sizeOf(x) / c;
    const mean = backend.makeOutput([c], 'float32'), variance = backend.makeOutput([c], 'float32');
    const X = heapOffset(backend, x);
    const [sum] = channelSums(backend, c, rows, 1, (off, n, [acc]) => simd.ch_acc_sum(X + off, n, c, acc!));
    (backend.typedArrayFromHeap(mean) as Float32Array).set(sum!.map((s) => s / rows));
    const M = heapOffset(backend, mean);
    const [sq] = channelSums(backend, c, rows, 1, (off, n, [acc]) => simd.ch_acc_sqdev(X + off, M, n, c, acc!));
    (backend.typedArrayFromHeap(variance) as Float32Array).set(sq!.map((s) => s / rows));
    return [mean, variance];
  };
}

/**
 * Inputs dy, x, mean, variance, gamma (the forward's batch statistics); attr
 * varianceEpsilon. Outputs dx, dgamma, dbeta of y = gamma·(x − mean)·r + beta,
 * r = 1/√(variance + ε), with mean and variance functions of x:
 *   dgamma = r·Σdy(x − mean)   dbeta = Σdy
 *   dx = k·dy − k·Σdy/N − k·r²·(x − mean)·Σdy(x − mean)/N,  k = gamma·r
 */
function gradKernel(simd: SimdKernels): KernelFunc {
  return (args: Args) => {
    const { dy, x, mean, variance, gamma } = args.inputs as Record<string, TF.TensorInfo>;
    const { varianceEpsilon: eps } = args.attrs as { varianceEpsilon: number };
    const backend = heapOf(args);
    const c = x!.shape[x!.shape.length - 1]!, rows = sizeOf(x!) / c;
    if (sizeOf(dy!) !== sizeOf(x!) || ![mean!, variance!, gamma!].every((t) => sizeOf(t) === c)) throw new Error(`${BN_GRAD}: dy must match x, and mean, variance, gamma have one value per channel`);
    const dx = backend.makeOutput(x!.shape, 'float32'), dgamma = backend.makeOutput([c], 'float32'), dbeta = backend.makeOutput([c], 'float32');
    const coef = backend.makeOutput([3 * c], 'float32'); // k, a, b
    try {
      const DY = heapOffset(backend, dy!), X = heapOffset(backend, x!), M = heapOffset(backend, mean!);
      const [sdy, sdyx] = channelSums(backend, c, rows, 2, (off, n, [a0, a1]) => simd.ch_acc_grad(DY + off, X + off, M, n, c, a0!, a1!));
      const view = (t: TF.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
      const ms = view(mean!), vs = view(variance!), gs = view(gamma!), cs = view(coef), dg = view(dgamma), db = view(dbeta);
      for (let ch = 0; ch < c; ch++) {
        const r = 1 / Math.sqrt(vs[ch]! + eps), k = gs[ch]! * r;
        const a = (-k * r * r * sdyx![ch]!) / rows;
        cs[ch] = k;
        cs[c + ch] = a;
        cs[2 * c + ch] = (-k * sdy![ch]!) / rows - a * ms[ch]!;
        dg[ch] = r * sdyx![ch]!;
        db[ch] = sdy![ch]!;
      }
      const C = heapOffset(backend, coef);
      simd.ch_affine2(DY, X, C, C + 4 * c, C + 8 * c, heapOffset(backend, dx), rows, c);
      return [dx, dgamma, dbeta];
    } finally {
      (backend as unknown as TF.KernelBackend).disposeData(coef.dataId);
    }
  };
}

export function batchNormKernels(simd: SimdKernels): Record<string, KernelFunc> {
  return { [BN_MOMENTS]: momentsKernel(simd), [BN_GRAD]: gradKernel(simd) };
}

interface BatchNormLayer {
  axis: number; epsilon: number; momentum: number;
  gamma: { read(): TF.Tensor } | null; beta: { read(): TF.Tensor } | null;
  movingMean: { read(): TF.Tensor; write(t: TF.Tensor): void };
  movingVariance: { read(): TF.Tensor; write(t: TF.Tensor): void };
}
type Call = (this: BatchNormLayer, inputs: TF.Tensor | TF.Tensor[], kwargs: { training?: boolean }) => TF.Tensor;

/** [normalized x, batch mean, batch variance]; the gradient flows to x through the statistics too (BN_GRAD). */
function normalizeInTraining(tf: Tf, x: TF.Tensor, gamma: TF.Tensor, beta: TF.Tensor, eps: number): [TF.Tensor, TF.Tensor, TF.Tensor] {
  // Taken outside the custom op: its forward may create nothing but its output.
  const [mean, variance] = tf.engine().runKernel(BN_MOMENTS, { x }) as TF.Tensor[];
  const op = tf.customGrad((xx, g, b, save) => {
    (save as (t: TF.Tensor[]) => void)([xx as TF.Tensor, mean!, variance!, g as TF.Tensor]);
    return {
      value: tf.batchNorm(xx as TF.Tensor, mean!, variance!, b as TF.Tensor, g as TF.Tensor, eps),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [sx, sm, sv, sg] = saved;
        return tf.engine().runKernel(BN_GRAD, { dy, x: sx!, mean: sm!, variance: sv!, gamma: sg! }, { varianceEpsilon: eps }) as TF.Tensor[];
      },
    };
  });
  return [op(x, gamma, beta), mean!, variance!];
}

/** BatchNormalization.call in training through the fused kernels where they apply; the moving averages updated exactly as stock. */
export function fuseBatchNormTraining(tf: Tf): void {
  // The class from the serialization registry: building a layer to reach it would take the name batch_normalization_1 from the student's.
  const registered = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'] as unknown as [{ prototype: object }] | undefined;
  if (!registered) return;
  patchMethodOnce<Call>(registered[0].prototype, 'call', (stock) => function (this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const fusable = kwargs?.training === true && x !== undefined && x.dtype === 'float32' && x.rank >= 2 &&
      (this.axis === -1 || this.axis === x.rank - 1) && this.gamma != null && this.beta != null &&
      tf.getBackend() === 'wasm' && tf.getKernel(BN_GRAD, 'wasm') !== undefined && simdKernels(tf.backend()) !== undefined;
    if (!fusable) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [normed, mean, variance] = normalizeInTraining(tf, x!, this.gamma!.read(), this.beta!.read(), this.epsilon);
      // As stock's doMovingAverage: moving ← moving − (moving − batch)·(1 − momentum).
      for (const [moving, batch] of [[this.movingMean, mean], [this.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const orig = moving.read();
          moving.write(tf.sub(orig, tf.mul(tf.sub(orig, batch), 1 - this.momentum)));
        });
      }
      return normed;
    });
  });
}
