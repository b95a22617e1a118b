// Sandbox half of IMDB sentiment. The run stage hands the submission the
// training reviews (cleaned texts, the grader's word-id sequences, labels and
// the vocabulary), saves the model train() returned into out/scored-model/
// and counts model.fit calls. The verify stage, a fresh process with no
// submission code, loads that saved model (built-in layer classes only) and
// predicts the evaluated reviews' sequences; their labels stay with the grader.
import { readFileSync } from 'node:fs';
import { ContractError, type SandboxTaskContext, type SandboxTaskModule } from '../types.ts';
import { readInt32s } from '../shared/images.ts';
import { classifyWithSavedModel, saveScoredModel } from '../shared/saved-model.ts';
import { countModelCalls } from '../shared/training-guards.ts';
import type { TextClassifyVerify } from './host.ts';

type Tf = SandboxTaskContext['tf'];
type Tensor = import('@tensorflow/tfjs').Tensor;

/** The training reviews as the submission gets them. */
export function trainingData(tf: Tf, files: Record<string, string>, n: number, length: number) {
  const texts = JSON.parse(readFileSync(files.trainTexts!, 'utf8')) as string[];
  const sequences = tf.tensor2d(readInt32s(files.trainSequences!).subarray(0, n * length), [n, length], 'int32');
  const labels = tf.tensor1d(Int32Array.from(readFileSync(files.trainLabels!).subarray(0, n)), 'int32');
  const vocabulary = JSON.parse(readFileSync(files.vocabulary!, 'utf8')) as string[];
  return { texts, sequences, labels, vocabulary };
}

async function run(sub: Record<string, unknown>, ctx: SandboxTaskContext) {
  const { tf, params, files } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ texts, sequences, labels, vocabulary }, ctx)` returning its tf.LayersModel');
  const { trainCount: n, vocabSize, sequenceLength: length } = params as Record<string, number>;
  const calls = countModelCalls(tf, ['fit']);
  ctx.progress({ phase: 'load' });
  const data = trainingData(tf, files, n!, length!);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, vocabSize, sequenceLength: length });
  // The model train() returned (word ids [n, sequenceLength] → P(positive)), saved: the verify stage scores this copy.
  await saveScoredModel(model, ctx.outDir);
  return { fitCalls: calls.fit };
}

/** 1/0 per row of the model's output: one probability (or score) column above 0.5, or the larger of two columns. */
export async function positiveClasses(tf: Tf, out: Tensor, rows: number): Promise<number[]> {
  const s = out.shape;
  const ok = s[0] === rows && (s.length === 1 || (s.length === 2 && (s[1] === 1 || s[1] === 2)));
  if (!ok) throw new ContractError(`the saved model's output has shape [${s.join(', ')}] for ${rows} reviews; it must give one probability per review ([n, 1], a sigmoid unit) or two class scores ([n, 2])`);
  const v = await out.data();
  const two = s.length === 2 && s[1] === 2;
  return Array.from({ length: rows }, (_, i) => (two ? (v[2 * i + 1]! > v[2 * i]! ? 1 : 0) : v[i]! > 0.5 ? 1 : 0));
}

/** Trusted: the saved model, loaded with built-in layers only, predicts the evaluated reviews. */
async function verify(ctx: SandboxTaskContext): Promise<TextClassifyVerify> {
  const { tf, params, files } = ctx;
  const { sequenceLength: length, predictBatch } = params as Record<string, number>;
  const classify = async (model: import('@tensorflow/tfjs').LayersModel) => {
    const seqs = readInt32s(files.evalSequences!);
    const rows = seqs.length / length!;
    const classes: number[] = [];
    for (let start = 0; start < rows; start += predictBatch!) {
      const k = Math.min(predictBatch!, rows - start);
      const x = tf.tensor2d(seqs.subarray(start * length!, (start + k) * length!), [k, length!], 'int32');
      let out: Tensor | Tensor[] | undefined;
      try {
        out = model.predict(x) as Tensor | Tensor[];
        if (Array.isArray(out)) throw new ContractError('the saved model has several outputs; it must have one: the probability that a review is positive');
        classes.push(...(await positiveClasses(tf, out, k)));
      } finally {
        tf.dispose([x, ...(out === undefined ? [] : Array.isArray(out) ? out : [out])]);
      }
    }
    return classes;
  };
  return classifyWithSavedModel(ctx,
    (classes) => `the model uses a custom layer class (${classes.join(', ')}): build it from TF.js's built-in layers (embedding, globalAveragePooling1d, dense) so the grader can load the saved copy and predict the test reviews with it`,
    { classify, predictFailed: (problem) => `the grader predicts the test reviews' word-id sequences ([n, ${length}] int32) with the saved model, and that failed: ${problem}` });
}

export const textClassifySandbox: SandboxTaskModule = { run, verify };
