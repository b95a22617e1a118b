// Lets tfjs-backend-wasm's threaded build start in Node 20 (benchmarks only):
// tfjs turns it off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there) and
// hands Emscripten's pthread workers blob: URLs, which Node's Worker refuses.
// Here the worker script goes to a file, and it loads the threaded module
// from the package's own wasm-out/ instead of a blob. Call before setBackend.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';

export function enableWasmThreads(tf: typeof TF, threads: number, setThreadsCount: (n: number) => void): void {
  const main = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const dir = mkdtempSync(join(tmpdir(), 'dlgrade-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // the workers read it until then
  const texts = new WeakMap<Blob, string>();
  const NativeBlob = globalThis.Blob;
  globalThis.Blob = class extends NativeBlob {
    constructor(parts: BlobPart[], options?: BlobPropertyBag) { super(parts, options); texts.set(this, parts.map(String).join('')); }
  } as typeof Blob;
  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob: Blob) => {
    const text = texts.get(blob);
    if (text === undefined || !text.includes('ENVIRONMENT_IS_PTHREAD')) return createObjectURL(blob);
    const file = join(dir, 'worker.js');
    writeFileSync(file, text.replace(/if\(typeof e\.data\.urlOrBlob=="string"\)\{importScripts\(e\.data\.urlOrBlob\)\}else\{[^}]*\}/, `importScripts(${JSON.stringify(main)});`));
    return file;
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
}
