// Sandbox half of deepdream: hands the submission the picture, the region
// mask, the target and ctx.loadBase() (the pretrained InceptionV3, any input
// size, cut at the layers it asks for), and records the size of every pass
// through the base taken while a gradient is being computed, with a small
// picture of its input at the first and the last pass of each size: the
// octaves the grader counts are the sizes whose change (last minus first)
// shows up inside the region of the returned picture, so throwaway passes
// count for nothing (or whose every gradient reaching the input was zero:
// nothing to climb there, which an honest octave can run into). That is observed in the submission's realm: an integrity
// signal. The verify half runs without the submission: it measures the target
// channel inside the region on the original and the dreamed picture with a
// base of its own.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { numbersOf, OutputError, reportingOutputProblems, unitTensor } from '../shared/images.ts';
import { baseLayerNames, loadPretrainedBase } from '../shared/pretrained-base.ts';
import { ContractError, type SandboxTaskContext, type SandboxTaskModule } from '../types.ts';
import type { DreamVerify } from './host.ts';
import { cellCoverage } from './region.ts';

type Tf = SandboxTaskContext['tf'];
type Tensor = import('@tensorflow/tfjs').Tensor;
type LayersModel = import('@tensorflow/tfjs').LayersModel;

const DREAM_FILE = 'dream.u8';

function pictureTensor(tf: Tf, rgb: Uint8Array, h: number, w: number) {
  return unitTensor(tf, rgb, [h, w, 3]) as import('@tensorflow/tfjs').Tensor3D;
}

function checkLoadOptions(o: unknown): { cutAt?: string | string[] } {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null) throw new ContractError('loadBase(options): options must be an object');
  const extra = Object.keys(o).filter((k) => k !== 'cutAt');
  if (extra.length) throw new ContractError(`loadBase: unknown option ${extra.join(', ')} (known: cutAt)`);
  const cut = (o as { cutAt?: unknown }).cutAt;
  if (cut !== undefined && typeof cut !== 'string' && !(Array.isArray(cut) && cut.length > 0 && cut.every((c) => typeof c === 'string'))) {
    throw new ContractError('loadBase: cutAt must be a layer name or a non-empty array of layer names');
  }
  return o as { cutAt?: string | string[] };
}

async function run(sub: Record<string, unknown>, ctx: SandboxTaskContext): Promise<unknown> {
  const { tf, params, files } = ctx;
  if (typeof sub.dream !== 'function') throw new ContractError('the submission must export `async function dream(image, mask, ctx)` returning the dreamed picture [height, width, 3]');
  const { height: H, width: W, layer, channel, octaves, minSize } = params as { height: number; width: number; layer: string; channel: number; octaves: number; minSize: number };
  ctx.progress({ phase: 'load' });
  const rgb = new Uint8Array(readFileSync(files.image!));
  const image = pictureTensor(tf, rgb, H, W);
  const mask = tf.tensor2d(Float32Array.from(new Uint8Array(readFileSync(files.mask!))), [H, W]);

  // Every pass through a loaded base under a gradient, by input size, with the input's fingerprint at the first
  // and the latest pass (for the first MAX_FINGERPRINTED sizes).
  const scales = new Map<string, ScaleSeen>();
  const engineState = (tf.engine() as unknown as { state: { gradientDepth: number } }).state;
  const loadBase = async (options?: unknown): Promise<LayersModel> => {
    const o = checkLoadOptions(options);
    const model = await loadPretrainedBase(tf, files.baseModel!, { cutAt: o.cutAt ?? layer, inputShape: [null, null, 3] as unknown as [number, number, number] });
    const first = model.layers.find((l) => l.getClassName() !== 'InputLayer')!;
    const call = first.call;
    first.call = function (this: typeof first, inputs, kwargs) {
      if (engineState.gradientDepth > 0) {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor;
        const [h, w] = x.shape.slice(-3, -1) as [number, number];
        const key = `${h}x${w}`;
        const seen = scales.get(key) ?? { height: h, width: w, gradientSteps: 0 };
        if (seen.gradientSteps === 0) ctx.progress({ phase: 'train', unit: 'octave', epoch: scales.size + 1, epochs: octaves, logs: { size: Math.min(h, w) } });
        seen.gradientSteps++;
        if (seen.gradientSteps === 1 ? scales.size < MAX_FINGERPRINTED : seen.first) {
          const fp = fingerprint(tf, x);
          if (seen.gradientSteps === 1) seen.first = fp;
          else seen.last = fp;
        }
        scales.set(key, seen);
        // The gradient that reaches this input, seen on its way back: a size whose every step got an all-zero
        // gradient had nothing to climb (the target silent in the region there), which is not throwing work away.
        const watched = watchGradient(seen)(x);
        return call.call(this, Array.isArray(inputs) ? [watched, ...inputs.slice(1)] : watched, kwargs);
      }
      return call.call(this, inputs, kwargs);
    };
    return model;
  };

  /** An identity on the base's input whose gradient notes, per size, whether it was all zeros. */
  const watchGradient = (seen: ScaleSeen) => tf.customGrad(((x: Tensor) => ({
    value: tf.clone(x),
    gradFunc: (dy: Tensor) => {
      const largest = tf.tidy(() => dy.abs().max().dataSync()[0]!);
      if (largest === 0) seen.zeroGradients = (seen.zeroGradients ?? 0) + 1;
      else seen.liveGradients = (seen.liveGradients ?? 0) + 1;
      return tf.clone(dy);
    },
  })) as unknown as Parameters<Tf['customGrad']>[0]) as unknown as (x: Tensor) => Tensor;

  ctx.progress({ phase: 'train', unit: 'octave', epoch: 0, epochs: octaves });
  const out = await (sub.dream as Function)(image, mask, {
    loadBase, target: { layer, channel }, octaves, minSize, baseLayers: baseLayerNames(files.baseModel!), seed: ctx.seed, timeLimitSec: ctx.limits.timeLimitSec,
  });
  if (out === undefined || out === null) throw new OutputError(`dream(image, mask, ctx) returned ${out}; return the dreamed picture as a tensor [${H}, ${W}, 3]`);
  const { values, shape } = await numbersOf(tf, out, 'dream()', `the dreamed picture as a tensor [${H}, ${W}, 3]`);
  let min = Infinity, max = -Infinity, nonFinite = 0;
  const bytes = new Uint8Array(values.length === H * W * 3 ? values.length : 0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) { nonFinite++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    if (bytes.length) bytes[i] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  writeFileSync(join(ctx.outDir, DREAM_FILE), bytes);
  // The returned picture's change inside the region, at fingerprint size, against each size's own change.
  const change = values.length === H * W * 3 && !nonFinite
    ? regionChange(tf, Float32Array.from(values), rgb, new Uint8Array(readFileSync(files.mask!)), H, W)
    : undefined;
  return {
    image: Buffer.from(bytes).toString('base64'), shape, nonFinite,
    min: Number.isFinite(min) ? min : null, max: Number.isFinite(max) ? max : null,
    scales: [...scales.values()].map(({ height, width, gradientSteps, first, last, zeroGradients = 0, liveGradients = 0 }) => ({
      height, width, gradientSteps, fused: change && first && last ? round4(fusedCorrelation(first, last, change)) : 0,
      stalled: zeroGradients >= 2 && liveGradients === 0,
    })),
  };
}

interface ScaleSeen {
  height: number; width: number; gradientSteps: number; first?: Float32Array; last?: Float32Array;
  /** Gradients that reached the base's input at this size: all zeros, or not. */
  zeroGradients?: number; liveGradients?: number;
}

/** Sizes whose passes are fingerprinted (each fingerprint is FINGERPRINT² × 3 floats). */
const MAX_FINGERPRINTED = 64;
const FINGERPRINT = 64;

/** A pass's input ([1, h, w, 3] in whatever units) resized to FINGERPRINT × FINGERPRINT: what it looked like. */
function fingerprint(tf: Tf, x: Tensor): Float32Array | undefined {
  if (x.rank !== 4 || x.shape[3] !== 3 || x.isDisposed) return undefined;
  return tf.tidy(() => {
    const first = (x.shape[0] === 1 ? x : x.slice([0, 0, 0, 0], [1, -1, -1, -1])) as import('@tensorflow/tfjs').Tensor4D;
    return Float32Array.from(tf.image.resizeBilinear(first.toFloat(), [FINGERPRINT, FINGERPRINT]).dataSync());
  });
}

/** The returned picture minus the original at fingerprint size, and which fingerprint cells lie in the region. */
function regionChange(tf: Tf, returned: Float32Array, rgb: Uint8Array, mask: Uint8Array, h: number, w: number): { delta: Float32Array; inside: Uint8Array } {
  const dreamed = tf.tensor4d(returned, [1, h, w, 3]);
  const original = tf.tidy(() => pictureTensor(tf, rgb, h, w).expandDims(0));
  const after = fingerprint(tf, dreamed)!, before = fingerprint(tf, original)!;
  const cells = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(Float32Array.from(mask), [1, h, w, 1]), [FINGERPRINT, FINGERPRINT]).dataSync());
  tf.dispose([dreamed, original]);
  return { delta: after.map((v, i) => v - before[i]!), inside: Uint8Array.from(cells, (c) => (c >= 0.5 ? 1 : 0)) };
}

/**
 * How much of what the gradient steps at one size changed (its last pass's input minus its first's) is in the
 * returned picture's change inside the region: their correlation over the region's cells (any units, any offset).
 * Throwaway passes change nothing (0); an octave fused into the picture correlates with it.
 */
export function fusedCorrelation(first: Float32Array, last: Float32Array, change: { delta: Float32Array; inside: Uint8Array }): number {
  const { delta, inside } = change;
  if (first.length !== delta.length || last.length !== delta.length) return 0;
  let n = 0, sa = 0, sb = 0;
  for (let i = 0; i < delta.length; i++) {
    if (!inside[Math.floor(i / 3)]) continue;
    n++;
    sa += last[i]! - first[i]!;
    sb += delta[i]!;
  }
  if (n < 2) return 0;
  const ma = sa / n, mb = sb / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < delta.length; i++) {
    if (!inside[Math.floor(i / 3)]) continue;
    const a = last[i]! - first[i]! - ma, b = delta[i]! - mb;
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
  const r = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  return Number.isFinite(r) ? r : 0;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Trusted: the target channel (and the whole layer) inside the region, before and after. */
async function verify(ctx: SandboxTaskContext): Promise<DreamVerify> {
  const { tf, params, files } = ctx;
  const { height: H, width: W, layer, channel } = params as { height: number; width: number; layer: string; channel: number };
  const original = new Uint8Array(readFileSync(files.image!));
  const dreamed = new Uint8Array(readFileSync(join(ctx.artifactsDir!, DREAM_FILE)));
  const mask = new Uint8Array(readFileSync(files.mask!));
  if (dreamed.length !== H * W * 3) throw new Error(`${DREAM_FILE} holds ${dreamed.length} bytes, expected ${H * W * 3}`);
  const base = await loadPretrainedBase(tf, files.baseModel!, { cutAt: layer, inputShape: [H, W, 3] });
  const activations = (rgb: Uint8Array) => tf.tidy(() => base.predict(pictureTensor(tf, rgb, H, W).mul(2).sub(1).expandDims(0)) as import('@tensorflow/tfjs').Tensor4D);
  const a0 = activations(original), a1 = activations(dreamed);
  const [, h, w, channels] = a0.shape;
  if (channel >= channels) throw new Error(`the target channel ${channel} is out of range: ${layer} has ${channels} channels`);
  // Cells of the feature map whose block of pixels lies (almost) wholly inside the region.
  const coverage = cellCoverage(mask, H, W, h, w);
  const inside = tf.tensor4d(Array.from(coverage, (c) => (c >= 0.9 ? 1 : 0)), [1, h, w, 1]);
  const cells = coverage.filter((c) => c >= 0.9).length;
  if (cells === 0) throw new Error(`no cell of ${layer}'s ${h}×${w} map lies inside the region; make the region larger`);
  const meanInside = (a: Tensor, ch: number | null) => tf.tidy(() => {
    const sel = ch === null ? a.mean(-1, true) : a.slice([0, 0, 0, ch], [1, -1, -1, 1]);
    return sel.mul(inside).sum().div(cells).dataSync()[0]!;
  });
  const result: DreamVerify = {
    imageSha256: createHash('sha256').update(dreamed).digest('hex'),
    before: { target: meanInside(a0, channel), layer: meanInside(a0, null) },
    after: { target: meanInside(a1, channel), layer: meanInside(a1, null) },
    insideCells: cells,
    mapSize: [h, w],
    errors: [],
  };
  if (!(result.before.layer > 0)) result.errors.push(`${layer} is silent inside the region of the original picture; the gain cannot be measured`);
  tf.dispose([a0, a1, inside]);
  return result;
}

export const deepdreamSandbox: SandboxTaskModule = { run: reportingOutputProblems(run), verify };
