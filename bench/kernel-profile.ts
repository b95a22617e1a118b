// Where an epoch's time goes: every kernel of a backend timed while a
// function runs (self time: a composite kernel's inner kernels are charged to
// them, not twice), with the data copied into and out of the backend (wasm:
// JS arrays to and from its heap). Kernels run synchronously on wasm and cpu,
// so wall-clock time around each call is its cost.
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;
type KernelFunc = TF.KernelConfig['kernelFunc'];

export interface KernelRow { kernel: string; calls: number; selfMs: number; share: number }
/** One call of a heavy kernel, with what the microbenchmarks need to replay it. */
export interface HeavyCall { kernel: string; inputs: Record<string, number[]>; attrs: Record<string, unknown>; ms: number }
export interface Copies { count: number; bytes: number; ms: number }
export interface KernelProfile {
  wallMs: number;
  kernelMs: number;
  /** wall − kernels: the engine, tape, layers and optimizer code in JS. */
  outsideMs: number;
  rows: KernelRow[];
  copiesIn: Copies;
  copiesOut: Copies;
  heavy: HeavyCall[];
}

/** Kernels whose calls are kept one by one (the multiply-adds). */
export const HEAVY = new Set(['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput',
  'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']);

const ATTRS = ['transposeA', 'transposeB', 'strides', 'pad', 'dilations', 'dataFormat', 'filterShape', 'inputShape', 'dimRoundingMode', 'activation'];
const pick = (a: Record<string, unknown> | undefined) => Object.fromEntries(ATTRS.filter((k) => a && a[k] !== undefined).map((k) => [k, a![k]]));

/** Runs `fn` with every kernel of `backendName` timed; the original kernels are back when it returns. */
export async function profileKernels(tf: Tf, backendName: string, fn: () => Promise<unknown>): Promise<KernelProfile> {
  const originals = tf.getKernelsForBackend(backendName);
  const stats = new Map<string, { calls: number; selfMs: number }>();
  const heavy: HeavyCall[] = [];
  const childMs: number[] = []; // one slot per open kernel call: time its inner kernels took
  const wrap = (name: string, k: KernelFunc): KernelFunc => (args) => {
    childMs.push(0);
    const t0 = performance.now();
    try {
      return k(args);
    } finally {
      const total = performance.now() - t0;
      const inner = childMs.pop()!;
      if (childMs.length) childMs[childMs.length - 1]! += total;
      const s = stats.get(name) ?? { calls: 0, selfMs: 0 };
      s.calls++;
      s.selfMs += total - inner;
      stats.set(name, s);
      // Only calls made by the engine, not those a composite kernel makes inside itself.
      if (HEAVY.has(name) && !childMs.length) heavy.push({ kernel: name, inputs: Object.fromEntries(Object.entries(args.inputs).filter(([, t]) => t).map(([k, t]) => [k, t!.shape])), attrs: pick(args.attrs as Record<string, unknown>), ms: total });
    }
  };
  for (const cfg of originals) {
    tf.unregisterKernel(cfg.kernelName, backendName);
    tf.registerKernel({ ...cfg, kernelFunc: wrap(cfg.kernelName, cfg.kernelFunc) });
  }
  // Copies between JS and the backend: `move` (every tensor made from a JS array) and `readSync` (dataSync, data, arraySync).
  const backend = tf.findBackend(backendName) as unknown as Record<string, (...a: unknown[]) => unknown>;
  const copiesIn: Copies = { count: 0, bytes: 0, ms: 0 }, copiesOut: Copies = { count: 0, bytes: 0, ms: 0 };
  const counted = (method: string, c: Copies, bytes: (args: unknown[], out: unknown) => number) => {
    const original = backend[method]!;
    backend[method] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      const out = original.apply(this, args);
      c.ms += performance.now() - t0;
      c.count++;
      c.bytes += bytes(args, out);
      return out;
    };
    return () => { backend[method] = original; };
  };
  const byteLength = (v: unknown) => (v && typeof v === 'object' && 'byteLength' in v ? Number((v as ArrayBufferView).byteLength) : 0);
  const restore = [
    counted('move', copiesIn, (args) => byteLength(args[1])),
    counted('readSync', copiesOut, (_, out) => byteLength(out)),
  ];
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    for (const r of restore) r();
    for (const cfg of originals) {
      tf.unregisterKernel(cfg.kernelName, backendName);
      tf.registerKernel(cfg);
    }
  }
  const wallMs = performance.now() - t0;
  const kernelMs = [...stats.values()].reduce((s, r) => s + r.selfMs, 0);
  const rows = [...stats.entries()].map(([kernel, s]) => ({ kernel, calls: s.calls, selfMs: s.selfMs, share: s.selfMs / wallMs }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { wallMs, kernelMs, outsideMs: wallMs - kernelMs, rows, copiesIn, copiesOut, heavy };
}
