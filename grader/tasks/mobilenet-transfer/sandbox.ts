// Sandbox half of mobilenet-transfer: hands the submission MNIST training
// data and ctx.loadBase() (the pretrained MobileNetV2, rebuilt at the input
// size and cut it asks for), and installs a grader-side epoch-end step on
// every model.fit / fitDataset. After each of the first `epochs` epochs that
// step calls the submission's predict(model, images) on the validation images
// (their labels stay with the grader) and keeps the predicted classes; after
// the last of them it stops that fit, as EarlyStopping would. It also notes
// whether the pretrained layers ran while predict() did and, once training is
// over, whether they matter: one more evaluation on the same validation
// images (a fresh tensor, in another order) with every weight of the loaded
// bases set to zero. A predict() whose answers do not need the base keeps its
// accuracy there. Both are observed in the submission's realm, which could
// forge them: an integrity signal, not proof.
import { readFileSync } from 'node:fs';
import { setEpochEndListener } from '../../sandbox/child/fit-hooks.ts';
import { gather, numbersOf, OutputError, readInt32s, reportingOutputProblems, toTensor, trainingTensors } from '../shared/images.ts';
import { baseLayerNames, loadPretrainedBase } from '../shared/pretrained-base.ts';
import { ContractError, type SandboxTask } from '../types.ts';

type Tensor = import('@tensorflow/tfjs').Tensor;
type LayersModel = import('@tensorflow/tfjs').LayersModel;

export interface LoadBaseOptions {
  inputSize?: number;
  cutAt?: string;
  trainable?: boolean;
  bnMomentum?: number;
  freezeBatchNorm?: boolean;
}

const DEFAULTS = { inputSize: 64, cutAt: 'out_relu', trainable: false } as const;

function checkOptions(o: unknown): LoadBaseOptions {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null) throw new ContractError('loadBase(options): options must be an object');
  const opts = o as Record<string, unknown>;
  const known = ['inputSize', 'cutAt', 'trainable', 'bnMomentum', 'freezeBatchNorm'];
  const extra = Object.keys(opts).filter((k) => !known.includes(k));
  if (extra.length) throw new ContractError(`loadBase: unknown option ${extra.join(', ')} (known: ${known.join(', ')})`);
  const s = opts.inputSize;
  if (s !== undefined && !(Number.isInteger(s) && (s as number) >= 32 && (s as number) <= 224 && (s as number) % 32 === 0)) {
    throw new ContractError(`loadBase: inputSize must be a multiple of 32 from 32 to 224 (MobileNetV2 halves the size five times), got ${JSON.stringify(s)}`);
  }
  if (opts.cutAt !== undefined && typeof opts.cutAt !== 'string') throw new ContractError('loadBase: cutAt must be a layer name');
  for (const k of ['trainable', 'freezeBatchNorm']) if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw new ContractError(`loadBase: ${k} must be true or false`);
  const m = opts.bnMomentum;
  if (m !== undefined && !(typeof m === 'number' && m > 0 && m < 1)) throw new ContractError('loadBase: bnMomentum must be a number between 0 and 1');
  return opts as LoadBaseOptions;
}

/** Class per image from scores [n, 10] (argmax) or class ids [n]; -1 where the scores are not finite. */
async function classesOf(tf: typeof import('@tensorflow/tfjs'), out: unknown, n: number): Promise<number[]> {
  if (out === undefined || out === null) throw new OutputError(`predict(model, images) returned ${out}; return the class scores [${n}, 10] (or the classes [${n}])`);
  const { values, shape } = await numbersOf(tf, out, 'predict()', `class scores of shape [${n}, 10] (or the classes [${n}])`);
  if (shape.length === 2 && shape[0] === n && shape[1] === 10) {
    const classes: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = 0, finite = true;
      for (let k = 0; k < 10; k++) {
        const v = values[i * 10 + k]!;
        if (!Number.isFinite(v)) finite = false;
        else if (v > values[i * 10 + best]!) best = k;
      }
      classes.push(finite ? best : -1);
    }
    return classes;
  }
  if (shape.length === 1 && shape[0] === n) {
    return values.map((v) => {
      if (!Number.isFinite(v)) return -1;
      if (!Number.isInteger(v) || v < 0 || v > 9) throw new OutputError(`predict() returned ${v} in a 1-D answer; a 1-D answer must hold class ids 0–9 (or return class scores [${n}, 10])`);
      return v;
    });
  }
  throw new OutputError(`predict(model, images) returned shape [${shape.join(', ')}] for ${n} images; return class scores of shape [${n}, 10] (or the classes [${n}])`);
}

export const runMobilenetTransfer: SandboxTask = reportingOutputProblems(async (sub, ctx) => {
  const { tf, params, files } = ctx;
  if (typeof sub.train !== 'function') throw new ContractError('the submission must export `async function train({ images, labels }, ctx)` that trains with model.fit');
  if (typeof sub.predict !== 'function') throw new ContractError('the submission must export `async function predict(model, images)` returning class scores [n, 10]');
  const { trainCount, valCount, epochs, height: h, width: w } = params as Record<string, number>;

  ctx.progress({ phase: 'load' });
  const data = trainingTensors(tf, files, trainCount!, h!, w!);
  const valBytes = gather(readFileSync(files.evalImages!), readInt32s(files.valIdx!), h! * w!);
  let valImages = toTensor(tf, valBytes, valCount!, h!, w!);
  const layers = baseLayerNames(files.baseModel!);

  // Calls into the pretrained layers while the grader's predict() runs.
  let measuring = false, baseCalls = 0;
  const loads: Record<string, unknown>[] = [];
  const bases: LayersModel[] = [];
  let zeroedBases = false;
  const loadBase = async (options?: unknown): Promise<LayersModel> => {
    const o = { ...DEFAULTS, ...checkOptions(options) };
    const model = await loadPretrainedBase(tf, files.baseModel!, {
      inputShape: [o.inputSize, o.inputSize, 3], cutAt: o.cutAt, trainable: o.trainable, bnMomentum: o.bnMomentum, freezeBatchNorm: o.freezeBatchNorm,
    });
    for (const layer of model.layers) {
      const call = layer.call;
      layer.call = function (this: typeof layer, ...args: Parameters<typeof call>) {
        if (measuring) baseCalls++;
        return call.apply(this, args);
      };
    }
    loads.push({ ...o, outputShape: (model.outputs[0]!.shape as (number | null)[]).slice(1) });
    bases.push(model);
    if (zeroedBases) zeroWeights(tf, model); // a base loaded during the zeroed evaluation is zeroed too
    return model;
  };

  const runs: { classes: number[]; baseRan: boolean; predictSec: number }[] = [];
  let evaluating = false, evalError: unknown, scoredModel: LayersModel | undefined;
  setEpochEndListener(async (model) => {
    if (evaluating || runs.length >= epochs!) return; // not re-entrant: a fit inside predict() is not an epoch
    evaluating = true;
    try {
      if (valImages.isDisposed) valImages = toTensor(tf, valBytes, valCount!, h!, w!);
      const t0 = performance.now();
      baseCalls = 0;
      measuring = true;
      let out: unknown;
      try {
        out = await (sub.predict as Function)(model, valImages);
      } finally {
        measuring = false;
      }
      const classes = await classesOf(tf, out, valCount!);
      runs.push({ classes, baseRan: baseCalls > 0, predictSec: Math.round((performance.now() - t0) / 10) / 100 });
      if (runs.length === epochs) {
        model.stopTraining = true; // nothing after this epoch is scored
        scoredModel = model;
      }
    } catch (e) {
      evalError ??= e;
      throw e;
    } finally {
      evaluating = false;
    }
  });

  ctx.progress({ phase: 'train' });
  try {
    await (sub.train as Function)(data, {
      loadBase, baseLayers: layers, epochs, seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec,
    });
  } catch (e) {
    // A predict() failure explains itself better than whatever the submission made of it (a batch-size refusal, the runner prefers).
    throw evalError ?? e;
  } finally {
    setEpochEndListener(undefined);
  }
  if (evalError) throw evalError;
  if (runs.length < epochs!) {
    throw new ContractError(`train() returned after ${runs.length} epoch${runs.length === 1 ? '' : 's'} of model.fit/fitDataset; ` +
      `the grader measures validation accuracy after epoch ${epochs}, so train at least ${epochs} epochs with model.fit or model.fitDataset`);
  }

  // Does the base matter? The scored model once more, on the same validation images with every base weight zeroed.
  // A fresh tensor in a shuffled order: features a predict() cached for the validation tensor (as the statement
  // allows) do not answer for it. The classes go back to the validation order for the host.
  ctx.progress({ phase: 'predict' });
  let baseCheck: { classes: number[] } | { error: string };
  if (!bases.length || !scoredModel) baseCheck = { error: 'ctx.loadBase() was never called' };
  else {
    const order = shuffled(valCount!, ctx.seed);
    const px = h! * w!;
    const bytes = new Uint8Array(valCount! * px);
    order.forEach((from, to) => bytes.set(valBytes.subarray(from * px, (from + 1) * px), to * px));
    const images = toTensor(tf, bytes, valCount!, h!, w!);
    const saved = bases.map((b) => b.getWeights().map((t) => t.clone()));
    zeroedBases = true;
    try {
      bases.forEach((b) => zeroWeights(tf, b));
      const shuffledClasses = await classesOf(tf, await (sub.predict as Function)(scoredModel, images), valCount!);
      const classes = new Array<number>(valCount!);
      order.forEach((from, to) => { classes[from] = shuffledClasses[to]!; });
      baseCheck = { classes };
    } catch (e) {
      baseCheck = { error: `predict() failed with the base's weights zeroed: ${(e as Error)?.message ?? String(e)}`.slice(0, 500) };
    } finally {
      zeroedBases = false;
      bases.forEach((b, i) => {
        try {
          b.setWeights(saved[i]!);
        } catch { /* the submission disposed the base: nothing left to restore */ }
      });
      tf.dispose(saved.flat());
      if (!images.isDisposed) images.dispose();
    }
  }
  return { epochs: runs, loads, baseCheck };
});

/** Every weight of `model` (kernels, biases, BatchNormalization statistics) set to zero. */
function zeroWeights(tf: typeof import('@tensorflow/tfjs'), model: LayersModel): void {
  const zeros = model.weights.map((w) => tf.zeros(w.shape as number[], w.dtype));
  model.setWeights(zeros);
  tf.dispose(zeros);
}

/** 0…n-1 in a seeded order. */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let s = (seed >>> 0) || 1;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
