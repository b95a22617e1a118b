// Sandbox half of the siamese task: hands the submission its training images,
// then asks for one distance per pair of evaluation images, in chunks. With
// params.threshold it also takes the distance threshold the submission chose
// (binary-classify's thresholdOf: returned by train() or exported). The
// verify stage (one-shot triplet assignments) runs no submission code: it
// reads back the model.json the submission saved in out/<tripletModel>/.
import { ContractError, type SandboxTask, type SandboxTaskContext, type SandboxTaskModule } from '../types.ts';
import { disposeReturned, numbersOf, tensorOf, overPairs, reportingOutputProblems, trainingTensors } from '../shared/images.ts';
import { readSavedModel, savedModelProblem } from '../shared/saved-model.ts';
import { thresholdOf } from '../binary-classify/sandbox.ts';
import type { TripletVerify } from './host.ts';

export const runSiamesePairs: SandboxTask = reportingOutputProblems(async (sub, ctx) => {
  const { tf, params, files } = ctx;
  const train = sub.train, distance = sub.distance;
  if (typeof train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)`');
  if (typeof distance !== 'function') throw new ContractError('the submission must export `async function distance(model, a, b)` returning one distance per pair');
  const { trainCount: n, height: h, width: w, predictBatch } = params as { trainCount: number; height: number; width: number; predictBatch: number };

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n, h, w);
  ctx.progress({ phase: 'train' });
  const trained = await train(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, outDir: ctx.outDir });
  const { model, threshold } = params.threshold ? await thresholdOf(tf, sub, trained) : { model: trained, threshold: undefined };

  ctx.progress({ phase: 'predict' });
  const distances: number[] = [];
  await overPairs(tf, files, h, w, predictBatch, async (a, b, count) => {
    const out = await distance(model, a, b);
    for (const v of (await numbersOf(tf, out, 'distance()', tensorOf(count))).values) distances.push(v);
    disposeReturned(tf, out);
  });
  return threshold === undefined ? { distances } : { distances, threshold };
});

/** Trusted: hands the grader the triplet model.json the submission saved (size and nesting checked), read with no submission code loaded. */
async function verify(ctx: SandboxTaskContext): Promise<TripletVerify> {
  try {
    return { modelJson: readSavedModel(ctx.artifactsDir!, ctx.params.tripletModel as string).text, errors: [] };
  } catch (e) {
    return { modelJson: null, errors: [savedModelProblem(e)] };
  }
}

export const siamesePairsSandbox: SandboxTaskModule = { run: runSiamesePairs, verify };
