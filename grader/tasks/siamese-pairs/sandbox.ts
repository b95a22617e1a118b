// Sandbox half of the siamese task: hands the submission its training images,
// then asks for one distance per pair of evaluation images, in chunks.
import { ContractError, type SandboxTask } from '../types.ts';
import { disposeReturned, numbersOf, tensorOf, overPairs, reportingOutputProblems, trainingTensors } from '../shared/images.ts';

export const runSiamesePairs: SandboxTask = reportingOutputProblems(async (sub, ctx) => {
  const { tf, params, files } = ctx;
  const train = sub.train, distance = sub.distance;
  if (typeof train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)`');
  if (typeof distance !== 'function') throw new ContractError('the submission must export `async function distance(model, a, b)` returning one distance per pair');
  const { trainCount: n, height: h, width: w, predictBatch } = params as { trainCount: number; height: number; width: number; predictBatch: number };

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n, h, w);
  ctx.progress({ phase: 'train' });
  const model = await train(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, outDir: ctx.outDir });

  ctx.progress({ phase: 'predict' });
  const distances: number[] = [];
  await overPairs(tf, files, h, w, predictBatch, async (a, b, count) => {
    const out = await distance(model, a, b);
    for (const v of (await numbersOf(tf, out, 'distance()', tensorOf(count))).values) distances.push(v);
    disposeReturned(tf, out);
  });
  return { distances };
});
