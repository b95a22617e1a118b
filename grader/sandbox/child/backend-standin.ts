// TEMPORARY stand-in until grader/backend/load-backend.ts lands.
import '@tensorflow/tfjs-backend-wasm';
import type { BackendReport } from '../protocol.ts';
export async function loadBackend(tf: typeof import('@tensorflow/tfjs'), want: string, _o: { allowNative?: boolean }): Promise<BackendReport> {
  const name = want === 'auto' ? 'wasm' : want;
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`asked for ${name}, got ${tf.getBackend()}`);
  return { name, simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean, threads: 1, tfjsVersion: tf.version.tfjs, kernels: [] };
}
