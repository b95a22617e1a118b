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

/**
 * Values a submission returned that the grader cannot use: the sandbox half
 * reports them as the run's outputs ({ outputProblem }, see reportingOutputProblems)
 * and the grader makes them BAD_OUTPUT with this message.
 */
export class OutputError extends ContractError {
  override name = 'OutputError';
}

/** "a tensor of 600 numbers (or an array of numbers)": what numbersOf asks for when `count` numbers are wanted. */
export function tensorOf(count: number): string {
  return `a tensor of ${plural(count, 'number')} (or an array of numbers)`;
}

/** Nesting of arrays numbersOf follows ([n, h, w, c] needs 4). */
const MAX_ARRAY_DEPTH = 8;

type Shaped = { values: number[]; shape: number[] };

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** What a value is, in a student's words ("an object", "a string", "undefined"). */
export function kindOf(tf: Tf, v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof tf.Tensor) return v.dtype === 'string' ? 'a string tensor' : `a tensor of shape [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return typeof (v as { then?: unknown }).then === 'function' ? 'a Promise (a missing await?)' : 'an object';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : 'a number';
  return `a ${typeof v}`;
}

/** [singular, plural] of what an array holds when all its items are of one kind that is no container, else undefined. */
function itemsKind(tf: Tf, items: readonly unknown[]): [string, string] | undefined {
  const kinds = new Set(items.slice(0, 10_000).map((v): string => {
    if (v === null || v === undefined) return `${v} value`;
    if (v instanceof tf.Tensor) return v.dtype === 'string' ? 'string tensor' : 'container';
    if (Array.isArray(v) || ArrayBuffer.isView(v)) return 'container';
    if (typeof v === 'object') return typeof (v as { then?: unknown }).then === 'function' ? 'Promise' : 'object';
    return typeof v;
  }));
  const [kind] = kinds;
  if (kinds.size !== 1 || kind === 'container') return undefined;
  return kind === 'Promise' ? ['Promise (a missing await?)', 'Promises (a missing await?)'] : [kind!, `${kind}s`];
}

/**
 * The numbers a submission's function returned, with their shape. Everything
 * whose meaning is unambiguous is taken as written: a tensor, a typed array,
 * an array of numbers, an array of tensors (scalars, or one shape for all:
 * stacked), nested arrays ([[x], [y]] is [n, 1]). NaN and Infinity survive
 * (as null in JSON; the grader says which). Anything else is an OutputError
 * naming `what` (e.g. "distance()") and what to return instead (`want`,
 * default "a tensor of numbers (or an array of numbers)"; see tensorOf).
 */
export async function numbersOf(tf: Tf, out: unknown, what: string, want = 'a tensor of numbers (or an array of numbers)'): Promise<Shaped> {
  const refuse = (got: string): never => { throw new OutputError(`${what} returned ${got}; return ${want}`); };
  const read = async (v: unknown, depth: number): Promise<Shaped | string> => {
    if (typeof v === 'number') return { values: [v], shape: [] };
    if (v instanceof tf.Tensor) {
      if (v.dtype === 'string') return 'a string tensor';
      return { values: Array.from((await v.data()) as ArrayLike<number>, Number), shape: v.shape };
    }
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const items = v as unknown as ArrayLike<number | bigint>;
      return { values: Array.from(items, Number), shape: [items.length] };
    }
    if (!Array.isArray(v)) return kindOf(tf, v);
    if (depth >= MAX_ARRAY_DEPTH) return `arrays nested more than ${MAX_ARRAY_DEPTH} deep`;
    if (v.length > 0 && v.every((x) => typeof x === 'number')) return { values: v as number[], shape: [v.length] };
    const parts: Shaped[] = [];
    for (let i = 0; i < v.length; i++) {
      const part = await read(v[i], depth + 1);
      if (typeof part === 'string') {
        const all = itemsKind(tf, v);
        return all ? `an array of ${plural(v.length, all[0]!, all[1])}` : `an array whose item ${i} is ${part}`;
      }
      parts.push(part);
    }
    if (parts.length === 0) return { values: [], shape: [0] };
    const first = parts[0]!.shape.join(',');
    const values = parts.flatMap((p) => p.values);
    if (parts.every((p) => p.shape.join(',') === first)) return { values, shape: [parts.length, ...parts[0]!.shape] };
    // Scalars and one-element tensors mixed: one number each.
    if (parts.every((p) => p.values.length === 1)) return { values, shape: [parts.length] };
    const odd = parts.findIndex((p) => p.shape.join(',') !== first);
    return `an array whose items differ in shape (item 0 is [${parts[0]!.shape.join(', ')}], item ${odd} is [${parts[odd]!.shape.join(', ')}])`;
  };
  const got = await read(out, 0);
  if (typeof got === 'string') return refuse(got);
  if (got.shape.length === 0) got.shape = [1]; // a lone number or scalar tensor: one value
  return got;
}

/** Disposes the tensors a submission's function returned: one, or an array of them. */
export function disposeReturned(tf: Tf, out: unknown): void {
  if (out instanceof tf.Tensor) out.dispose();
  else if (Array.isArray(out)) for (const t of out.slice(0, 1_000_000)) if (t instanceof tf.Tensor) t.dispose();
}

/**
 * Wraps a task's run half: an OutputError (the submission returned something
 * the grader cannot use) becomes the run's outputs, { outputProblem: message },
 * which the grader turns into BAD_OUTPUT with that message.
 */
export function reportingOutputProblems<A extends unknown[]>(run: (...a: A) => Promise<unknown>): (...a: A) => Promise<unknown> {
  return async (...a: A) => {
    try {
      return await run(...a);
    } catch (e) {
      if (e instanceof OutputError) return { outputProblem: e.message };
      throw e;
    }
  };
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
