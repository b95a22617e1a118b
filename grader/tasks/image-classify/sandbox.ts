// Sandbox half of image classification. The run stage trains, saves the
// returned model into out/scored-model/ (shared/saved-model.ts) and counts
// the Keras-style calls (compile → fit → evaluate) the exercise is about. The
// verify stage, a fresh process with no submission code, loads the saved
// model (built-in layer classes only) and classifies the evaluation images
// with the grader's own model.predict.
import { ContractError, type SandboxTask, type SandboxTaskContext, type SandboxTaskModule } from '../types.ts';
import { trainingTensors } from '../shared/images.ts';
import { classifyWithSavedModel, saveScoredModel, type SavedClassesVerify } from '../shared/saved-model.ts';
import { countModelCalls } from '../shared/training-guards.ts';

export const runImageClassify: SandboxTask = async (sub, ctx) => {
  const { tf, params, files } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)` returning its tf.LayersModel');
  const { trainCount: n, height: h, width: w } = params as Record<string, number>;
  const calls = countModelCalls(tf, ['fit', 'evaluate']);

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n!, h!, w!);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec });
  // The model train() returned (input [n, 28, 28, 1] → 10 class scores), saved: the verify stage scores this copy.
  await saveScoredModel(model, ctx.outDir);
  return { fitCalls: calls.fit, evaluateCalls: calls.evaluate };
};

/** Trusted: the saved model, loaded with built-in layers only, classifies the evaluation images. */
async function verify(ctx: SandboxTaskContext): Promise<SavedClassesVerify> {
  return classifyWithSavedModel(ctx, (classes) => `the model uses a custom layer class (${classes.join(', ')}): build it from TF.js's built-in layers so the grader can load the saved copy and classify the test images with it`);
}

export const imageClassifySandbox: SandboxTaskModule = { run: runImageClassify, verify };
