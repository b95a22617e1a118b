// Sandbox half of SE-LeNet. The run stage trains, saves the returned model
// into out/scored-model/ (shared/saved-model.ts), and averages the
// submission's feature maps and vectors per class over the requested images.
// The verify stage, a fresh process with no submission code, loads that saved
// model (built-in layer classes only), classifies the evaluation images with
// it and hands the grader the saved model.json, whose structure the grader
// reads itself: the model that is scored is the model that is inspected.
import { readFileSync } from 'node:fs';
import { ContractError, type SandboxTask, type SandboxTaskContext, type SandboxTaskModule } from '../types.ts';
import { gather, kindOf, numbersOf, OutputError, readInt32s, reportingOutputProblems, toTensor, trainingTensors } from '../shared/images.ts';
import { customClassHint } from '../shared/topology.ts';
import { classifyWithSavedModel, saveScoredModel, type SavedClassesVerify } from '../shared/saved-model.ts';

export const runSeLenet: SandboxTask = reportingOutputProblems(async (sub, ctx) => {
  const { tf, params, files } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)` returning its tf.LayersModel');
  if (typeof sub.features !== 'function') throw new ContractError('the submission must export `async function features(model, images)` returning { maps: [n,h,w,c], vectors: [n,d] }');
  const { trainCount: n, height: h, width: w, featuresPerClass: per } = params as Record<string, number>;
  const px = h! * w!;

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n!, h!, w!);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, outDir: ctx.outDir });
  // The model train() returned, saved now: the verify stage scores and inspects this copy.
  await saveScoredModel(model, ctx.outDir);

  ctx.progress({ phase: 'predict' });
  const featureIdx = readInt32s(files.featureIdx!);
  const fx = toTensor(tf, gather(readFileSync(files.trainImages!), featureIdx, px), featureIdx.length, h!, w!);
  const out = (await (sub.features as Function)(model, fx)) as { maps?: unknown; vectors?: unknown } | undefined;
  if (!out || typeof out !== 'object' || out.maps === undefined || out.vectors === undefined) {
    throw new OutputError(`features() returned ${!out || typeof out !== 'object' || out instanceof tf.Tensor || Array.isArray(out) ? kindOf(tf, out) : `an object with ${out.maps === undefined ? 'no maps' : 'no vectors'}`}; return { maps, vectors }: the feature maps [n, h, w, c] and the feature vectors [n, d] of the n images`);
  }
  const classMean = async (t: unknown, what: string) => {
    const { values, shape } = await numbersOf(tf, t, what, `a tensor of shape [${featureIdx.length}, ${what.endsWith('maps') ? 'h, w, c' : 'd'}]`);
    if (shape[0] !== featureIdx.length) throw new OutputError(`${what} has shape [${shape.join(', ')}] for ${featureIdx.length} images; its first axis must be the images, one row each`);
    const size = values.length / featureIdx.length;
    const mean = new Array<number>(10 * size).fill(0);
    for (let i = 0; i < featureIdx.length; i++) {
      const c = Math.floor(i / per!);
      for (let k = 0; k < size; k++) mean[c * size + k]! += values[i * size + k]! / per!;
    }
    return { shape: [10, ...shape.slice(1)], values: mean };
  };
  // Feature maps and vectors are the submission's own report: rendered and shape-checked, not scored against labels.
  const maps = await classMean(out.maps, 'features().maps');
  const vectors = await classMean(out.vectors, 'features().vectors');
  return { maps, vectors };
});

export type SeLenetVerify = SavedClassesVerify;

/** Trusted: the saved model, loaded with built-in layers only, classifies the evaluation images. */
async function verify(ctx: SandboxTaskContext): Promise<SeLenetVerify> {
  return classifyWithSavedModel(ctx, (classes) => `the grader cannot load the saved model to measure its accuracy: ${customClassHint(classes)}`);
}

export const seLenetSandbox: SandboxTaskModule = { run: runSeLenet, verify };
