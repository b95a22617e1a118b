// The harness watches training itself rather than trusting the submission:
// every model.fit / fitDataset reports epochs to the grader (so a time limit
// can say how far training got) and every batch size is checked.
import { ContractError, type Progress } from "../../tasks/types.ts";

type Tf = typeof import('@tensorflow/tfjs');

export class BatchSizeError extends ContractError {
  override name = 'BatchSizeError';
}

type LayersModel = import('@tensorflow/tfjs').LayersModel;
/** A task's own step after each epoch of any fit/fitDataset (e.g. the grader's validation predictions); awaited by fit. */
export type EpochEndListener = (model: LayersModel, logs?: Record<string, number>) => Promise<void> | void;
let epochEndListener: EpochEndListener | undefined;
let refusal: BatchSizeError | undefined;

/** Installs (or with no argument removes) the task's epoch-end step. */
export function setEpochEndListener(fn?: EpochEndListener): void {
  epochEndListener = fn;
}

/** The first batch-size refusal, even if the submission caught the error. */
export function batchSizeRefusal(): BatchSizeError | undefined {
  return refusal;
}

export function installFitHooks(tf: Tf, maxBatchSize: number, progress: (p: Progress) => void): void {
  const proto = tf.LayersModel.prototype as unknown as Record<string, (...args: any[]) => any>;
  const checkBatch = (bs: unknown, where: string) => {
    if (typeof bs === 'number' && bs > maxBatchSize) {
      const e = new BatchSizeError(`${where}: batch size ${bs} exceeds this assignment's limit of ${maxBatchSize}`);
      refusal ??= e;
      throw e;
    }
  };
  const observer = (epochs: number | undefined, model: LayersModel) => ({
    onEpochEnd: async (epoch: number, logs?: Record<string, unknown>) => {
      const numeric = numericLogs(logs);
      progress({ phase: 'train', epoch: epoch + 1, epochs, logs: numeric });
      if (epochEndListener) await epochEndListener(model, numeric);
    },
  });
  // tfjs accepts either callback objects or plain {onEpochEnd…} configs, but not a mix:
  // normalise everything to callback objects before adding ours.
  const asCallback = (cb: any) => (typeof cb?.setParams === 'function' ? cb : new tf.CustomCallback(cb));
  const withObserver = (args: Record<string, any> | undefined, model: LayersModel) => {
    const cbs = args?.callbacks;
    const list = cbs === undefined || cbs === null ? [] : Array.isArray(cbs) ? [...cbs] : [cbs];
    return { ...args, callbacks: [...list.map(asCallback), asCallback(observer(args?.epochs ?? 1, model))] };
  };
  const fit = proto.fit!;
  proto.fit = function (this: LayersModel, x: unknown, y: unknown, args?: Record<string, any>) {
    checkBatch(args?.batchSize ?? 32, 'model.fit');
    return fit.call(this, x, y, withObserver(args, this));
  };
  const fitDataset = proto.fitDataset!;
  proto.fitDataset = function (this: LayersModel, ds: unknown, args?: Record<string, any>) {
    return fitDataset.call(this, ds, withObserver(args, this));
  };
  const trainOnBatch = proto.trainOnBatch!;
  proto.trainOnBatch = function (this: LayersModel, x: unknown, ...rest: unknown[]) {
    const first = Array.isArray(x) ? x[0] : x && typeof x === 'object' && !('shape' in x) ? Object.values(x)[0] : x;
    checkBatch((first as { shape?: number[] } | undefined)?.shape?.[0], 'model.trainOnBatch');
    return trainOnBatch.call(this, x, ...rest);
  };
  const dsProto = tf.data.Dataset.prototype as unknown as Record<string, (...args: any[]) => any>;
  const batch = dsProto.batch!;
  dsProto.batch = function (this: unknown, size: number, ...rest: unknown[]) {
    checkBatch(size, 'dataset.batch');
    return batch.call(this, size, ...rest);
  };
}

function numericLogs(logs?: Record<string, unknown>): Record<string, number> | undefined {
  if (!logs) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs).slice(0, 32)) {
    const n = typeof v === 'number' ? v : typeof (v as { dataSync?: unknown })?.dataSync === 'function' ? (v as { dataSync(): Float32Array }).dataSync()[0] : undefined;
    if (n !== undefined && Number.isFinite(n)) out[k] = n;
  }
  return out;
}
