// Microbenchmarks of the kernels that carry an epoch's multiply-adds, at the
// shapes the epoch used (taken from its profile): each replayed alone on wasm
// (`tsx bench/op-bench.ts <specs.json>` in a fresh process) and, through
// bench/torch_ops.py, as the same op in PyTorch on one thread.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../grader/backend/load-backend.ts';
import type { HeavyCall } from './kernel-profile.ts';

/** One distinct heavy call of an epoch: how often it ran and what it cost there. */
export interface OpSpec { kernel: string; inputs: Record<string, number[]>; attrs: Record<string, unknown>; count: number; epochMs: number; flops: number }

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Multiply-adds ×2 of one call. */
export function flopsOf(kernel: string, inputs: Record<string, number[]>, attrs: Record<string, unknown>): number {
  if (kernel === 'BatchMatMul' || kernel === '_FusedMatMul') {
    const a = inputs.a!, b = inputs.b!;
    const m = attrs.transposeA ? a.at(-1)! : a.at(-2)!, k = attrs.transposeA ? a.at(-2)! : a.at(-1)!;
    const n = attrs.transposeB ? b.at(-2)! : b.at(-1)!;
    return 2 * prod(a.slice(0, -2)) * m * n * k;
  }
  const depthwise = kernel.startsWith('Depthwise') || kernel === 'FusedDepthwiseConv2D';
  if (kernel === 'Conv2D' || kernel === 'FusedConv2D' || kernel === 'DepthwiseConv2dNative' || kernel === 'FusedDepthwiseConv2D') {
    const info = tf.backend_util.computeConv2DInfo(inputs.x as [number, number, number, number], inputs.filter as [number, number, number, number],
      attrs.strides as number, (attrs.dilations as number) ?? 1, attrs.pad as 'same', attrs.dimRoundingMode as 'floor', depthwise);
    return 2 * info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.filterHeight * info.filterWidth * (depthwise ? 1 : info.inChannels);
  }
  // Gradients: one multiply-add per (output element, tap, input channel), as the forward conv.
  const [kh, kw, cin] = (inputs.filter ?? attrs.filterShape) as number[];
  const dy = inputs.dy!;
  return 2 * prod(dy) * kh! * kw! * (depthwise ? 1 : cin!);
}

export function groupCalls(heavy: HeavyCall[]): OpSpec[] {
  const groups = new Map<string, OpSpec>();
  for (const h of heavy) {
    const key = JSON.stringify([h.kernel, h.inputs, h.attrs]);
    const g = groups.get(key) ?? { kernel: h.kernel, inputs: h.inputs, attrs: h.attrs, count: 0, epochMs: 0, flops: flopsOf(h.kernel, h.inputs, h.attrs) };
    g.count++;
    g.epochMs += h.ms;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.epochMs - a.epochMs);
}

/**
 * Median ms of one call. Every call gets inputs it has never seen: wasm's
 * matMul and conv cache XNNPACK operators (packed weights) by tensor, and in
 * training no weight, gradient or activation tensor is ever used twice.
 */
function timeKernel(spec: OpSpec, i: number): number {
  const attrs = { dataFormat: 'NHWC', dilations: 1, ...spec.attrs } as unknown as tf.NamedAttrMap;
  const bytes = Object.values(spec.inputs).reduce((s, shape) => s + 4 * shape.reduce((a, b) => a * b, 1), 0);
  const reps = Math.max(5, Math.min(60, Math.floor(256 * 2 ** 20 / bytes)));
  const sets = Array.from({ length: reps + 1 }, (_, r) =>
    Object.fromEntries(Object.entries(spec.inputs).map(([k, shape]) => [k, tf.randomUniform(shape, -1, 1, 'float32', 1000 * i + r)])));
  const run = (inputs: tf.NamedTensorMap) => {
    const out = tf.engine().runKernel(spec.kernel, inputs, attrs) as tf.Tensor | tf.Tensor[];
    for (const t of Array.isArray(out) ? out : [out]) t.dispose();
  };
  run(sets[reps]!); // warm-up
  const times = sets.slice(0, reps).map((inputs) => {
    const t0 = performance.now();
    run(inputs);
    return performance.now() - t0;
  });
  for (const set of sets) tf.dispose(Object.values(set));
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}

if (process.argv[1] === import.meta.filename) {
  const specs = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as OpSpec[];
  await loadBackend(tf, 'wasm');
  console.log(JSON.stringify({ ms: specs.map((s, i) => timeKernel(s, i)) }));
}
