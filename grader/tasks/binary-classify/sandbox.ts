// Sandbox half of binary classification: hands the submission the training
// images of the two classes (labels 1/0), takes the threshold it chose, then
// asks score() for one score per evaluation image, in chunks. The labels of
// those images stay with the grader, which computes AUC and the accuracy at
// that threshold.
import { readFileSync } from 'node:fs';
import { ContractError, type SandboxTask, type SandboxTaskContext } from '../types.ts';
import { disposeReturned, gather, kindOf, numbersOf, OutputError, readInt32s, reportingOutputProblems, tensorOf, toTensor, trainingTensors } from '../shared/images.ts';

const THRESHOLD_HOW = 'return { model, threshold } from train() (the threshold chosen on your validation images), or export a fixed one (`export const threshold = 0.5;`)';

/**
 * What train() returned, split into the model score() receives and the
 * threshold the submission chose: `{ model, threshold }` from train() (the
 * model is then its `model`, or the object itself when it has none), else the
 * exported `threshold`: a number, or a function of the model. The runner
 * reads exports when the module loads, so an exported `let` that train()
 * reassigns is seen with its first value: the statement says so.
 */
export async function thresholdOf(tf: SandboxTaskContext['tf'], sub: Record<string, unknown>, trained: unknown): Promise<{ model: unknown; threshold: number }> {
  let model = trained, t: unknown, what: string;
  if (typeof trained === 'object' && trained !== null && !(trained instanceof tf.Tensor) && !(trained instanceof tf.LayersModel) && 'threshold' in trained) {
    t = (trained as { threshold: unknown }).threshold;
    what = 'the threshold train() returned';
    if ('model' in trained) model = (trained as { model: unknown }).model;
  } else if (typeof sub.threshold === 'function') {
    what = 'threshold(model)';
    t = await (sub.threshold as Function)(trained);
    if (t instanceof tf.Tensor || Array.isArray(t)) {
      const { values } = await numbersOf(tf, t, what, 'a number');
      disposeReturned(tf, t);
      if (values.length !== 1) throw new OutputError(`${what} returned ${values.length} numbers; return one number`);
      t = values[0];
    }
  } else {
    t = sub.threshold;
    what = 'the exported threshold';
  }
  if (t === undefined) throw new ContractError(`no threshold: ${THRESHOLD_HOW}`);
  if (typeof t !== 'number') throw new OutputError(`${what} is ${kindOf(tf, t)}; it must be a number (${THRESHOLD_HOW})`);
  if (!Number.isFinite(t)) throw new OutputError(`${what} is ${t}; it must be a finite number`);
  return { model, threshold: t };
}

export const runBinaryClassify: SandboxTask = reportingOutputProblems(async (sub, ctx) => {
  const { tf, params, files } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)`');
  if (typeof sub.score !== 'function') throw new ContractError('the submission must export `async function score(model, images)` returning one score per image (larger = more likely label 1)');
  const { trainCount: n, height: h, width: w, predictBatch } = params as { trainCount: number; height: number; width: number; predictBatch: number };

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n, h, w);
  ctx.progress({ phase: 'train' });
  const trained = await (sub.train as Function)(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, outDir: ctx.outDir });
  const { model, threshold } = await thresholdOf(tf, sub, trained);

  ctx.progress({ phase: 'predict' });
  const evalImages = readFileSync(files.evalImages!);
  const idx = readInt32s(files.evalIdx!);
  const scores: number[] = [];
  for (let start = 0; start < idx.length; start += predictBatch) {
    const part = idx.subarray(start, Math.min(idx.length, start + predictBatch));
    const x = toTensor(tf, gather(evalImages, part, h * w), part.length, h, w);
    const out = await (sub.score as Function)(model, x);
    const { values } = await numbersOf(tf, out, 'score()', `${tensorOf(part.length)}: one score per image`);
    disposeReturned(tf, out);
    x.dispose();
    if (values.length !== part.length) throw new OutputError(`score() returned ${values.length} numbers for ${part.length} images; return one score per image (a tensor of shape [n] or [n, 1]; for two-class softmax outputs, the column of label 1)`);
    for (const v of values) scores.push(v);
  }
  return { scores, threshold };
});
