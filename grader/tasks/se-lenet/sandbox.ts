// Sandbox half of SE-LeNet: train, classify the evaluation images with the
// returned model, then average the submission's feature maps and vectors
// per class over the requested images.
import { readFileSync } from 'node:fs';
import { ContractError, type SandboxTask } from '../types.ts';
import { gather, numbersOf, predictClasses, readInt32s, toTensor, trainingTensors } from '../shared/images.ts';
import { inspectModel } from '../shared/inspect-model.ts';

export const runSeLenet: SandboxTask = async (sub, ctx) => {
  const { tf, params, files } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)` returning its tf.LayersModel');
  if (typeof sub.features !== 'function') throw new ContractError('the submission must export `async function features(model, images)` returning { maps: [n,h,w,c], vectors: [n,d] }');
  const { trainCount: n, height: h, width: w, featuresPerClass: per, predictBatch } = params as Record<string, number>;
  const px = h! * w!;

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n!, h!, w!);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, outDir: ctx.outDir });
  if (!(model instanceof tf.LayersModel)) throw new ContractError('train() must return the trained tf.LayersModel (its output: 10 class scores)');

  ctx.progress({ phase: 'predict' });
  const classes = await predictClasses(tf, model, readFileSync(files.evalImages!), readInt32s(files.evalIdx!), h!, w!, predictBatch!);

  const featureIdx = readInt32s(files.featureIdx!);
  const fx = toTensor(tf, gather(readFileSync(files.trainImages!), featureIdx, px), featureIdx.length, h!, w!);
  const out = (await (sub.features as Function)(model, fx)) as { maps?: unknown; vectors?: unknown } | undefined;
  if (!out || out.maps === undefined || out.vectors === undefined) throw new ContractError('features() must return { maps, vectors }');
  const classMean = async (t: unknown, what: string) => {
    const { values, shape } = await numbersOf(tf, t, what);
    if (shape[0] !== featureIdx.length) throw new ContractError(`${what}: expected ${featureIdx.length} rows (one per image), got shape [${shape.join(', ')}]`);
    const size = values.length / featureIdx.length;
    const mean = new Array<number>(10 * size).fill(0);
    for (let i = 0; i < featureIdx.length; i++) {
      const c = Math.floor(i / per!);
      for (let k = 0; k < size; k++) mean[c * size + k]! += values[i * size + k]! / per!;
    }
    return { shape: [10, ...shape.slice(1)], values: mean };
  };
  const maps = await classMean(out.maps, 'features().maps');
  const vectors = await classMean(out.vectors, 'features().vectors');
  return { classes, model: inspectModel(model), maps, vectors };
};
