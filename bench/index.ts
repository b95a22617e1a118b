// npm run bench: every speed and memory number the project tracks, measured
// in one run on this machine. Ratios matter more than absolute numbers: these
// machines are noisy.
import { existsSync } from 'node:fs';
import { benchHarness, benchReference } from './harness.ts';
import { main as trainingThroughput } from './train-throughput.ts';
import { main as mobilenetCosts } from './mobilenet-costs.ts';
import { REPO_ROOT } from '../grader/spec/load.ts';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const only = (name: string) => args.size === 0 || args.has(name);
const f = (x: number, d = 2) => x.toFixed(d);

if (only('training')) await trainingThroughput();

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
