// What a second core could do for ONE submission on wasm, measured: tfjs
// turns its threaded build off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false
// there), so the bench forces it on (bench/wasm-threads.ts) in a fresh
// process and reports how many threads XNNPACK really runs and the matMul
// and conv speed with and without. `tsx bench/second-core.ts <threads|0>`
// prints one row; without arguments, the table.
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { jsonFromChild } from './child.ts';
import { enableWasmThreads } from './wasm-threads.ts';

interface Row { asked: number; nodeDefault: boolean; sharedHeap: boolean; xnnpackThreads: number; runningWorkers: number; matMulGflops: number; convMs: number; error?: string }

function best(run: () => tf.Tensor, reps = 20): number {
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = run();
    out.dataSync();
    out.dispose();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
}

async function one(threads: number): Promise<Row> {
  const nodeDefault = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  if (threads > 0) enableWasmThreads(tf, threads, wasm.setThreadsCount);
  else tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not initialise');
  const module = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array; PThread?: { runningWorkers: unknown[] } } }).wasm;
  const a = tf.randomUniform([512, 512]), b = tf.randomUniform([512, 512]);
  const x = tf.randomUniform([128, 14, 14, 6]) as tf.Tensor4D, f = tf.randomUniform([5, 5, 6, 16]) as tf.Tensor4D;
  const mm = best(() => tf.matMul(a, b));
  const convMs = best(() => tf.conv2d(x, f, 1, 'valid'));
  return {
    asked: threads, nodeDefault, sharedHeap: module.HEAPU8.buffer instanceof SharedArrayBuffer, xnnpackThreads: wasm.getThreadsCount(),
    runningWorkers: module.PThread?.runningWorkers.length ?? 0, matMulGflops: (2 * 512 ** 3) / mm / 1e6, convMs,
  };
}

export function main(): Row[] {
  console.log('## A second core for one submission (wasm threads)');
  console.log('| build | threads asked | XNNPACK threads | pthread workers running | matMul 512³ GFLOP/s | LeNet conv2 fwd ms |\n|---|---|---|---|---|---|');
  const rows: Row[] = [];
  for (const threads of [0, 2]) {
    const r = jsonFromChild<Row>('second-core.ts', [String(threads)]);
    const row = 'value' in r ? r.value : { asked: threads, error: r.error } as Row;
    rows.push(row);
    if (row.error) { console.log(`| ${threads ? 'threaded (forced)' : 'single-threaded'} | ${threads} | fails: ${row.error} | | | |`); continue; }
    console.log(`| ${row.sharedHeap ? 'threaded (forced on), shared heap' : 'single-threaded (what the sandbox runs)'} | ${threads || 1} | ${row.xnnpackThreads} | ${row.runningWorkers} | ${row.matMulGflops.toFixed(1)} | ${row.convMs.toFixed(2)} |`);
  }
  if (rows[0] && !rows[0].error) console.log(`tfjs's own answer in Node: WASM_HAS_MULTITHREAD_SUPPORT = ${rows[0].nodeDefault}`);
  return rows;
}

if (process.argv[1] === import.meta.filename) {
  const [threads] = process.argv.slice(2);
  if (threads !== undefined) { console.log(JSON.stringify(await one(Number(threads)))); process.exit(0); }
  else main();
}
