// Puts TF.js on exactly the backend asked for, or fails loudly: a run meant
// for wasm that quietly lands on cpu would be 100× slower and graded as a
// TIME_LIMIT, so a silent fallback is a bug, never a feature.
import type * as TF from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import type { BackendReport } from '../sandbox/protocol.ts';
import { registerTrainingKernels } from './training-kernels.ts';
import { nativeAvailable, requireModule, resolveBackend, type BackendChoice, type BackendName } from './resolve.ts';

export { nativeAvailable };

export interface LoadOptions {
  /** tfjs-node is a native addon: only when the grader allows addons (--allow-native). */
  allowNative?: boolean;
  /** Skip this project's training kernels (benchmarks compare against stock). */
  stock?: boolean;
}

/** Loads tfjs-node into the same engine as `tf`; throws with the reason when it can't. */
function loadNative(tf: typeof TF): void {
  if (tf.findBackend('tensorflow')) return;
  if (!nativeAvailable()) throw new Error('backend tensorflow: @tensorflow/tfjs-node is not installed (an optional dependency whose install downloads libtensorflow); use --backend wasm');
  try {
    requireModule('@tensorflow/tfjs-node');
  } catch (e) {
    throw new Error(`backend tensorflow: @tensorflow/tfjs-node does not load (${(e as Error).message.split('\n')[0]}); ` +
      'it is an optional dependency that needs its native library; use --backend wasm');
  }
  if (!tf.findBackend('tensorflow')) throw new Error('backend tensorflow: @tensorflow/tfjs-node loaded but registered no backend in this copy of TF.js (version mismatch?)');
}

export async function loadBackend(tf: typeof TF, want: BackendChoice, opts: LoadOptions = {}): Promise<BackendReport> {
  const name: BackendName = resolveBackend(want, !!opts.allowNative).name;
  if (name === 'tensorflow') {
    if (!opts.allowNative) throw new Error('backend tensorflow needs --allow-native (the native addon runs outside Node\'s permission model)');
    loadNative(tf);
  }
  // One thread: tfjs disables its threaded build in Node anyway, and the sandbox forbids workers (README, "second core").
  if (name === 'wasm') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    throw new Error(`backend ${name} failed to initialise: ${(e as Error).message}`);
  }
  if (!ok || tf.getBackend() !== name) throw new Error(`backend ${name} failed to initialise (TF.js is on ${tf.getBackend() ?? 'no backend'}); refusing to fall back`);
  const kernels = opts.stock ? [] : registerTrainingKernels(tf, name).kernels;
  const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false;
  const threads = name === 'wasm' ? wasm.getThreadsCount() : name === 'cpu' ? 1 : 0;
  return {
    name, simd, threads, tfjsVersion: tf.version.tfjs, kernels,
    ...(opts.stock ? { note: 'stock kernels (benchmark baseline)' } : {}),
  };
}
