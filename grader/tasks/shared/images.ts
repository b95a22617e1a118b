// Helpers the sandbox halves of image tasks share: cached uint8 images to
// float tensors, pair gathering, and reading whatever a submission returns.
import { readFileSync } from 'node:fs';
import { ContractError } from '../types.ts';
import { filledTensor } from '../../backend/wasm-heap.ts';

type Tf = typeof import('@tensorflow/tfjs');

/** uint8 values → float32 tensor of `shape` in [0, 1] (on wasm written straight into its heap). */
export function unitTensor(tf: Tf, bytes: Uint8Array, shape: number[]) {
  return filledTensor(tf, shape, (f) => {
    for (let i = 0; i < bytes.length; i++) f[i] = bytes[i]! / 255;
  });
}

/** uint8 pixels (n·h·w) → float32 tensor [n, h, w, 1] in [0, 1]. */
export function toTensor(tf: Tf, bytes: Uint8Array, n: number, h: number, w: number) {
  return unitTensor(tf, bytes, [n, h, w, 1]) as import('@tensorflow/tfjs').Tensor4D;
}

/** The images at `idx`, concatenated. */
export function gather(images: Uint8Array, idx: Int32Array, px: number): Uint8Array {
  const out = new Uint8Array(idx.length * px);
  idx.forEach((i, k) => out.set(images.subarray(i * px, (i + 1) * px), k * px));
  return out;
}

export function readInt32s(path: string): Int32Array {
  const buf = readFileSync(path);
  return new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** The first n training images and labels as tensors. */
export function trainingTensors(tf: Tf, files: Record<string, string>, n: number, h: number, w: number) {
  const images = toTensor(tf, readFileSync(files.trainImages!).subarray(0, n * h * w), n, h, w);
  const labels = tf.tensor1d(Int32Array.from(readFileSync(files.trainLabels!).subarray(0, n)), 'int32');
  return { images, labels };
}

/** Accepts a tensor, typed array or nested array; NaN survives as null in JSON and fails validation upstream. */
export async function numbersOf(tf: Tf, out: unknown, what: string): Promise<{ values: number[]; shape: number[] }> {
  if (out instanceof tf.Tensor) return { values: Array.from((await out.data()) as Float32Array), shape: out.shape };
  if (ArrayBuffer.isView(out)) return { values: Array.from(out as unknown as ArrayLike<number>), shape: [(out as unknown as ArrayLike<number>).length] };
  if (Array.isArray(out)) {
    const values = out.flat(Infinity) as number[];
    return { values, shape: Array.isArray(out[0]) ? [out.length, values.length / out.length] : [out.length] };
  }
  throw new ContractError(`${what} must return a tensor or an array of numbers, got ${out === null ? 'null' : typeof out}`);
}

/** Runs `fn(a, b)` over evaluation pairs in chunks, with tensors of the paired images. */
export async function overPairs(tf: Tf, files: Record<string, string>, h: number, w: number, chunk: number, fn: (a: import('@tensorflow/tfjs').Tensor4D, b: import('@tensorflow/tfjs').Tensor4D, n: number) => Promise<void>) {
  const px = h * w;
  const evalImages = readFileSync(files.evalImages!);
  const pa = readInt32s(files.pairsA!), pb = readInt32s(files.pairsB!);
  for (let start = 0; start < pa.length; start += chunk) {
    const end = Math.min(pa.length, start + chunk);
    const a = toTensor(tf, gather(evalImages, pa.subarray(start, end), px), end - start, h, w);
    const b = toTensor(tf, gather(evalImages, pb.subarray(start, end), px), end - start, h, w);
    await fn(a, b, end - start);
    a.dispose();
    b.dispose();
  }
}

/** The arg-max class `model` predicts for each evaluation image at `idx`, in chunks of `chunk`. */
export async function predictClasses(tf: Tf, model: import('@tensorflow/tfjs').LayersModel, evalImages: Uint8Array, idx: Int32Array, h: number, w: number, chunk: number): Promise<number[]> {
  const classes: number[] = [];
  for (let start = 0; start < idx.length; start += chunk) {
    const part = idx.subarray(start, Math.min(idx.length, start + chunk));
    const x = toTensor(tf, gather(evalImages, part, h * w), part.length, h, w);
    const out = model.predict(x);
    if (Array.isArray(out) || !(out instanceof tf.Tensor) || out.shape.length !== 2) {
      tf.dispose([x, out as import('@tensorflow/tfjs').Tensor]);
      throw new ContractError(`model.predict must give one row of class scores per image, got ${Array.isArray(out) ? 'several outputs' : `shape [${(out as { shape?: number[] }).shape?.join(', ')}]`}`);
    }
    const best = tf.argMax(out, -1);
    classes.push(...Array.from(await best.data()));
    tf.dispose([x, out, best]);
  }
  return classes;
}
