// Sandbox half of the siamese task: hands the submission its training images,
// then asks for one distance per pair of evaluation images, in chunks.
import { readFileSync } from 'node:fs';
import { ContractError, type SandboxTask } from '../types.ts';

export const runSiamesePairs: SandboxTask = async (sub, ctx) => {
  const { tf, params, files } = ctx;
  const train = sub.train, distance = sub.distance;
  if (typeof train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)`');
  if (typeof distance !== 'function') throw new ContractError('the submission must export `async function distance(model, a, b)` returning one distance per pair');
  const { trainCount: n, height: h, width: w, predictBatch } = params as { trainCount: number; height: number; width: number; predictBatch: number };
  const px = h * w;

  ctx.progress({ phase: 'load' });
  const images = toTensor(tf, readFileSync(files.trainImages!).subarray(0, n * px), n, h, w);
  const labels = tf.tensor1d(Int32Array.from(readFileSync(files.trainLabels!).subarray(0, n)), 'int32');
  ctx.progress({ phase: 'train' });
  const model = await train({ images, labels }, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, outDir: ctx.outDir });

  ctx.progress({ phase: 'predict' });
  const evalImages = readFileSync(files.evalImages!);
  const pa = int32s(readFileSync(files.pairsA!)), pb = int32s(readFileSync(files.pairsB!));
  const distances: number[] = [];
  for (let start = 0; start < pa.length; start += predictBatch) {
    const end = Math.min(pa.length, start + predictBatch);
    const a = toTensor(tf, gather(evalImages, pa.subarray(start, end), px), end - start, h, w);
    const b = toTensor(tf, gather(evalImages, pb.subarray(start, end), px), end - start, h, w);
    const out = await distance(model, a, b);
    for (const v of await flatten(tf, out)) distances.push(v);
    a.dispose();
    b.dispose();
    if (out instanceof tf.Tensor) out.dispose();
  }
  return { distances };
};

function toTensor(tf: typeof import('@tensorflow/tfjs'), bytes: Uint8Array, n: number, h: number, w: number) {
  const f = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) f[i] = bytes[i]! / 255;
  return tf.tensor4d(f, [n, h, w, 1]);
}

function gather(images: Uint8Array, idx: Int32Array, px: number): Uint8Array {
  const out = new Uint8Array(idx.length * px);
  idx.forEach((i, k) => out.set(images.subarray(i * px, (i + 1) * px), k * px));
  return out;
}

function int32s(buf: Buffer): Int32Array {
  return new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Accepts a tensor, typed array or plain array; NaN survives as null in JSON and fails validation upstream. */
async function flatten(tf: typeof import('@tensorflow/tfjs'), out: unknown): Promise<number[]> {
  if (out instanceof tf.Tensor) return Array.from(await out.data() as Float32Array);
  if (ArrayBuffer.isView(out)) return Array.from(out as unknown as ArrayLike<number>);
  if (Array.isArray(out)) return out.flat(Infinity) as number[];
  throw new ContractError(`distance() must return a tensor or an array of numbers, got ${out === null ? 'null' : typeof out}`);
}
