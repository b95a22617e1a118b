// The harness watches training itself rather than trusting the submission:
// every model.fit / fitDataset reports epochs to the grader (so a time limit
// can say how far training got) and every batch size is checked, on every
// path that trains: fit's batchSize, every batch a dataset hands fitDataset,
// trainOnBatch, the Layers training step itself, and batches a hand-written
// loop reads from a tf.data dataset. It also notes, for every model.save,
// whether it ran inside an epoch-end callback of a running fit (checkpoints).
// All of this runs in the submission's own realm: what it observes or refuses
// is an integrity signal, not proof (README, "What the grader trusts").
import { ContractError, type Progress } from "../../tasks/types.ts";
import { captureSite, noteSite, siteSuffix, studentError } from './call-site.ts';

type Tf = typeof import('@tensorflow/tfjs');

export class BatchSizeError extends ContractError {
  override name = 'BatchSizeError';
}

type LayersModel = import('@tensorflow/tfjs').LayersModel;
/** A task's own step after each epoch of any fit/fitDataset (e.g. the grader's validation predictions); awaited by fit. */
export type EpochEndListener = (model: LayersModel, logs?: Record<string, number>) => Promise<void> | void;
let epochEndListener: EpochEndListener | undefined;
let refusal: BatchSizeError | undefined;

/** The Layers training entry points a task can switch off (a hand-written loop is asked for). */
export type TrainingCall = 'model.fit' | 'model.fitDataset' | 'model.trainOnBatch' | 'model.makeTrainFunction';
let trainingRefusal: ((call: TrainingCall) => Error) | undefined;

/** One model.save call: `epoch` is set when it ran inside an epoch-end callback of a running fit/fitDataset. */
export interface SaveRecord {
  /** Epoch ends seen so far, counted across every fit/fitDataset call (1 = the first epoch's end). */
  epoch?: number;
  /** The folder (or model.json path) of a 'file://' URL, as given; absent for other handlers. */
  fileUrlPath?: string;
}
const MAX_SAVES = 10000;
const saves: SaveRecord[] = [];
let epochEnds = 0;
/** Set while the callbacks' onEpochEnd run, between the grader's first and last callback. */
let inEpochEnd: number | undefined;

/** A model.fit / fitDataset call that has not settled yet, where the submission made it, and its number (1 = the first). */
export interface RunningFit { call: 'model.fit' | 'model.fitDataset'; site: object; seq: number; done: boolean }
const running: RunningFit[] = [];
let runningCount = 0;
/** model.fit and fitDataset calls so far: progress says which one an epoch belongs to. */
let fitCalls = 0;

/** How many model.fit / fitDataset calls were made so far. */
export function fitsStarted(): number {
  return fitCalls;
}

/**
 * The earliest model.fit / fitDataset call still running among those started
 * after the first `since` calls (a task's epoch-end step may call the submission
 * while an earlier fit is running: that one is not the callee's).
 */
export function runningFit(since = 0): RunningFit | undefined {
  if (runningCount === 0) return undefined;
  for (let i = 0; i < running.length; i++) if (!running[i]!.done && running[i]!.seq > since) return running[i];
  return undefined;
}

/** Installs (or with no argument removes) the task's epoch-end step. */
export function setEpochEndListener(fn?: EpochEndListener): void {
  epochEndListener = fn;
}

/** The first batch-size refusal, even if the submission caught the error. */
export function batchSizeRefusal(): BatchSizeError | undefined {
  return refusal;
}

/**
 * From now on model.fit, fitDataset, trainOnBatch and makeTrainFunction throw `make(call)`.
 * Checked inside the wrappers installed before the submission loaded, so a
 * reference the submission took at load time is refused too.
 */
export function refuseModelTraining(make: (call: TrainingCall) => Error): void {
  trainingRefusal = make;
}

/** Every model.save so far (at most 10,000), in call order. */
export function modelSaves(): readonly SaveRecord[] {
  return saves;
}

export function installFitHooks(tf: Tf, maxBatchSize: number, progress: (p: Progress) => void): void {
  // Captured now, before the submission loads: it may patch Function.prototype.call, tf.CustomCallback…
  const { apply, defineProperty, getPrototypeOf } = Reflect;
  const { isArray } = Array, { values, hasOwn } = Object, toNumber = Number, { isFinite } = Number;
  const CustomCallback = tf.CustomCallback;
  const Tensor = tf.Tensor;
  const strSlice = String.prototype.slice, startsWith = String.prototype.startsWith;
  const push = Array.prototype.push;
  const promiseThen = Promise.prototype.then;
  /** p.then(onSettled, onSettled) with the then captured now (a submission may patch Promise.prototype.then). */
  const whenSettled = (p: unknown, onSettled: (v?: unknown) => void, onRejected = onSettled): boolean => {
    if (!p || typeof (p as { then?: unknown }).then !== 'function') return false;
    try {
      apply(promiseThen, p, [onSettled, onRejected]);
    } catch { // not a native promise
      (p as Promise<unknown>).then(onSettled, onRejected);
    }
    return true;
  };
  const wrapped = new WeakSet<object>();
  const addWrapped = WeakSet.prototype.add, hasWrapped = WeakSet.prototype.has;
  const proto = tf.LayersModel.prototype as unknown as Record<string, (...args: any[]) => any>;
  /**
   * Anything number-like counts (new Number(4096), '4096', { valueOf }): it is
   * converted once, checked, and that number is what TF.js gets, so a
   * valueOf that answers differently the second time changes nothing.
   */
  const checkBatch = (bs: unknown, where: string, site?: object): number => {
    const n = toNumber(bs);
    if (!isFinite(n) || n > maxBatchSize) {
      // Named by the student's own call (their model.fit, dataset.batch…), not TF.js' frames.
      const at = siteSuffix(site ?? captureSite());
      const e = studentError(new BatchSizeError(isFinite(n)
        ? `${where}: batch size ${n} exceeds this assignment's limit of ${maxBatchSize}${at}`
        : `${where}: batch size ${typeof bs === 'string' ? JSON.stringify(bs.slice(0, 40)) : String(n)} is not a finite number (the limit is ${maxBatchSize})${at}`), { noFrames: true });
      refusal ??= e;
      throw e;
    }
    return n;
  };
  const refuseIfAsked = (call: TrainingCall) => {
    if (trainingRefusal) throw trainingRefusal(call);
  };
  /** Which training call is running, and where the submission made it, for messages (not re-entrant: the latest one). */
  let active: 'model.fit' | 'model.fitDataset' | 'model.trainOnBatch' | undefined;
  let activeSite: object | undefined;
  let fitDatasets = 0;
  const during = <T>(call: NonNullable<typeof active>, site: object, run: () => T): T => {
    const before = active, beforeSite = activeSite;
    active = call;
    activeSite = site;
    let out: T;
    try {
      out = run();
    } catch (e) {
      active = before;
      activeSite = beforeSite;
      throw e;
    }
    const done = () => { active = before; activeSite = beforeSite; };
    if (!whenSettled(out, done)) done();
    return out;
  };
  /** Notes a fit/fitDataset as running until its promise settles (the runner checks none is left when the submission returns). */
  const track = (call: RunningFit['call'], site: object, seq: number, p: unknown) => {
    const entry: RunningFit = { call, site, seq, done: false };
    const done = () => {
      if (entry.done) return;
      entry.done = true;
      if (--runningCount === 0) running.length = 0;
    };
    apply(push, running, [entry]);
    runningCount++;
    if (!whenSettled(p, done)) done();
    return p;
  };

  // Epoch ends: the first callback marks the moment, the grader's own last one ends it.
  const marker = () => ({
    onEpochEnd: () => { inEpochEnd = ++epochEnds; },
  });
  const observer = (epochs: unknown, model: LayersModel, call: number) => ({
    onEpochEnd: async (epoch: number, logs?: Record<string, unknown>) => {
      inEpochEnd = undefined;
      const numeric = numericLogs(logs);
      progress({ phase: 'train', epoch: epoch + 1, epochs: typeof epochs === 'number' ? epochs : undefined, call, logs: numeric });
      if (epochEndListener) await epochEndListener(model, numeric);
    },
  });
  // tfjs accepts either callback objects or plain {onEpochEnd…} configs, but not a mix:
  // normalise everything to callback objects before adding ours.
  const asCallback = (cb: any) => (typeof cb?.setParams === 'function' ? cb : new CustomCallback(cb));
  const withObserver = (args: Record<string, any> | undefined, model: LayersModel, call: number) => {
    const cbs = args?.callbacks;
    const list = cbs === undefined || cbs === null ? [] : isArray(cbs) ? [...cbs] : [cbs];
    return { ...args, callbacks: [new CustomCallback(marker(), 'never'), ...list.map(asCallback), asCallback(observer(args?.epochs ?? 1, model, call))] };
  };
  /** A fit that ends (or fails) inside a callback leaves no epoch-end moment behind. */
  const settle = (p: unknown) => {
    const clear = () => { inEpochEnd = undefined; };
    whenSettled(p, clear);
    return p;
  };

  const fit = proto.fit!;
  proto.fit = function (this: LayersModel, x: unknown, y: unknown, args?: Record<string, any>) {
    refuseIfAsked('model.fit');
    const site = captureSite(), seq = ++fitCalls;
    const config: Record<string, unknown> = withObserver(args, this, seq); // reads args' getters once
    const bs = hasOwn(config, 'batchSize') ? config.batchSize : undefined;
    // An own data property: no getter (on args or a prototype) can answer tfjs differently later.
    defineProperty(config, 'batchSize', { value: checkBatch(bs ?? 32, 'model.fit', site), enumerable: true, writable: true, configurable: true }); // 32: tfjs' default
    return track('model.fit', site, seq, settle(during('model.fit', site, () => apply(fit, this, [x, y, config]))));
  };
  const fitDataset = proto.fitDataset!;
  proto.fitDataset = function (this: LayersModel, ds: unknown, args?: Record<string, any>) {
    refuseIfAsked('model.fitDataset');
    const site = captureSite(), seq = ++fitCalls;
    const config = withObserver(args, this, seq);
    fitDatasets++;
    let p: unknown;
    try {
      p = during('model.fitDataset', site, () => apply(fitDataset, this, [ds, config]));
    } catch (e) {
      fitDatasets--;
      throw e;
    }
    const done = () => { fitDatasets--; };
    if (!whenSettled(p, done)) done();
    return track('model.fitDataset', site, seq, settle(p));
  };
  const trainOnBatch = proto.trainOnBatch!;
  proto.trainOnBatch = function (this: LayersModel, x: unknown, ...rest: unknown[]) {
    refuseIfAsked('model.trainOnBatch');
    const site = captureSite();
    const first = isArray(x) ? x[0] : x && typeof x === 'object' && !('shape' in x) ? values(x)[0] : x;
    const rows = (first as { shape?: unknown[] } | undefined)?.shape?.[0];
    if (rows !== undefined && rows !== null) checkBatch(rows, 'model.trainOnBatch', site);
    return during('model.trainOnBatch', site, () => apply(trainOnBatch, this, [x, ...rest]));
  };
  // The Layers training step that fit, fitDataset and trainOnBatch all run: its first input's rows are the batch.
  const makeTrainFunction = proto.makeTrainFunction!;
  proto.makeTrainFunction = function (this: LayersModel, ...a: unknown[]) {
    refuseIfAsked('model.makeTrainFunction');
    const step = apply(makeTrainFunction, this, a) as (data: unknown[]) => unknown;
    return function (this: unknown, data: unknown[]) {
      const rows = isArray(data) ? (data[0] as { shape?: unknown[] } | undefined)?.shape?.[0] : undefined;
      if (rows !== undefined && rows !== null) checkBatch(rows, `${active ?? 'the training step'} (a batch it was given)`, activeSite);
      return apply(step, this, [data]);
    };
  };
  const save = proto.save!;
  proto.save = function (this: LayersModel, handlerOrUrl: unknown, ...rest: unknown[]) {
    if (saves.length < MAX_SAVES) {
      const record: SaveRecord = {};
      if (inEpochEnd !== undefined) record.epoch = inEpochEnd;
      if (typeof handlerOrUrl === 'string' && apply(startsWith, handlerOrUrl, ['file://'])) record.fileUrlPath = apply(strSlice, handlerOrUrl, [7]) as string;
      apply(push, saves, [record]);
    }
    // A failed save (a folder outside the writable one, say) fails inside TF.js' async steps: the
    // student's line is the one calling save.
    const site = captureSite();
    const p = apply(save, this, [handlerOrUrl, ...rest]);
    whenSettled(p, () => {}, (e) => noteSite(e, site));
    return p;
  };

  const dsProto = tf.data.Dataset.prototype as unknown as Record<string, (...args: any[]) => any>;
  const batch = dsProto.batch!;
  dsProto.batch = function (this: unknown, size: unknown, ...rest: unknown[]) {
    return apply(batch, this, [checkBatch(size, 'dataset.batch', captureSite()), ...rest]);
  };

  /**
   * A dataset element's batch: the rows of its tensors of rank ≥ 2 (a single
   * example of rank ≥ 2, an image row, has its height there; rank-1 tensors
   * are left alone, since a feature row [784] is not a batch of 784).
   */
  const checkElement = (value: unknown) => {
    const where = fitDatasets > 0 ? 'model.fitDataset (a batch its dataset yielded)' : 'dataset iterator (a batch it yielded to a hand-written loop)';
    const stack: unknown[] = [value];
    let seen = 0;
    while (stack.length && seen < 64) {
      const v = stack.pop();
      seen++;
      if (v instanceof Tensor) {
        const shape = v.shape;
        if (shape.length >= 2) checkBatch(shape[0], where);
      } else if (isArray(v)) {
        for (let i = 0; i < v.length && i < 64; i++) stack.push(v[i]);
      } else if (v && typeof v === 'object' && getPrototypeOf(v) === Object.prototype) {
        const vs = values(v);
        for (let i = 0; i < vs.length && i < 64; i++) stack.push(vs[i]);
      }
    }
  };
  /** Every iterator a dataset hands out checks the elements it yields (forEachAsync, toArray and fitDataset use it too). */
  const checkedIterator = (it: unknown) => {
    if (!it || typeof it !== 'object' || apply(hasWrapped, wrapped, [it])) return it;
    const next = (it as { next?: unknown }).next;
    if (typeof next !== 'function') return it;
    apply(addWrapped, wrapped, [it]);
    defineProperty(it, 'next', {
      value: async function (this: unknown, ...a: unknown[]) {
        const r = await apply(next, it, a) as { done?: boolean; value?: unknown } | undefined;
        if (r && !r.done) checkElement(r.value);
        return r;
      },
      writable: true, configurable: true, enumerable: false,
    });
    return it;
  };
  // tf.data builds every dataset as an instance of its own anonymous subclass with its own
  // iterator(), so no prototype method can be wrapped. Every Dataset constructor does set
  // `this.size` though (tfjs-data's compiled classes assign it): an accessor on the prototype
  // sees each new dataset and gives it an iterator() that checks what it yields.
  const giveCheckedIterator = (ds: object) => {
    defineProperty(ds, 'iterator', {
      value: async function (this: unknown, ...a: unknown[]) {
        const own = (getPrototypeOf(ds) as { iterator?: unknown } | null)?.iterator;
        if (typeof own !== 'function') throw new TypeError('dataset.iterator is not a function');
        return checkedIterator(await apply(own, ds, a));
      },
      writable: true, configurable: true, enumerable: false,
    });
  };
  if (!hasOwn(dsProto, 'size')) {
    defineProperty(dsProto, 'size', {
      configurable: true,
      enumerable: false,
      get() { return null; },
      set(this: object, v: unknown) {
        defineProperty(this, 'size', { value: v, writable: true, enumerable: true, configurable: true });
        if (!hasOwn(this, 'iterator')) giveCheckedIterator(this);
      },
    });
  }
}

/** The epoch's logs for the grader: at most 32 keys of at most 64 characters, finite numbers only. */
function numericLogs(logs?: Record<string, unknown>): Record<string, number> | undefined {
  if (!logs || typeof logs !== 'object') return undefined;
  const out: Record<string, number> = {};
  let kept = 0;
  for (const k of Object.keys(logs)) {
    if (kept >= 32) break;
    if (k.length > 64) continue;
    let n: unknown;
    try {
      const v = logs[k];
      n = typeof v === 'number' ? v : typeof (v as { dataSync?: unknown })?.dataSync === 'function' ? (v as { dataSync(): Float32Array }).dataSync()[0] : undefined;
    } catch {
      continue;
    }
    if (typeof n === 'number' && Number.isFinite(n)) { out[k] = n; kept++; }
  }
  return out;
}
