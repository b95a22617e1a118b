// Sandbox half of image classification: train, then the grader's own
// model.predict over the evaluation images; it also counts the Keras-style
// calls (compile → fit → evaluate) the exercise is about.
import { readFileSync } from 'node:fs';
import { ContractError, type SandboxTask } from '../types.ts';
import { predictClasses, readInt32s, trainingTensors } from '../shared/images.ts';
import { countModelCalls } from '../shared/training-guards.ts';

export const runImageClassify: SandboxTask = async (sub, ctx) => {
  const { tf, params, files } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)` returning its tf.LayersModel');
  const { trainCount: n, height: h, width: w, predictBatch } = params as Record<string, number>;
  const calls = countModelCalls(tf, ['fit', 'evaluate']);

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n!, h!, w!);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec });
  if (!(model instanceof tf.LayersModel)) throw new ContractError('train() must return the trained tf.LayersModel (input [n, 28, 28, 1] → 10 class scores)');

  ctx.progress({ phase: 'predict' });
  const classes = await predictClasses(tf, model, readFileSync(files.evalImages!), readInt32s(files.evalIdx!), h!, w!, predictBatch!);
  return { classes, fitCalls: calls.fit, evaluateCalls: calls.evaluate };
};
