// The SIMD kernels of kernels.wat, instantiated on a tfjs-backend-wasm
// backend's own memory: they read and write tensors where the backend keeps
// them, at the byte offsets it gave them. Undefined where that can't be done
// (no SIMD, a shared memory from a threaded build, another tfjs layout): the
// callers then keep their JS or stock path.
import { KERNELS_WASM_BASE64 } from './kernels-wasm.ts';

type i32 = number;
type f32 = number;
export interface SimdKernels {
  adam(w: i32, m: i32, v: i32, g: i32, ow: i32, om: i32, ov: i32, n: i32, acc1: i32, acc2: i32,
    b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, nlr: f32): void;
  clip_grad(dy: i32, x: i32, out: i32, n: i32, lo: f32, hi: f32): void;
  dw_filter_tap(xp: i32, dp: i32, out: i32, c: i32, nb: i32, ny: i32, nx: i32,
    xsb: i32, xsy: i32, xsx: i32, dsb: i32, dsy: i32, dsx: i32): void;
  ch_acc_sum(x: i32, rows: i32, c: i32, acc: i32): void;
  ch_acc_sqdev(x: i32, mean: i32, rows: i32, c: i32, acc: i32): void;
  ch_acc_grad(dy: i32, x: i32, mean: i32, rows: i32, c: i32, sdy: i32, sdyx: i32): void;
  ch_affine2(dy: i32, x: i32, k: i32, a: i32, b: i32, out: i32, rows: i32, c: i32): void;
  ch_add(x: i32, b: i32, out: i32, rows: i32, c: i32): void;
}

/** The parts of BackendWasm this reaches into (stable through tfjs 4.x). */
interface WasmBackendMemory {
  wasm?: { asm?: { memory?: unknown } };
  dataIdMap?: { get(id: object): { memoryOffset: number } | undefined };
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<object, SimdKernels | null>();

function compile(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

export function simdKernels(backend: object): SimdKernels | undefined {
  let k = instances.get(backend);
  if (k === undefined) {
    k = null;
    const memory = (backend as WasmBackendMemory).wasm?.asm?.memory;
    if (memory instanceof WebAssembly.Memory && !(memory.buffer instanceof SharedArrayBuffer)) {
      const mod = compile();
      if (mod) k = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as SimdKernels;
    }
    instances.set(backend, k);
  }
  return k ?? undefined;
}

/** A tensor's byte offset on the wasm heap. */
export function heapOffset(backend: object, t: { dataId: object }): number {
  const entry = (backend as WasmBackendMemory).dataIdMap?.get(t.dataId);
  if (!entry) throw new Error('tensor has no data on the wasm heap');
  return entry.memoryOffset;
}
