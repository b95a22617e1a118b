// Training throughput, one fresh process per measurement (bench/train-one.ts):
// LeNet-5 and a 784-128-10 MLP, the second of two MNIST epochs at batch 128,
// on every backend this machine has, stock and with this project's kernels,
// against PyTorch CPU on the same machine when Debian's python3-torch is
// installed (timed the same way, bench/torch_anchor.py).
import { jsonFromChild } from './child.ts';
import { ensureDatasetCache } from '../grader/data/image-dataset.ts';
import { nativeAvailable } from '../grader/backend/resolve.ts';
import { defaultCacheRoot } from '../grader/spec/load.ts';
import { fromTorch, NO_TORCH } from './machine.ts';

/** samplesPerSec: the second epoch (steady); firstSamplesPerSec: the first, after one warm-up batch. */
export interface Run { model: string; backend: string; variant: string; samples: number; samplesPerSec: number; firstSamplesPerSec?: number; peakMiB: number; loss?: number; threads?: number; error?: string; runs?: number[] }
export interface ModelThroughput { model: string; rows: Run[]; anchors: Run[] }

const SAMPLES = 10_000;
const NO_NATIVE = 'tensorflow (tfjs-node) not installed: its row is skipped';
// cpu trains at 7–700 samples/s: a few batches tell its rate (stock LeNet: 3 batches an epoch, ~55 s).
const samplesFor = (model: string, backend: string, variant: string) =>
  backend !== 'cpu' ? SAMPLES : model === 'lenet' && variant === 'stock' ? 384 : 2_560;

/** The rows a ratio is taken from run this many times, each in its own process; the median is reported, the spread beside it. */
const REPEATS = 3;

/** The run with the median rate of `n` (a failure ends the repeats); `runs` lists every rate. */
function median(n: number, once: () => Run | string): Run | string {
  const all: Run[] = [];
  for (let i = 0; i < n; i++) {
    const r = once();
    if (typeof r === 'string' || r.error) return r;
    all.push(r);
  }
  const sorted = [...all].sort((a, b) => a.samplesPerSec - b.samplesPerSec);
  return { ...sorted[(n - 1) >> 1]!, ...(n > 1 ? { runs: all.map((r) => r.samplesPerSec) } : {}) };
}

function node(model: string, backend: string, variant: string): Run {
  const samples = samplesFor(model, backend, variant);
  const once = () => {
    const r = jsonFromChild<Run>('train-one.ts', [model, backend, variant, String(samples)]);
    return 'value' in r ? r.value : { model, backend, variant, samples, samplesPerSec: NaN, peakMiB: NaN, error: r.error };
  };
  return median(backend === 'wasm' && variant === 'fast' ? REPEATS : 1, once) as Run;
}

function torch(model: string, threads: number, images: string, labels: string): Run | string {
  return median(threads === 1 ? REPEATS : 1, () => {
    const r = fromTorch<Run>('torch_anchor.py', [model, images, labels, String(SAMPLES), String(threads)], threads);
    if ('missing' in r) return `PyTorch anchor skipped: ${NO_TORCH}`;
    if ('error' in r) return `PyTorch anchor failed: ${r.error}`;
    return { ...r.value, variant: `${threads} thread${threads > 1 ? 's' : ''}` };
  });
}

/** Same data, same optimizer, one epoch: mean losses this far apart mean one side trained something else. */
function lossCheck(wasm: Run | undefined, anchor: Run | undefined): string | undefined {
  if (!wasm?.loss || !anchor?.loss) return undefined;
  const sane = (l: number) => Number.isFinite(l) && l < 2.0; // ln 10 ≈ 2.30 is chance
  const ok = sane(wasm.loss) && sane(anchor.loss) && Math.abs(wasm.loss - anchor.loss) < 0.4;
  return `epoch mean loss: wasm ${wasm.loss.toFixed(3)}, PyTorch ${anchor.loss.toFixed(3)} — ${ok ? 'both trained' : 'NOT COMPARABLE: one side did not train the same model; its ratio is meaningless'}`;
}

export async function main(): Promise<ModelThroughput[]> {
  const out: ModelThroughput[] = [];
  const cache = ensureDatasetCache('mnist', defaultCacheRoot());
  console.log(`## Training throughput: MNIST epochs of ${SAMPLES} samples, batch 128, Adam, loss only; one process per measurement (wasm and the 1-thread anchor: median of ${REPEATS})`);
  console.log('samples/s of the second epoch (steady); the first epoch, after one warm-up batch, beside it');
  const notes: string[] = [];
  for (const model of ['lenet', 'mlp']) {
    const rows: Run[] = [];
    for (const [backend, variant] of [['cpu', 'stock'], ['cpu', 'fast'], ['wasm', 'stock'], ['wasm', 'fast']] as const) rows.push(node(model, backend, variant));
    if (nativeAvailable()) rows.push(node(model, 'tensorflow', 'native'));
    else if (!notes.includes(NO_NATIVE)) notes.push(NO_NATIVE);
    const anchors: Run[] = [];
    for (const threads of [1, 2]) {
      const t = torch(model, threads, cache.files.trainImages, cache.files.trainLabels);
      if (typeof t === 'string') { if (!notes.includes(t)) notes.push(t); } else anchors.push(t);
    }
    const ref = anchors[0]?.samplesPerSec;
    console.log(`\n### ${model === 'lenet' ? 'LeNet-5' : 'MLP 784-128-10'}`);
    console.log('| backend | kernels | threads | samples/s | first epoch | peak RSS MiB | × PyTorch 1 thread |\n|---|---|---|---|---|---|---|');
    for (const r of [...rows, ...anchors]) {
      const rate = r.error ? `fails: ${r.error}` : r.samplesPerSec.toFixed(0) + (r.runs ? ` (median of ${r.runs.map((x) => x.toFixed(0)).join(', ')})` : '');
      const first = r.error || r.firstSamplesPerSec === undefined ? '' : r.firstSamplesPerSec.toFixed(0);
      console.log(`| ${r.backend} | ${r.variant} | ${r.threads ?? ''} | ${rate} | ${first} | ${r.error ? '' : r.peakMiB} | ${ref && !r.error ? (r.samplesPerSec / ref).toFixed(2) : ''} |`);
    }
    const fast = rows.find((r) => r.backend === 'wasm' && r.variant === 'fast');
    const cpuStock = rows.find((r) => r.backend === 'cpu' && r.variant === 'stock');
    const cpuFast = rows.find((r) => r.backend === 'cpu' && r.variant === 'fast');
    if (fast && ref) console.log(`wasm (this project's kernels) / PyTorch 1 thread: ${(fast.samplesPerSec / ref).toFixed(2)} — target ≥ ${model === 'lenet' ? '0.5' : '0.6'}`);
    if (model === 'lenet' && cpuStock && cpuFast && !cpuStock.error) console.log(`cpu fallback speed-up over stock: ${(cpuFast.samplesPerSec / cpuStock.samplesPerSec).toFixed(1)}× — target ≥ 10× (LeNet)`);
    const check = lossCheck(fast, anchors[0]);
    if (check) console.log(check);
    out.push({ model, rows, anchors });
  }
  for (const n of notes) console.log(`note: ${n}`);
  return out;
}

if (process.argv[1]?.endsWith('train-throughput.ts')) await main();
