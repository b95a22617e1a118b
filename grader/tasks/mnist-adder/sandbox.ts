// Sandbox half of the MNIST adder. The run stage trains, saves the returned
// model into out/scored-model/ (shared/saved-model.ts), counts fitDataset
// calls and asks the submission's predict() for the sum of each evaluation
// pair. The verify stage (a fresh process, no submission code) reads the
// saved model.json back for the grader, which reads the model's structure
// from it. The custom layer class is part of this contract, so the saved
// model cannot be rebuilt without the submission's code: the sums scored are
// the run stage's.
import { ContractError, type SandboxTask, type SandboxTaskContext, type SandboxTaskModule } from '../types.ts';
import { disposeReturned, numbersOf, tensorOf, overPairs, reportingOutputProblems, trainingTensors } from '../shared/images.ts';
import { readSavedModel, savedModelProblem, saveScoredModel } from '../shared/saved-model.ts';

export const runMnistAdder: SandboxTask = reportingOutputProblems(async (sub, ctx) => {
  const { tf, params, files } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)` returning its tf.LayersModel');
  if (typeof sub.predict !== 'function') throw new ContractError('the submission must export `async function predict(model, a, b)` returning the predicted sums (or [n, 19] scores)');
  const { trainCount: n, height: h, width: w, predictBatch } = params as { trainCount: number; height: number; width: number; predictBatch: number };

  let fitDatasetCalls = 0;
  const proto = tf.LayersModel.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const fitDataset = proto.fitDataset!;
  proto.fitDataset = function (this: unknown, ...a: unknown[]) { fitDatasetCalls++; return fitDataset.apply(this, a); };

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n, h, w);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, outDir: ctx.outDir });
  // The model train() returned, saved now: its structure is read from this copy, not from the live object.
  await saveScoredModel(model, ctx.outDir);

  ctx.progress({ phase: 'predict' });
  const sums: number[] = [];
  await overPairs(tf, files, h, w, predictBatch, async (a, b, count) => {
    const out = await (sub.predict as Function)(model, a, b);
    const { values, shape } = await numbersOf(tf, out, 'predict()', `${tensorOf(count)}, or [${count}, 19] scores`);
    disposeReturned(tf, out);
    if (shape.length === 2 && shape[1] === 19) {
      for (let i = 0; i < count; i++) {
        let best = 0;
        for (let k = 1; k < 19; k++) if (values[i * 19 + k]! > values[i * 19 + best]!) best = k;
        sums.push(best);
      }
    } else {
      for (const v of values) sums.push(Number.isInteger(v) ? v : Math.round(v));
    }
  });
  return { sums, fitDatasetCalls };
});

export interface AdderVerify {
  /** scored-model/model.json as saved; null when missing or unreadable. */
  modelJson: string | null;
  errors: string[];
}

/** Trusted: hands the grader the saved model.json (size and nesting checked), read with no submission code loaded. */
async function verify(ctx: SandboxTaskContext): Promise<AdderVerify> {
  try {
    return { modelJson: readSavedModel(ctx.artifactsDir!).text, errors: [] };
  } catch (e) {
    return { modelJson: null, errors: [savedModelProblem(e)] };
  }
}

export const mnistAdderSandbox: SandboxTaskModule = { run: runMnistAdder, verify };
