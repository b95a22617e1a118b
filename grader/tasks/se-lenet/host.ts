// SE-block LeNet (course notes WORK3): a classifier with squeeze-and-
// excitation blocks, plus the feature maps and feature vectors it computes,
// averaged per class by the grader and rendered for the report.
//
// Where each metric comes from:
//   accuracy        the verify stage (no student code) loads the model the run stage saved and
//                   classifies the evaluation images; scored here against labels kept here.
//   se_blocks       read here from that same saved model.json (shared/topology.ts seBlocks): the
//                   structure inspected is the structure whose predictions are scored.
//   feature_*_ok    the run stage's outputs of the submission's own features(): rendered for the
//                   report and shape-checked, not measured against anything hidden.
import { evalSplit } from '../shared/eval-split.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLabels, type DatasetName } from '../../data/image-dataset.ts';
import { range } from '../../data/pairs.ts';
import { accuracy, confusionMatrix } from '../../metrics/classes.ts';
import { renderGrid } from '../../report/render-png.ts';
import { makeRng, shuffle } from '../../util/rng.ts';
import { writeIndexFiles } from '../shared/pair-files.ts';
import { savedModelIn, seBlockHint, seBlocks } from '../shared/topology.ts';
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';
import type { SeLenetVerify } from './sandbox.ts';

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

/** The per-class means of what features() returned (judge.ts names `returnedBy` when they are bad). */
const shaped = (returnedBy: string) => ({
  type: 'object', required: ['shape', 'values'],
  properties: { shape: { type: 'array', items: { type: 'integer', minimum: 1 } }, values: { type: 'array', items: { type: 'number' }, returnedBy, each: 'value' } },
});
const outputSchema = {
  type: 'object',
  required: ['maps', 'vectors'],
  properties: { maps: shaped('features().maps'), vectors: shaped('features().vectors') },
};

interface Shaped { shape: number[]; values: number[] }
interface Outputs { maps: Shaped; vectors: Shaped }

/** SE blocks in the saved model.json the verify stage handed over; 0 when there is none or it is refused. */
function countSe(modelJson: unknown): number {
  const saved = savedModelIn(modelJson);
  return saved ? seBlocks(saved).length : 0;
}

const rest = (t: Shaped) => `[n${t.shape.slice(1).map((d) => `, ${d}`).join('')}]`;

/** Why feature_maps_ok is 0, in a student's words (the shape of the per-class means: [10, …] for [n, …]). */
export function featureMapsProblem(t: Shaped): string {
  if (t.shape.length !== 4) return `features().maps have shape ${rest(t)}; return feature maps of shape [n, height, width, channels] (a conv layer's output, before flattening or pooling)`;
  if (t.shape[1]! < 2 || t.shape[2]! < 2) return `features().maps are ${t.shape[1]}×${t.shape[2]} (shape ${rest(t)}); return maps of at least 2×2, a conv layer's output before global pooling`;
  return `features().maps hold the same value (${t.values[0]}) everywhere; return a conv layer's activations for the images features() is given`;
}

/** Why feature_vectors_ok is 0. */
export function featureVectorsProblem(t: Shaped): string {
  if (t.shape.length !== 2) return `features().vectors have shape ${rest(t)}; return one feature vector per image, shape [n, d] (e.g. the input of the last dense layer)`;
  if (t.shape[1]! < 2) return `features().vectors have ${t.shape[1]} value per image; return feature vectors of at least 2 values each ([n, d], d ≥ 2)`;
  return `features().vectors hold the same value (${t.values[0]}) everywhere; return a dense layer's activations for the images features() is given`;
}

const CLASSES = 10;

export const seLenet: TaskHost = {
  kind: 'se-lenet',
  paramsSchema,
  metrics: ['accuracy', 'se_blocks', 'feature_maps_ok', 'feature_vectors_ok'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as SeLenetParams;
    const { cache, split: evalSplitName, labels: evalLabels, pool, where, trainFiles, describe, checkMeasuredOn } = evalSplit(ctx, p);
    // Feature requests: per class, images from the training split's held-back part (their labels are not secret
    // in grade mode; the request order gives away each one's class, so a self-check does not evaluate on them).
    const trainLabels = readLabels(cache, 'train');
    const rng = makeRng(ctx.mode === 'grade' ? ctx.draw : ctx.assignment.spec.seed, 'feature-images'); // check keeps the public draw
    const featureIdx = new Int32Array(CLASSES * p.featuresPerClass);
    for (let c = 0; c < CLASSES; c++) {
      const members = shuffle(rng, Array.from(range(p.trainCount, trainLabels.length - p.trainCount)).filter((i) => trainLabels[i] === c));
      if (members.length < p.featuresPerClass) throw new Error(`${ctx.assignment.specPath}: task.featuresPerClass ${p.featuresPerClass} is more than the ${members.length} held-back training images of class ${c}`);
      featureIdx.set(members.slice(0, p.featuresPerClass), c * p.featuresPerClass);
    }
    const requested = new Set(featureIdx);
    const evalIdx = ctx.mode === 'grade' ? pool : pool.filter((i) => !requested.has(i));
    if (evalIdx.length === 0) throw new Error(`${ctx.assignment.specPath}: task.featuresPerClass ${p.featuresPerClass} leaves no images of the ${where} to evaluate on`);
    const truth = Uint8Array.from(evalIdx, (i) => evalLabels[i]!);
    const index = writeIndexFiles(ctx, cache.meta.checksum, { evalIdx, featureIdx });
    return {
      files: { ...trainFiles, evalImages: cache.files[`${evalSplitName}Images`], ...index },
      params: { trainCount: p.trainCount, height: cache.meta.height, width: cache.meta.width, featuresPerClass: p.featuresPerClass, predictBatch: p.predictBatch ?? 1000 },
      dataset: { name: p.dataset, checksum: cache.meta.checksum, evaluatedOn: describe(evalIdx.length) },
      checkMeasuredOn: checkMeasuredOn(evalIdx.length),
      outputSchema,
      checkOutputs(outputs) {
        const o = outputs as Outputs;
        for (const [name, t] of [['feature maps', o.maps], ['feature vectors', o.vectors]] as const) {
          if (t.values.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${t.values.length} values for shape [${t.shape.join(', ')}]`);
        }
      },
      // The verify stage: the saved model classifies the evaluation images (their labels stay here).
      verify: { params: { height: cache.meta.height, width: cache.meta.width, predictBatch: p.predictBatch ?? 1000 } },
      score(outputs, verified?: VerifyResult) {
        const o = outputs as Outputs;
        const v = verified?.outputs as Partial<SeLenetVerify> | undefined;
        const classes = Array.isArray(v?.classes) && v.classes.length === truth.length ? v.classes : undefined;
        const varied = (t: Shaped) => t.values.some((v) => v !== t.values[0]);
        const [, h, w, ch] = o.maps.shape;
        return {
          accuracy: accuracy(classes ?? [], truth),
          // Only a model that loaded (and so made the scored predictions) is inspected.
          se_blocks: classes ? countSe(v?.modelJson) : 0,
          feature_maps_ok: o.maps.shape.length === 4 && o.maps.shape[0] === CLASSES && h! >= 2 && w! >= 2 && ch! >= 1 && varied(o.maps) ? 1 : 0,
          feature_vectors_ok: o.vectors.shape.length === 2 && o.vectors.shape[0] === CLASSES && o.vectors.shape[1]! >= 2 && varied(o.vectors) ? 1 : 0,
        };
      },
      plots(_outputs, verified?: VerifyResult) {
        const v = verified?.outputs as Partial<SeLenetVerify> | undefined;
        if (!Array.isArray(v?.classes) || v.classes.length !== truth.length) return {};
        return { confusion: { labels: Array.from({ length: CLASSES }, (_, i) => String(i)), counts: confusionMatrix(v.classes, truth, CLASSES) } };
      },
      hints(outputs, metrics, verified?: VerifyResult): Record<string, string> {
        const o = outputs as Outputs;
        const hints: Record<string, string> = {};
        if (metrics.feature_maps_ok === 0) hints.feature_maps_ok = featureMapsProblem(o.maps);
        if (metrics.feature_vectors_ok === 0) hints.feature_vectors_ok = featureVectorsProblem(o.vectors);
        const saved = savedModelIn((verified?.outputs as Partial<SeLenetVerify> | undefined)?.modelJson);
        if (metrics.se_blocks === 0 && saved) {
          hints.se_blocks = seBlockHint(saved) ?? 'the SE blocks of the saved model count once the grader can load it to measure its accuracy (see the verification problem)';
        }
        return hints;
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
