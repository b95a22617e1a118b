// Per-channel sums over the rows of [rows, c] float32 tensors on the wasm
// heap: SIMD passes (kernels.wat, ch_acc_*) add blocks of rows into float32
// accumulators, and each block is added to float64 totals, so the rounding
// does not grow with the number of rows.
import type * as TF from '@tensorflow/tfjs';
import { heapOffset } from './instance.ts';
import type { WasmInternals } from '../wasm-heap.ts';

/** Rows per float32 block before a block is added to the float64 totals. */
const BLOCK = 256;

/** Per-channel sums over the rows of [rows, c] tensors, blockwise: `pass(rowOffsetBytes, rows, accs)` adds a block into the accumulators. */
export function channelSums(backend: WasmInternals, c: number, rows: number, count: number, pass: (rowByte: number, n: number, accs: number[]) => void): Float64Array[] {
  const scratch = backend.makeOutput([count * c], 'float32');
  try {
    const at = heapOffset(backend, scratch);
    const accs = Array.from({ length: count }, (_, i) => at + 4 * i * c);
    const totals = Array.from({ length: count }, () => new Float64Array(c));
    for (let r = 0; r < rows; r += BLOCK) {
      const view = backend.typedArrayFromHeap(scratch) as Float32Array;
      view.fill(0);
      pass(4 * r * c, Math.min(BLOCK, rows - r), accs);
      for (let i = 0; i < count; i++) for (let ch = 0; ch < c; ch++) totals[i]![ch]! += view[i * c + ch]!;
    }
    return totals;
  } finally {
    (backend as unknown as TF.KernelBackend).disposeData(scratch.dataId);
  }
}
