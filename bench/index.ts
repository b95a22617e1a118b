// npm run bench: every speed and memory number the project tracks, measured
// in one run on this machine. Ratios matter more than absolute numbers: these
// machines are noisy.
import { existsSync } from 'node:fs';
import { benchHarness, benchReference } from './harness.ts';
import { main as trainingThroughput, type ModelThroughput } from './train-throughput.ts';
import { epochLimits, printEpochLimits } from './epoch-profile.ts';
import { machineFacts, printMachineFacts } from './machine.ts';
import { main as mobilenetCosts } from './mobilenet-costs.ts';
import { main as secondCore } from './second-core.ts';
import { REPO_ROOT } from '../grader/spec/load.ts';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const only = (name: string) => args.size === 0 || args.has(name);
const f = (x: number, d = 2) => x.toFixed(d);

printMachineFacts(machineFacts());
console.log('');

const throughput: ModelThroughput[] = only('training') ? await trainingThroughput() : [];

if (only('profile')) {
  console.log('\n## Where the epoch goes, and how far from what the ops allow (wasm, this project\'s kernels)');
  const summary: string[] = [];
  for (const model of ['lenet', 'mlp']) {
    const l = epochLimits(model);
    if (typeof l === 'string') { console.log(l); continue; }
    printEpochLimits(l);
    // The epoch's time without the profiler's wrappers: the throughput row when this run measured it.
    const t = throughput.find((m) => m.model === model);
    const wasm = t?.rows.find((r) => r.backend === 'wasm' && r.variant === 'fast' && !r.error);
    const torch = t?.anchors[0];
    const epochMs = wasm ? (1000 * wasm.samples) / wasm.samplesPerSec : l.epoch.profile.wallMs;
    const name = model === 'lenet' ? 'LeNet-5' : 'MLP';
    const line = [`${name}: the heavy ops alone take ${f(l.wasmOpMs, 0)} ms of the ${f(epochMs, 0)} ms steady epoch on wasm${wasm ? '' : ' (the profiled epoch, wrappers included: run with the training section for the plain one)'}: the training loop runs at ${f((100 * l.wasmOpMs) / epochMs, 0)} % of its op limit (target ≥ 70 %)`];
    if (l.torchOpMs !== undefined) {
      const reachable = l.torchOpMs / l.wasmOpMs;
      line.push(`the same ops take ${f(l.torchOpMs, 0)} ms in PyTorch (1 thread): op for op, wasm SIMD128 runs at ${f(reachable)}× PyTorch on this CPU`);
      if (wasm && torch) {
        const torchEpochMs = (1000 * torch.samples) / torch.samplesPerSec;
        line.push(`PyTorch's own loop runs at ${f((100 * l.torchOpMs) / torchEpochMs, 0)} % of its op limit, so training reaches ${f(wasm.samplesPerSec / torch.samplesPerSec)}× PyTorch`);
      }
    }
    summary.push(line.join('; '));
  }
  console.log('');
  for (const s of summary) console.log(s);
}

if (only('threads')) {
  console.log('');
  secondCore();
}

if (only('mobilenet')) {
  console.log('');
  mobilenetCosts(); // the numbers the mobilenet-transfer statement quotes
}

if (only('harness')) {
  console.log('\n## Harness (siamese-mnist, trivial and small submissions)');
  const h = await benchHarness();
  console.log(`overhead per submission (median of ${h.overhead.submissions}, one at a time): ${f(h.overhead.wallSec)} s wall ` +
    `(compile ${f(h.overhead.compileSec)} s, process + backend start ${f(h.overhead.startupSec)} s; first one, with pool start-up, ${f(h.overhead.firstWallSec)} s) — target ≤ 1.5 s`);
  for (const b of h.batches) {
    const run = (c: typeof b.c1, n: number) => `concurrency ${n} ${f(c.sec, 1)} s (${f(c.perHour, 0)}/h, ${f(c.medianSubmissionSec)} s each${c.busyCores !== undefined ? `, ${f(c.busyCores)} cores busy` : ''})`;
    console.log(`batch of ${b.submissions} small ${b.kind} trainers (${b.steps} steps): ${run(b.c1, 1)}, ${run(b.c2, 2)}; ratio c2/c1 ${f(b.ratio)} — target ≤ 0.6`);
  }
  console.log('(cores busy at concurrency 1 above 1.0: V8 compiles and collects garbage on a second thread, so one submission alone already uses part of the second core)');
}

if (only('references')) {
  console.log('\n## Reference solutions, graded for real');
  // The two with time-to-threshold targets (issue: siamese ≤ 60 s, MobileNetV2 ≤ 120 s); `npm run acceptance` grades them all.
  for (const id of ['siamese-mnist', 'mobilenet-transfer'].filter((a) => existsSync(join(REPO_ROOT, 'reference', a)))) {
    const r = await benchReference(id);
    console.log(`${id}: ${r.verdict}, ${Object.entries(r.metrics).map(([k, v]) => `${k} ${f(v, 4)}`).join(', ')}, ${f(r.elapsedSec, 1)} s, peak ${r.peakMiB} MiB, backend ${r.backend}`);
  }
}
