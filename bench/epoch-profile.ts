// Where LeNet's and the MLP's epoch time goes on wasm, and how far that is
// from what the ops allow: a per-kernel profile of one epoch, then each heavy
// call replayed alone on wasm and as the same op in PyTorch (one thread).
//   op limit          Σ calls × the op alone on wasm: the epoch if nothing but its multiply-adds cost anything
//   reachable ratio   Σ torch op time / Σ wasm op time: our samples/s over PyTorch's if both ran at their op limit
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonFromChild } from './child.ts';
import type { KernelProfile } from './kernel-profile.ts';
import { groupCalls, type OpSpec } from './op-bench.ts';
import { fromTorch } from './machine.ts';

interface EpochProfile { model: string; samples: number; batch: number; samplesPerSec: number; loss: number; profile: KernelProfile }
export interface OpRow extends OpSpec { wasmMs: number; torchMs?: number }
export interface EpochLimits {
  model: string;
  epoch: EpochProfile;
  ops: OpRow[];
  /** ms per epoch if only the heavy ops cost anything, on wasm and in torch. */
  wasmOpMs: number;
  torchOpMs?: number;
}

const f = (x: number, d = 1) => x.toFixed(d);
const gflops = (flops: number, ms: number) => flops / ms / 1e6;
const shapes = (o: OpSpec) => Object.entries(o.inputs).map(([k, s]) => `${k}[${s.join(',')}]`).join(' ') +
  (o.attrs.transposeA ? ' Aᵀ' : '') + (o.attrs.transposeB ? ' Bᵀ' : '') + (o.attrs.strides && JSON.stringify(o.attrs.strides) !== '[1,1]' && o.attrs.strides !== 1 ? ` stride ${o.attrs.strides}` : '');

function torchOps(file: string): number[] | string {
  const r = fromTorch<number[]>('torch_ops.py', [file], 1);
  return 'value' in r ? r.value : 'missing' in r ? 'no PyTorch' : `torch ops failed: ${r.error}`;
}

export function epochLimits(model: string, samples = 10_000): EpochLimits | string {
  const e = jsonFromChild<EpochProfile>('profile-epoch.ts', [model, String(samples)]);
  if ('error' in e) return `profile of ${model} failed: ${e.error}`;
  const specs = groupCalls(e.value.profile.heavy);
  const dir = mkdtempSync(join(tmpdir(), 'dlgrade-ops-'));
  try {
    const file = join(dir, 'specs.json');
    writeFileSync(file, JSON.stringify(specs));
    const w = jsonFromChild<{ ms: number[] }>('op-bench.ts', [file]);
    if ('error' in w) return `op microbenchmark failed: ${w.error}`;
    const t = torchOps(file);
    const ops = specs.map((s, i) => ({ ...s, wasmMs: w.value.ms[i]!, ...(Array.isArray(t) ? { torchMs: t[i]! } : {}) }));
    const sum = (ms: (o: OpRow) => number) => ops.reduce((acc, o) => acc + o.count * ms(o), 0);
    return { model, epoch: e.value, ops, wasmOpMs: sum((o) => o.wasmMs), ...(Array.isArray(t) ? { torchOpMs: sum((o) => o.torchMs!) } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printEpochLimits(l: EpochLimits): void {
  const p = l.epoch.profile;
  console.log(`\n### ${l.model === 'lenet' ? 'LeNet-5' : 'MLP 784-128-10'}: the second epoch, profiled (${l.epoch.samples} samples, batch ${l.epoch.batch}) on wasm, ${f(p.wallMs, 0)} ms`);
  console.log('| kernel | calls | self ms | % of epoch |\n|---|---|---|---|');
  for (const r of p.rows.slice(0, 12)) console.log(`| ${r.kernel} | ${r.calls} | ${f(r.selfMs)} | ${f(100 * r.share)} |`);
  const rest = p.rows.slice(12);
  console.log(`| ${rest.length} other kernels | ${rest.reduce((s, r) => s + r.calls, 0)} | ${f(rest.reduce((s, r) => s + r.selfMs, 0))} | ${f(100 * rest.reduce((s, r) => s + r.share, 0))} |`);
  console.log(`| outside kernels (engine, tape, layers, optimizer JS) | | ${f(p.outsideMs)} | ${f(100 * p.outsideMs / p.wallMs)} |`);
  const mib = (b: number) => f(b / 2 ** 20);
  console.log(`copies into the wasm heap: ${p.copiesIn.count} (${mib(p.copiesIn.bytes)} MiB, ${f(p.copiesIn.ms)} ms); out of it: ${p.copiesOut.count} (${mib(p.copiesOut.bytes)} MiB, ${f(p.copiesOut.ms)} ms)`);
  console.log(`\nheavy ops of the epoch, each alone (median of repeats): wasm vs PyTorch 1 thread`);
  console.log('| kernel | inputs | calls | MFLOP | epoch ms | wasm ms | wasm GFLOP/s | torch ms | torch GFLOP/s | wasm/torch speed |\n|---|---|---|---|---|---|---|---|---|---|');
  for (const o of l.ops.filter((o) => o.count > 1)) {
    const torch = o.torchMs === undefined ? '| | |' : `| ${f(o.torchMs, 3)} | ${f(gflops(o.flops, o.torchMs))} | ${f(o.torchMs / o.wasmMs, 2)}`;
    console.log(`| ${o.kernel} | ${shapes(o)} | ${o.count} | ${f(o.flops / 1e6)} | ${f(o.epochMs, 0)} | ${f(o.wasmMs, 3)} | ${f(gflops(o.flops, o.wasmMs))} ${torch} |`);
  }
}
