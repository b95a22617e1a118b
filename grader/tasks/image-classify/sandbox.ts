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
  const calls = countModelCalls(tf, ['fit']);
  const heldOut = countHeldOutEvaluations(tf);

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, n!, h!, w!);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)(data, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec });
  // The model train() returned (input [n, 28, 28, 1] → 10 class scores), saved: the verify stage scores this copy.
  await saveScoredModel(model, ctx.outDir);
  return { fitCalls: calls.fit, evaluateCalls: heldOut() };
};

type Tf = SandboxTaskContext['tf'];
type T = import('@tensorflow/tfjs').Tensor;

/**
 * Counts model.evaluate calls on held-out data: at most a tenth of the rows
 * evaluated were passed to fit (rows compared by an exact hash of their
 * values). An integrity signal: it runs in the submission's process.
 */
function countHeldOutEvaluations(tf: Tf): () => number {
  const seen = new Set<number>();
  let heldOut = 0;
  const firstTensor = (x: unknown): T | undefined => (x instanceof tf.Tensor ? x : Array.isArray(x) && x[0] instanceof tf.Tensor ? x[0] : undefined);
  // FNV-1a over each row's bytes, a chunk of rows at a time (never the whole set out of the backend at once).
  const rowHashes = (x: T, limit = Infinity): number[] => {
    const n = Math.min(x.shape[0] ?? 0, limit), per = x.size / Math.max(1, x.shape[0] ?? 1), out: number[] = [];
    for (let start = 0; start < n; start += 2000) {
      const rows = Math.min(2000, n - start);
      const part = tf.tidy(() => x.reshape([x.shape[0]!, per]).slice([start, 0], [rows, per]));
      const bytes = new Uint8Array((part.dataSync() as Float32Array).buffer.slice(0));
      part.dispose();
      const stride = per * 4;
      for (let r = 0; r < rows; r++) {
        let h = 0x811c9dc5;
        for (let i = r * stride; i < (r + 1) * stride; i++) h = Math.imul(h ^ bytes[i]!, 16777619);
        out.push(h >>> 0);
      }
    }
    return out;
  };
  const proto = tf.LayersModel.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const fit = proto.fit!, evaluate = proto.evaluate!;
  proto.fit = function (this: unknown, x: unknown, ...rest: unknown[]) {
    const t = firstTensor(x);
    if (t) for (const h of rowHashes(t)) seen.add(h);
    return fit.call(this, x, ...rest);
  };
  proto.evaluate = function (this: unknown, x: unknown, ...rest: unknown[]) {
    const t = firstTensor(x);
    if (t && (t.shape[0] ?? 0) > 0) {
      const sample = rowHashes(t, 500);
      if (sample.filter((h) => seen.has(h)).length <= sample.length / 10) heldOut++;
    }
    return evaluate.call(this, x, ...rest);
  };
  return () => heldOut;
}

/** Trusted: the saved model, loaded with built-in layers only, classifies the evaluation images. */
async function verify(ctx: SandboxTaskContext): Promise<SavedClassesVerify> {
  return classifyWithSavedModel(ctx, (classes) => `the model uses a custom layer class (${classes.join(', ')}): build it from TF.js's built-in layers so the grader can load the saved copy and classify the test images with it`);
}

export const imageClassifySandbox: SandboxTaskModule = { run: runImageClassify, verify };
