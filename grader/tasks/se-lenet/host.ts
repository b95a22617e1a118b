// SE-block LeNet (course notes WORK3): a classifier with squeeze-and-
// excitation blocks, plus the feature maps and feature vectors it computes,
// averaged per class by the grader and rendered for the report.
import { evalSplit } from '../shared/eval-split.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLabels, type DatasetName } from '../../data/image-dataset.ts';
import { range } from '../../data/pairs.ts';
import { renderGrid } from '../../report/render-png.ts';
import { makeRng, shuffle } from '../../util/rng.ts';
import { writeIndexFiles } from '../shared/pair-files.ts';
import type { ModelInspection } from '../shared/inspect-model.ts';
import type { PrepareContext, PreparedTask, TaskHost } from '../types.ts';
import { countSeBlocks } from './se-detect.ts';

export interface SeLenetParams {
  kind: 'se-lenet';
  dataset: DatasetName;
  trainCount: number;
  featuresPerClass: number;
  predictBatch?: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'trainCount', 'featuresPerClass'],
  properties: {
    kind: { const: 'se-lenet' },
    dataset: { enum: ['mnist', 'fashion-mnist'] },
    trainCount: { type: 'integer', minimum: 100, maximum: 59000 },
    featuresPerClass: { type: 'integer', minimum: 1, maximum: 100 },
    predictBatch: { type: 'integer', minimum: 1, default: 1000 },
  },
};

const shaped = { type: 'object', required: ['shape', 'values'], properties: { shape: { type: 'array', items: { type: 'integer', minimum: 1 } }, values: { type: 'array', items: { type: 'number' } } } };
const outputSchema = {
  type: 'object',
  required: ['classes', 'model', 'maps', 'vectors'],
  properties: { classes: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 } }, model: { type: 'object' }, maps: shaped, vectors: shaped },
};

interface Shaped { shape: number[]; values: number[] }
interface Outputs { classes: number[]; model: ModelInspection; maps: Shaped; vectors: Shaped }

const CLASSES = 10;

export const seLenet: TaskHost = {
  kind: 'se-lenet',
  paramsSchema,
  metrics: ['accuracy', 'se_blocks', 'feature_maps_ok', 'feature_vectors_ok'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as SeLenetParams;
    const { cache, split: evalSplitName, labels: evalLabels, pool: evalIdx } = evalSplit(ctx, p);
    const truth = Uint8Array.from(evalIdx, (i) => evalLabels[i]!);
    // Feature requests: per class, images from the training split's held-back part (their labels are not secret).
    const trainLabels = readLabels(cache, 'train');
    const rng = makeRng(ctx.assignment.spec.seed, 'feature-images');
    const featureIdx = new Int32Array(CLASSES * p.featuresPerClass);
    for (let c = 0; c < CLASSES; c++) {
      const members = shuffle(rng, Array.from(range(p.trainCount, trainLabels.length - p.trainCount)).filter((i) => trainLabels[i] === c));
      if (members.length < p.featuresPerClass) throw new Error(`${ctx.assignment.specPath}: class ${c} has only ${members.length} held-back training images`);
      featureIdx.set(members.slice(0, p.featuresPerClass), c * p.featuresPerClass);
    }
    const index = writeIndexFiles(ctx, cache.meta.checksum, { evalIdx, featureIdx });
    return {
      files: { trainImages: cache.files.trainImages, trainLabels: cache.files.trainLabels, evalImages: cache.files[`${evalSplitName}Images`], ...index },
      params: { trainCount: p.trainCount, height: cache.meta.height, width: cache.meta.width, featuresPerClass: p.featuresPerClass, predictBatch: p.predictBatch ?? 1000 },
      dataset: { name: p.dataset, checksum: cache.meta.checksum, evaluatedOn: `${evalSplitName} split, ${evalIdx.length} images` },
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as Outputs;
        if (o.classes.length !== truth.length) throw new Error(`expected ${truth.length} predicted classes, got ${o.classes.length}`);
        for (const [name, t] of [['feature maps', o.maps], ['feature vectors', o.vectors]] as const) {
          if (t.values.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${t.values.length} values for shape [${t.shape.join(', ')}]`);
        }
      },
      score(outputs) {
        const o = outputs as Outputs;
        let right = 0;
        o.classes.forEach((c, i) => { if (c === truth[i]) right++; });
        const varied = (t: Shaped) => t.values.some((v) => v !== t.values[0]);
        const [, h, w, ch] = o.maps.shape;
        return {
          accuracy: right / truth.length,
          se_blocks: o.model.isLayersModel ? countSeBlocks(o.model.layers) : 0,
          feature_maps_ok: o.maps.shape.length === 4 && o.maps.shape[0] === CLASSES && h! >= 2 && w! >= 2 && ch! >= 1 && varied(o.maps) ? 1 : 0,
          feature_vectors_ok: o.vectors.shape.length === 2 && o.vectors.shape[0] === CLASSES && o.vectors.shape[1]! >= 2 && varied(o.vectors) ? 1 : 0,
        };
      },
      render(outputs, dir) {
        const o = outputs as Outputs;
        const files: string[] = [];
        if (o.maps.shape.length === 4) {
          const [, h, w, ch] = o.maps.shape as [number, number, number, number];
          const shown = Math.min(ch, 8);
          const rows = Array.from({ length: CLASSES }, (_, c) => Array.from({ length: shown }, (_, k) => {
            const values = new Float32Array(h * w);
            for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) values[y * w + x] = o.maps.values[((c * h + y) * w + x) * ch + k]!;
            return { values, height: h, width: w };
          }));
          writeFileSync(join(dir, 'feature-maps.png'), renderGrid(rows, Math.max(2, Math.round(56 / h))));
          files.push('feature-maps.png');
        }
        if (o.vectors.shape.length === 2) {
          const d = o.vectors.shape[1]!;
          const rows = Array.from({ length: CLASSES }, (_, c) => [{ values: o.vectors.values.slice(c * d, (c + 1) * d), height: 1, width: d }]);
          writeFileSync(join(dir, 'feature-vectors.png'), renderGrid(rows, 6));
          files.push('feature-vectors.png');
        }
        return files;
      },
    };
  },
};
