// Gradients of training ops that tfjs-core builds from many full-size passes,
// replaced on wasm by fewer passes (kernels in heap-kernels.ts).
// The gradient registry is global, so each replacement checks the backend
// when it runs and hands any other backend to the stock gradient.
//   FusedBatchNorm  stock: tile, ~10 multiplies and 4 sums over the
//                   activation; here: x − mean, dy · (x − mean), dy · k and two
//                   per-channel sums (heap-kernels.ts: pooled, not transposed)
//   ClipByValue     (ReLU6) stock: greaterEqual, lessEqual, logicalAnd,
//                   zerosLike, where; here: one pass
//   Mean            stock: ones(x.shape) · dy / n; here: one tile of dy / n
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;
type GradConfig = TF.GradConfig;
type GradFunc = GradConfig['gradFunc'];

export const CLIP_GRAD = 'DlgradeClipByValueGrad';

function replace(tf: Tf, kernelName: string, make: (stock: GradFunc) => GradFunc): void {
  const stock = tf.getGradient(kernelName);
  if (!stock || (stock as { dlgrade?: boolean }).dlgrade) return;
  tf.registerGradient(Object.assign({ ...stock, gradFunc: make(stock.gradFunc) }, { dlgrade: true }));
}

const onWasm = (tf: Tf, kernel: string) => tf.getBackend() === 'wasm' && tf.getKernel(kernel, 'wasm') !== undefined;

export function replaceGradients(tf: Tf): void {
  replace(tf, 'FusedBatchNorm', (stock) => (g, saved, attrs) => {
    const dy = g as TF.Tensor;
    const [x, mean, variance, scale] = saved as TF.Tensor[];
    if (tf.getBackend() !== 'wasm' || mean!.rank !== 1 || dy.dtype !== 'float32' || x!.shape[x!.rank - 1] !== mean!.size) return stock(g, saved, attrs);
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const axes = x!.shape.slice(0, -1).map((_, i) => i);
    // Per channel: r = 1/√(variance + ε), k = r · scale; the tape runs each closure in its own tidy, so shared parts are made here.
    const r = tf.rsqrt(tf.add(variance!, varianceEpsilon));
    const k = scale ? tf.mul(r, scale) : r;
    const sumDy = tf.sum(dy, axes);
    const sumDyXmu = tf.sum(tf.mul(dy, tf.sub(x!, mean!)), axes);
    return {
      x: () => tf.mul(dy, k),
      mean: () => tf.neg(tf.mul(k, sumDy)),
      variance: () => tf.mul(tf.mul(tf.mul(k, tf.square(r)), -0.5), sumDyXmu),
      scale: () => tf.mul(r, sumDyXmu),
      offset: () => sumDy,
    };
  });
  replace(tf, 'ClipByValue', (stock) => (g, saved, attrs) => {
    const dy = g as TF.Tensor;
    const [x] = saved as TF.Tensor[];
    if (!onWasm(tf, CLIP_GRAD) || dy.dtype !== 'float32' || x!.dtype !== 'float32') return stock(g, saved, attrs);
    return { x: () => tf.engine().runKernel(CLIP_GRAD, { dy, x: x! }, attrs) as TF.Tensor };
  });
  replace(tf, 'Mean', (stock) => (g, saved, attrs) => {
    const dy = g as TF.Tensor;
    const [x] = saved as TF.Tensor[];
    if (tf.getBackend() !== 'wasm' || x!.dtype !== 'float32') return stock(g, saved, attrs);
    const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x!.shape);
    const kept = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = axes.reduce((p, a) => p * x!.shape[a]!, 1);
    return { x: () => tf.tile(tf.reshape(tf.div(dy, n), kept), x!.shape.map((d, i) => (axes.includes(i) ? d : 1))) };
  });
}
