// Sandbox half of overfitting-regularization. The run stage hands the
// submission the training reviews as multi-hot vectors and installs a grader
// step at the end of every epoch of every model.fit / fitDataset: it saves the
// model being trained into out/checkpoints/m<k>/epoch-<e>/ (k numbers the
// model objects in the order they were first trained). train() returns
// { baseline, l2, dropout }; the checkpoints of models it does not return are
// removed. The verify stage, a fresh process with no submission code, loads
// every checkpoint (built-in layer classes only) and predicts the training
// reviews and the hidden validation reviews with it; the grader computes the
// losses from those predictions, the validation labels never leave it.
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setEpochEndListener } from '../../sandbox/child/fit-hooks.ts';
import { ContractError, type SandboxTaskContext, type SandboxTaskModule } from '../types.ts';
import { ROLES, type Role } from './roles.ts';
import { CustomLayerError, loadSavedModel, readSavedModel, saveScoredModel, savedModelProblem } from '../shared/saved-model.ts';

type Tf = SandboxTaskContext['tf'];
type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Tensor = import('@tensorflow/tfjs').Tensor;

const CHECKPOINTS = 'checkpoints';
/** Model objects checkpointed at most (the three, and a few tried on the way). */
const MAX_MODELS = 8;
const epochFolder = (e: number) => `epoch-${String(e).padStart(3, '0')}`;

/** u8 multi-hot rows → float32 tensor [n, v]. */
function multiHot(tf: Tf, bytes: Uint8Array, n: number, v: number) {
  return tf.tensor2d(Float32Array.from(bytes.subarray(0, n * v)), [n, v]);
}

export interface RunOutputs {
  /** Per role, the checkpoint folder (m<k>) of the model returned for it and how many epochs were saved. */
  models: Record<Role, { folder: string; epochs: number }>;
}

async function run(sub: Record<string, unknown>, ctx: SandboxTaskContext): Promise<RunOutputs> {
  const { tf, params, files, outDir } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ x, labels, vocabulary }, ctx)` returning { baseline, l2, dropout }: three tf.LayersModels');
  const { trainCount: n, vocabSize: v, epochs } = params as Record<string, number>;
  ctx.progress({ phase: 'load' });
  const x = multiHot(tf, readFileSync(files.trainX!), n!, v!);
  const labels = tf.tensor1d(Int32Array.from(readFileSync(files.trainLabels!).subarray(0, n!)), 'int32');
  const vocabulary = JSON.parse(readFileSync(files.vocabulary!, 'utf8')) as string[];

  const ids = new Map<LayersModel, { k: number; epochs: number }>();
  setEpochEndListener(async (model) => {
    let entry = ids.get(model);
    if (!entry) {
      if (ids.size >= MAX_MODELS) return;
      ids.set(model, (entry = { k: ids.size + 1, epochs: 0 }));
    }
    if (entry.epochs >= epochs!) return; // only the first `epochs` epochs are measured
    entry.epochs++;
    await saveScoredModel(model, join(outDir, CHECKPOINTS, `m${entry.k}`, epochFolder(entry.epochs)));
  });
  ctx.progress({ phase: 'train' });
  let out: unknown;
  try {
    out = await (sub.train as Function)({ x, labels, vocabulary }, { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, epochs, vocabSize: v });
  } finally {
    setEpochEndListener(undefined);
  }
  if (!out || typeof out !== 'object') throw new ContractError('train() must return { baseline, l2, dropout }: the three models it trained');
  const models = {} as RunOutputs['models'];
  const used = new Set<number>();
  for (const role of ROLES) {
    const m = (out as Record<string, unknown>)[role];
    // A tf.Sequential trains through the LayersModel it wraps (its .model): that is the object fit saw.
    const entry = m instanceof tf.LayersModel ? ids.get(m) ?? ids.get((m as { model?: LayersModel }).model as LayersModel) : undefined;
    if (!(m instanceof tf.LayersModel)) throw new ContractError(`train() returned no tf.LayersModel as \`${role}\`; return { baseline, l2, dropout }`);
    if (!entry) throw new ContractError(`the \`${role}\` model was never trained with model.fit: the grader saves each model at the end of every epoch of its fit and measures it there`);
    if (used.has(entry.k)) throw new ContractError(`train() returned the same model object twice (as \`${role}\` and another role); build three separate models`);
    used.add(entry.k);
    models[role] = { folder: `m${entry.k}`, epochs: entry.epochs };
  }
  // Checkpoints of models not returned are not measured.
  const root = join(outDir, CHECKPOINTS);
  for (const { k } of ids.values()) if (!used.has(k)) rmSync(join(root, `m${k}`), { recursive: true, force: true });
  return { models };
}

export interface CheckpointPredictions {
  epoch: number;
  /** P(positive) per training review / validation review, rounded to 1e-6; absent when the checkpoint did not load. */
  train?: number[];
  val?: number[];
}
export interface RegularizationVerify {
  /** Per checkpoint folder m<k>: its epochs in order, and the model.json of its last epoch. */
  folders: Record<string, { epochs: CheckpointPredictions[]; modelJson: string | null }>;
  errors: string[];
}

async function probabilities(tf: Tf, model: LayersModel, x: Tensor, batch: number): Promise<number[]> {
  const out = model.predict(x, { batchSize: batch });
  if (Array.isArray(out)) { tf.dispose(out); throw new ContractError('the model has several outputs; it must have one: the probability that a review is positive'); }
  try {
    const s = out.shape, rows = x.shape[0]!;
    if (s[0] !== rows || !(s.length === 1 || (s.length === 2 && s[1] === 1))) throw new ContractError(`the model's output has shape [${s.join(', ')}]; it must give one probability per review ([n, 1], a sigmoid unit)`);
    const v = await out.data();
    return Array.from(v, (p) => (Number.isFinite(p) ? Math.round(p * 1e6) / 1e6 : -1));
  } finally {
    out.dispose();
  }
}

/** Trusted: every checkpoint loaded with built-in layers only, predicting the training and validation reviews. */
async function verify(ctx: SandboxTaskContext): Promise<RegularizationVerify> {
  const { tf, params, files } = ctx;
  const { trainCount: n, valCount, vocabSize: v, predictBatch } = params as Record<string, number>;
  const result: RegularizationVerify = { folders: {}, errors: [] };
  const root = join(ctx.artifactsDir!, CHECKPOINTS);
  const names = (dir: string, re: RegExp) => (existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f) && lstatSync(join(dir, f)).isDirectory()).sort() : []);
  const folders = names(root, /^m\d{1,2}$/).slice(0, MAX_MODELS);
  if (!folders.length) { result.errors.push('no checkpoints were saved: train each model with model.fit'); return result; }
  const xTrain = multiHot(tf, readFileSync(files.trainX!), n!, v!), xVal = multiHot(tf, readFileSync(files.valX!), valCount!, v!);
  ctx.progress({ phase: 'predict' });
  for (const folder of folders) {
    const entry: RegularizationVerify['folders'][string] = { epochs: [], modelJson: null };
    result.folders[folder] = entry;
    for (const ep of names(join(root, folder), /^epoch-\d{3}$/)) {
      const dir = join(root, folder, ep), epoch = Number(ep.slice(6));
      try {
        const read = readSavedModel(dir);
        entry.modelJson = read.text;
        const model = await loadSavedModel(tf, dir, read);
        entry.epochs.push({ epoch, train: await probabilities(tf, model, xTrain, predictBatch!), val: await probabilities(tf, model, xVal, predictBatch!) });
        model.dispose();
      } catch (e) {
        entry.epochs.push({ epoch });
        const why = e instanceof CustomLayerError ? `a custom layer class (${e.classes.join(', ')}): build the models from TF.js's built-in layers` : e instanceof ContractError ? e.message : savedModelProblem(e);
        if (result.errors.length < 5) result.errors.push(`checkpoint ${folder}/${ep} does not load or predict: ${why}`);
      }
    }
  }
  return result;
}

export const regularizationSandbox: SandboxTaskModule = { run, verify };
