// Sandbox half of deepdream: hands the submission the picture, the region
// mask, the target and ctx.loadBase() (the pretrained InceptionV3, any input
// size, cut at the layers it asks for), and records the size of every pass
// through the base taken while a gradient is being computed: the octaves the
// grader counts. The verify half runs without the submission: it measures
// the target channel inside the region on the original and the dreamed
// picture with a base of its own.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { numbersOf, unitTensor } from '../shared/images.ts';
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

  // Every pass through a loaded base under a gradient, by input size.
  const scales = new Map<string, { height: number; width: number; gradientSteps: number }>();
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
        scales.set(key, seen);
      }
      return call.call(this, inputs, kwargs);
    };
    return model;
  };

  ctx.progress({ phase: 'train', unit: 'octave', epoch: 0, epochs: octaves });
  const out = await (sub.dream as Function)(image, mask, {
    loadBase, target: { layer, channel }, octaves, minSize, baseLayers: baseLayerNames(files.baseModel!), seed: ctx.seed, timeLimitSec: ctx.limits.timeLimitSec,
  });
  if (out === undefined || out === null) throw new ContractError('dream(image, mask, ctx) must return the dreamed picture as a tensor [height, width, 3], got nothing');
  const { values, shape } = await numbersOf(tf, out, 'dream()');
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
  return {
    image: Buffer.from(bytes).toString('base64'), shape, nonFinite,
    min: Number.isFinite(min) ? min : null, max: Number.isFinite(max) ? max : null,
    scales: [...scales.values()],
  };
}

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

export const deepdreamSandbox: SandboxTaskModule = { run, verify };
