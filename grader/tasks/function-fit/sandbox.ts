// Sandbox half of the WORK1 cubic-fit assignments, and the verify stage that
// reloads their saved artifacts in a fresh process with no student code.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileSystem } from '../../tfio/file-io.ts';
import { ContractError, type SandboxTaskContext, type SandboxTaskModule } from '../types.ts';
import { countModelCalls, countOptimizerSteps, refuseFit } from '../shared/training-guards.ts';
import { disposeReturned, numbersOf, reportingOutputProblems } from '../shared/images.ts';
import { modelSaves, type SaveRecord } from '../../sandbox/child/fit-hooks.ts';

type Tf = SandboxTaskContext['tf'];
type Model = import('@tensorflow/tfjs').LayersModel;

const CHECKPOINTS = 'checkpoints';

function requireFns(sub: Record<string, unknown>, names: string[]): void {
  for (const n of names) if (typeof sub[n] !== 'function') throw new ContractError(`the submission must export a function \`${n}\` (see the assignment statement)`);
}

/** The numbers of a returned tensor (then disposed), typed array or nested array. */
async function values(tf: Tf, out: unknown, what: string): Promise<number[]> {
  const { values } = await numbersOf(tf, out, what);
  disposeReturned(tf, out);
  return values;
}

function isModel(tf: Tf, m: unknown): m is Model {
  return m instanceof tf.LayersModel;
}

async function modelPredict(tf: Tf, m: unknown, x: number[], what: string): Promise<number[]> {
  if (!isModel(tf, m)) throw new ContractError(`${what} must return a tf.LayersModel (tf.sequential / tf.model), got ${m === null ? 'null' : typeof m}`);
  return values(tf, tf.tidy(() => m.predict(tf.tensor2d(x, [x.length, 1])) as import('@tensorflow/tfjs').Tensor), `model.predict() (the model from ${what})`);
}

/**
 * The checkpoints saved while training ran: model.save calls made inside an
 * epoch-end callback of a running fit (the fit hooks note the moment), into a
 * folder epoch-N of the checkpoint directory. One entry per call, in order;
 * the host counts the distinct epochs whose folder the verify stage found.
 * Observed in the submission's realm: an integrity signal.
 */
function checkpointSaves(saves: readonly SaveRecord[], checkpointDir: string): { inTraining: { epoch: number; folder: string }[]; other: number } {
  const root = realOrResolved(checkpointDir);
  const inTraining: { epoch: number; folder: string }[] = [];
  let other = 0;
  for (const s of saves) {
    const path = s.fileUrlPath === undefined ? undefined : resolve(s.fileUrlPath.endsWith('.json') ? dirname(s.fileUrlPath) : s.fileUrlPath);
    const folder = path && /^epoch-\d+$/.test(basename(path)) && realOrResolved(dirname(path)) === root ? basename(path) : undefined;
    if (s.epoch !== undefined && folder && inTraining.length < 1000) inTraining.push({ epoch: s.epoch, folder });
    else other++;
  }
  return { inTraining, other };
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

async function run(sub: Record<string, unknown>, ctx: SandboxTaskContext): Promise<unknown> {
  const { tf, params } = ctx;
  const variant = params.variant as string;
  const xTrain = params.xTrain as number[], yTrain = params.yTrain as number[], xTest = params.xTest as number[];
  const data = () => ({ x: tf.tensor2d(xTrain, [xTrain.length, 1]), y: tf.tensor2d(yTrain, [yTrain.length, 1]) });
  const trainCtx = { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec, outDir: ctx.outDir };

  if (variant === 'fit') {
    requireFns(sub, ['train', 'predict']);
    const calls = countModelCalls(tf, ['fit']);
    ctx.progress({ phase: 'train' });
    const model = await (sub.train as Function)(data(), trainCtx);
    ctx.progress({ phase: 'predict' });
    const predictions = await values(tf, await (sub.predict as Function)(model, tf.tensor2d(xTest, [xTest.length, 1])), 'predict()');
    return { predictions, fitCalls: calls.fit };
  }

  if (variant === 'custom-loop') {
    requireFns(sub, ['train', 'predict']);
    refuseFit(tf);
    const steps = countOptimizerSteps(tf);
    ctx.progress({ phase: 'train' });
    const model = await (sub.train as Function)(data(), trainCtx);
    ctx.progress({ phase: 'predict' });
    const predictions = await values(tf, await (sub.predict as Function)(model, tf.tensor2d(xTest, [xTest.length, 1])), 'predict()');
    return { predictions, optimizerSteps: steps() };
  }

  if (variant === 'checkpoints') {
    requireFns(sub, ['train', 'restore']);
    const checkpointDir = join(ctx.outDir, CHECKPOINTS);
    mkdirSync(checkpointDir, { recursive: true });
    ctx.progress({ phase: 'train' });
    const savesBefore = modelSaves().length;
    await (sub.train as Function)(data(), { ...trainCtx, checkpointDir });
    const saves = checkpointSaves(modelSaves().slice(savesBefore), checkpointDir);
    // Predictions come from the model the submission restores from its own checkpoint.
    ctx.progress({ phase: 'predict' });
    const restored = await (sub.restore as Function)({ ...trainCtx, checkpointDir });
    return { predictions: await modelPredict(tf, restored, xTest, 'restore()'), saves };
  }

  // save-restore
  requireFns(sub, ['train', 'saveWeights', 'loadWeights', 'saveModel', 'loadModel']);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)(data(), trainCtx);
  const trained = await modelPredict(tf, model, xTest, 'train()');
  const weightsDir = join(ctx.outDir, 'weights'), modelDir = join(ctx.outDir, 'model');
  mkdirSync(weightsDir, { recursive: true });
  mkdirSync(modelDir, { recursive: true });
  await (sub.saveWeights as Function)(model, weightsDir);
  await (sub.saveModel as Function)(model, modelDir);
  ctx.progress({ phase: 'predict' });
  const fromWeights = await modelPredict(tf, await (sub.loadWeights as Function)(weightsDir), xTest, 'loadWeights()');
  const fromModel = await modelPredict(tf, await (sub.loadModel as Function)(modelDir), xTest, 'loadModel()');
  return { trained, fromWeights, fromModel };
}

/** Trusted: only the grader's code runs here, over the artifacts the submission left. */
async function verify(ctx: SandboxTaskContext): Promise<unknown> {
  const { tf, params } = ctx;
  const xTest = params.xTest as number[];
  const dir = ctx.artifactsDir!;
  const predict = (m: Model) => values(tf, tf.tidy(() => m.predict(tf.tensor2d(xTest, [xTest.length, 1])) as import('@tensorflow/tfjs').Tensor), 'restored model');

  if (params.variant === 'checkpoints') {
    const root = join(dir, CHECKPOINTS);
    const checkpoints = (existsSync(root) ? readdirSync(root) : [])
      .map((name) => ({ name, epoch: Number(/^epoch-(\d+)$/.exec(name)?.[1] ?? NaN) }))
      .filter((c) => Number.isInteger(c.epoch) && existsSync(join(root, c.name, 'model.json')))
      .sort((a, b) => a.epoch - b.epoch)
      .map((c) => ({ epoch: c.epoch, name: c.name, mtimeMs: statSync(join(root, c.name, 'model.json')).mtimeMs }));
    let predictions: number[] | null = null, loadError: string | undefined;
    const last = checkpoints.at(-1);
    if (last) {
      try {
        predictions = await predict(await tf.loadLayersModel(fileSystem(tf, join(root, last.name, 'model.json'))));
      } catch (e) {
        loadError = `checkpoint ${last.name} does not load: ${(e as Error).message}`;
      }
    }
    return { checkpoints: checkpoints.map(({ epoch, name, mtimeMs }) => ({ epoch, name, mtimeMs })), predictions, errors: loadError ? [loadError.replaceAll(dir + '/', '')] : [] };
  }

  // save-restore: the whole model must load on its own; the weights folder must hold weights only,
  // and loading them into the saved architecture must give the same predictions.
  const errors: string[] = [];
  let whole: Model | undefined, fromModel: number[] | null = null, fromWeights: number[] | null = null;
  try {
    whole = await tf.loadLayersModel(fileSystem(tf, join(dir, 'model', 'model.json')));
    fromModel = await predict(whole);
  } catch (e) {
    errors.push(`model/model.json does not load: ${(e as Error).message}`);
  }
  const wdir = join(dir, 'weights');
  const manifestPath = join(wdir, 'weights.json');
  let weightsOnly = false;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[];
    weightsOnly = Array.isArray(manifest) && !existsSync(join(wdir, 'model.json'));
    const specs = manifest.flatMap((g) => g.weights);
    const bytes = Buffer.concat(manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(wdir, p)))));
    const named = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);
    if (whole) {
      const tensors = specs.map((s) => named[s.name]!);
      whole.setWeights(tensors);
      fromWeights = await predict(whole);
    }
  } catch (e) {
    errors.push(`weights/weights.json + its shards do not load: ${(e as Error).message}`);
  }
  return { fromModel, fromWeights, weightsOnly, errors: errors.map((e) => e.replaceAll(dir + '/', '')) };
}

export const functionFitSandbox: SandboxTaskModule = { run: reportingOutputProblems(run), verify };
