// Sandbox half of the MNIST adder: training images and labels in, then the
// predicted sum of each evaluation pair; the returned model is inspected and
// fitDataset calls are counted by the harness.
import { ContractError, type SandboxTask } from '../types.ts';
import { numbersOf, overPairs, trainingTensors } from '../shared/images.ts';
import { inspectModel } from '../shared/inspect-model.ts';

export const runMnistAdder: SandboxTask = async (sub, ctx) => {
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

  ctx.progress({ phase: 'predict' });
  const sums: number[] = [];
  await overPairs(tf, files, h, w, predictBatch, async (a, b, count) => {
    const out = await (sub.predict as Function)(model, a, b);
    const { values, shape } = await numbersOf(tf, out, 'predict()');
    if (out instanceof tf.Tensor) out.dispose();
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
  return { sums, model: inspectModel(model), fitDatasetCalls };
};
