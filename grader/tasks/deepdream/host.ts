// DeepDream restricted to a region (course notes WORK5). The submission gets
// a picture, a 0/1 mask of the region and a target (one channel of one
// InceptionV3 layer), and returns the dreamed picture. Everything scored is
// measured by the grader:
//   - outside the region the picture is unchanged (compared here, pixel by pixel);
//   - inside it, the target channel's activation rose (measured by the verify
//     stage: grader code in a fresh sandbox runs the pretrained base on the
//     original and the returned picture);
//   - the gradient steps ran at several scales and each scale's change made it
//     into the picture (the sandbox half records the size of every pass through
//     the base taken under a gradient, and how the change between the first and
//     last pass at each size correlates with the returned picture's change in
//     the region, or that every gradient reaching the input there was zero:
//     an integrity signal, as it is observed in the submission's realm).
import { join, resolve } from 'node:path';
import { ensurePretrained } from '../../data/pretrained.ts';
import { readPngRgb } from '../../data/png-image.ts';
import { renderRgb } from '../../report/render-png.ts';
import { sha256 } from '../../util/fs.ts';
import { writeFileSync } from 'node:fs';
import { writeIndexFiles } from '../shared/pair-files.ts';
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';
import { countOctaves, maxChangeOutside, meanChangeInside, regionMask, type Region, type ScaleRecord } from './region.ts';

export interface DeepdreamParams {
  kind: 'deepdream';
  base: 'inception_v3';
  /** A PNG next to assignment.json. */
  image: string;
  region: Region;
  target: { layer: string; channel: number };
  /** Octaves the rubric's octave count is compared with; handed to the submission as ctx.octaves. */
  octaves: number;
  /** The smallest image side the base accepts (InceptionV3: 75). */
  minSize: number;
}

/** The gain's denominator is at least this share of the layer's mean activation in the region. */
export const GAIN_FLOOR = 0.1;

const frac = { type: 'number', minimum: 0, maximum: 1 };
const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'base', 'image', 'region', 'target', 'octaves', 'minSize'],
  properties: {
    kind: { const: 'deepdream' },
    base: { enum: ['inception_v3'] },
    image: { type: 'string', pattern: '\\.png$' },
    region: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['shape', 'cx', 'cy', 'rx', 'ry'], properties: { shape: { const: 'ellipse' }, cx: frac, cy: frac, rx: frac, ry: frac } },
        { type: 'object', additionalProperties: false, required: ['shape', 'x0', 'y0', 'x1', 'y1'], properties: { shape: { const: 'rect' }, x0: frac, y0: frac, x1: frac, y1: frac } },
      ],
    },
    target: {
      type: 'object', additionalProperties: false, required: ['layer', 'channel'],
      properties: { layer: { type: 'string' }, channel: { type: 'integer', minimum: 0 } },
    },
    octaves: { type: 'integer', minimum: 1, maximum: 8 },
    minSize: { type: 'integer', minimum: 8 },
  },
};

const outputSchema = {
  type: 'object',
  required: ['image', 'shape', 'min', 'max', 'nonFinite', 'scales'],
  properties: {
    /** The returned picture, clipped to [0, 1] and rounded to 8-bit RGB, base64. */
    image: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer' } },
    min: { type: ['number', 'null'] },
    max: { type: ['number', 'null'] },
    nonFinite: { type: 'integer', minimum: 0 },
    scales: {
      type: 'array',
      maxItems: 10000,
      items: {
        type: 'object', required: ['height', 'width', 'gradientSteps', 'fused', 'stalled'],
        properties: {
          height: { type: 'integer' }, width: { type: 'integer' }, gradientSteps: { type: 'integer' },
          fused: { type: 'number', minimum: -1, maximum: 1 }, stalled: { type: 'boolean' },
        },
      },
    },
  },
};

interface Outputs { image: string; shape: number[]; min: number | null; max: number | null; nonFinite: number; scales: ScaleRecord[] }

/** What the verify stage measures on the original and the returned picture. */
export interface DreamVerify {
  imageSha256: string;
  /** Mean over the feature-map cells lying inside the region. */
  before: { target: number; layer: number };
  after: { target: number; layer: number };
  insideCells: number;
  mapSize: [number, number];
  errors: string[];
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

export const deepdream: TaskHost = {
  kind: 'deepdream',
  paramsSchema,
  metrics: ['outside_max_change', 'inside_mean_change', 'target_before', 'target_after', 'target_gain', 'layer_gain', 'selectivity', 'octaves', 'scales_with_steps', 'pixels_in_range'],
  async prepare(ctx: PrepareContext): Promise<PreparedTask> {
    const p = ctx.assignment.spec.task as unknown as DeepdreamParams;
    const where = ctx.assignment.specPath;
    const picture = readPngRgb(resolve(ctx.assignment.dir, p.image));
    const { height: H, width: W, rgb } = picture;
    if (Math.min(H, W) < p.minSize) throw new Error(`${where}: task.image ${p.image} is ${W}×${H}; the base needs at least ${p.minSize} px a side`);
    const mask = regionMask(p.region, H, W);
    const inside = mask.reduce((s, v) => s + v, 0);
    if (inside === 0 || inside === mask.length) throw new Error(`${where}: task.region covers ${inside === 0 ? 'no' : 'every'} pixel of the ${W}×${H} image`);
    const base = await ensurePretrained(p.base, ctx.cacheRoot, ctx.weights);
    if (!base.layers.includes(p.target.layer)) throw new Error(`${where}: task.target.layer "${p.target.layer}" is not a layer of the base ${base.name}`);
    const checksum = sha256(`${sha256(rgb)}/${sha256(mask)}/${base.checksum}`);
    const files = writeIndexFiles(ctx, checksum, { image: rgb, mask });
    const sizeParams = { height: H, width: W, layer: p.target.layer, channel: p.target.channel };
    return {
      files: { ...files, baseModel: base.modelJson, baseWeights: base.weightsBin },
      params: { ...sizeParams, octaves: p.octaves, minSize: p.minSize },
      dataset: {
        name: `${p.image} + pretrained ${base.name}`,
        checksum,
        evaluatedOn: `${p.image} (${W}×${H}), region ${JSON.stringify(p.region)} (${inside} px), target ${p.target.layer} channel ${p.target.channel}; base ${base.name} from ${base.source} (sha256 ${base.checksum.slice(0, 12)})`,
      },
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as Outputs;
        const ok = (o.shape.length === 3 && o.shape[0] === H && o.shape[1] === W && o.shape[2] === 3) || (o.shape.length === 4 && o.shape[0] === 1 && o.shape[1] === H && o.shape[2] === W && o.shape[3] === 3);
        if (!ok) throw new Error(`dream() returned a picture of shape [${o.shape.join(', ')}]; return it at the original's shape [${H}, ${W}, 3] (resize back after the last octave)`);
        if (o.nonFinite) throw new Error(`dream() returned ${o.nonFinite.toLocaleString('en-US')} NaN or Infinity values in the picture; every pixel must be a finite number in [0, 1]`);
        if (Buffer.from(o.image, 'base64').length !== H * W * 3) throw new Error(`dream() returned a picture the grader could not read back as ${W}×${H} RGB; return a tensor [${H}, ${W}, 3]`);
      },
      verify: { params: sizeParams },
      render(outputs, dir) {
        const out = new Uint8Array(Buffer.from((outputs as Outputs).image, 'base64'));
        // Original, the region (dimmed outside), the dream, and the change ×4.
        const shown = rgb.map((v, i) => (mask[Math.floor(i / 3)] ? v : v >> 2));
        const change = out.map((v, i) => Math.min(255, Math.abs(v - rgb[i]!) * 4));
        writeFileSync(join(dir, 'dream.png'), renderRgb([out], H, W));
        writeFileSync(join(dir, 'comparison.png'), renderRgb([rgb, shown, out, change], H, W));
        return ['dream.png', 'comparison.png'];
      },
      hints(outputs, metrics): Record<string, string> {
        const o = outputs as Outputs;
        const hints: Record<string, string> = {};
        if (metrics.pixels_in_range === 0 && o.min !== null && o.max !== null) {
          hints.pixels_in_range = `dream() returned values from ${round4(o.min)} to ${round4(o.max)}; return the picture in [0, 1] (e.g. tf.clipByValue(picture, 0, 1) at the end)`;
        }
        if (metrics.outside_max_change !== undefined && metrics.outside_max_change > 0) {
          hints.outside_max_change = 'pixels outside the region changed; apply each step only inside the mask (step × mask), and keep the original outside it';
        }
        return hints;
      },
      score(outputs, verified?: VerifyResult) {
        const o = outputs as Outputs;
        const out = new Uint8Array(Buffer.from(o.image, 'base64'));
        const metrics: Record<string, number> = {
          outside_max_change: maxChangeOutside(rgb, out, mask),
          inside_mean_change: meanChangeInside(rgb, out, mask),
          octaves: countOctaves(o.scales.map((sc) => ({ ...sc, fused: sc.fused ?? 0 }))),
          scales_with_steps: countOctaves(o.scales.map((sc) => ({ ...sc, fused: undefined }))),
          // Half a grey level of slack: [0, 1] values survive the float round trip.
          pixels_in_range: o.min !== null && o.max !== null && o.min >= -0.5 / 255 && o.max <= 1 + 0.5 / 255 ? 1 : 0,
        };
        const v = verified?.outputs as DreamVerify | undefined;
        // The activations count only if they were measured on this very picture.
        if (v && v.imageSha256 === sha256(out) && v.before.layer > 0) {
          // A channel can be silent (0 after ReLU) in the region of the original: the ratio's
          // denominator is floored at a tenth of the whole layer's mean there.
          const floor = GAIN_FLOOR * v.before.layer;
          metrics.target_before = v.before.target;
          metrics.target_after = v.after.target;
          metrics.target_gain = v.after.target / Math.max(v.before.target, floor);
          metrics.layer_gain = v.after.layer / v.before.layer;
          metrics.selectivity = metrics.target_gain / metrics.layer_gain;
        }
        return metrics;
      },
    };
  },
};
