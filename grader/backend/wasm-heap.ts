// The parts of tfjs-backend-wasm's BackendWasm the harness reaches into
// (stable through 4.x): kernels and data loaders that work on the wasm heap
// directly instead of copying through JS arrays.
import type * as TF from '@tensorflow/tfjs';

export interface WasmInternals {
  makeOutput(shape: number[], dtype: string): TF.TensorInfo;
  readSync(id: object): ArrayLike<number>;
  /** A view of a tensor's data on the heap; invalid once the heap grows (any makeOutput). */
  typedArrayFromHeap(t: TF.TensorInfo): TF.TypedArray;
}

/** The wasm backend a kernel runs on, as its internals. */
export const heapOf = (args: { backend: unknown }) => args.backend as WasmInternals;

/** Number of elements of a kernel's TensorInfo. */
export const sizeOf = (t: { shape: readonly number[] }) => t.shape.reduce((p, d) => p * d, 1);

/**
 * A float32 tensor written in place: on wasm straight into the heap, with no
 * JS-side array of 4 bytes per value (157 MB for 50,000 MNIST images); on
 * other backends through an ordinary Float32Array.
 */
export function filledTensor(tf: typeof import('@tensorflow/tfjs'), shape: number[], fill: (out: Float32Array) => void): TF.Tensor {
  if (tf.getBackend() !== 'wasm') {
    const f = new Float32Array(tf.util.sizeFromShape(shape));
    fill(f);
    return tf.tensor(f, shape, 'float32');
  }
  const backend = tf.backend() as unknown as WasmInternals;
  const info = backend.makeOutput(shape, 'float32');
  fill(backend.typedArrayFromHeap(info) as Float32Array);
  return tf.engine().makeTensorFromTensorInfo(info);
}
