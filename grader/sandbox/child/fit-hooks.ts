// The harness watches training itself rather than trusting the submission:
// every model.fit / fitDataset reports epochs to the grader (so a time limit
// can say how far training got) and every batch size is checked.
import { ContractError, type Progress } from "../../tasks/types.ts";

type Tf = typeof import('@tensorflow/tfjs');

export class BatchSizeError extends ContractError {
  override name = 'BatchSizeError';
}

export function installFitHooks(tf: Tf, maxBatchSize: number, progress: (p: Progress) => void): void {
  const proto = tf.LayersModel.prototype as unknown as Record<string, (...args: any[]) => any>;
  const checkBatch = (bs: unknown, where: string) => {
    if (typeof bs === 'number' && bs > maxBatchSize) throw new BatchSizeError(`${where}: batch size ${bs} exceeds this assignment's limit of ${maxBatchSize}`);
  };
  const observer = (epochs: number | undefined) => ({
    onEpochEnd: async (epoch: number, logs?: Record<string, unknown>) => {
      progress({ phase: 'train', epoch: epoch + 1, epochs, logs: numericLogs(logs) });
    },
  });
  // tfjs accepts either callback objects or plain {onEpochEnd…} configs, but not a mix:
  // normalise everything to callback objects before adding ours.
  const asCallback = (cb: any) => (typeof cb?.setParams === 'function' ? cb : new tf.CustomCallback(cb));
  const withObserver = (args: Record<string, any> | undefined) => {
    const cbs = args?.callbacks;
    const list = cbs === undefined || cbs === null ? [] : Array.isArray(cbs) ? [...cbs] : [cbs];
    return { ...args, callbacks: [...list.map(asCallback), asCallback(observer(args?.epochs ?? 1))] };
  };
  const fit = proto.fit!;
  proto.fit = function (this: unknown, x: unknown, y: unknown, args?: Record<string, any>) {
    checkBatch(args?.batchSize ?? 32, 'model.fit');
    return fit.call(this, x, y, withObserver(args));
  };
  const fitDataset = proto.fitDataset!;
  proto.fitDataset = function (this: unknown, ds: unknown, args?: Record<string, any>) {
    return fitDataset.call(this, ds, withObserver(args));
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
