// Changes to the TF.js engine itself (one engine per copy of tfjs, patched
// once): what no kernel or gradient registration can reach; and the one way
// this project replaces a method of a TF.js class.
import type * as TF from '@tensorflow/tfjs';

type Tf = typeof TF;

/**
 * Replaces `proto[name]` with `make(stock)`, once: the stock method stays
 * reachable as `proto.dlgradeStock` (the fused path falls back to it, tests
 * compare with it), and registering again leaves the patch as it is.
 */
export function patchMethodOnce<F extends (this: never, ...args: never[]) => unknown>(proto: object, name: string, make: (stock: F) => F): void {
  const p = proto as Record<string, F | undefined> & { dlgradeStock?: F };
  if (p.dlgradeStock) return;
  const stock = p[name]!;
  p.dlgradeStock = stock;
  p[name] = make(stock);
}

/**
 * A BatchNormalization layer built with scale=false (InceptionV3's, say) calls
 * batchNorm without a scale; on every backend the engine then breaks as soon
 * as a gradient flows through it: FusedBatchNorm's gradient lists `scale`
 * among the inputs to save (cloning `undefined` throws), and the tape walks
 * every input, `undefined` ones included. The gradient function already takes
 * a missing scale as 1, so drop trailing missing inputs before they are saved
 * (the others keep their positions) and leave missing inputs off the tape.
 */
export function patchMissingInputs(tf: Tf): void {
  type TapeNodeArgs = [string, Record<string, unknown>, ...unknown[]];
  const engine = tf.engine() as unknown as {
    getTensorsForGradient(k: string, i: unknown, o: unknown): unknown[];
    addTapeNode(...args: TapeNodeArgs): void;
    dlgradePatched?: boolean;
  };
  if (engine.dlgradePatched) return;
  const getSaved = engine.getTensorsForGradient.bind(engine);
  engine.getTensorsForGradient = (kernelName, inputs, outputs) => {
    const saved = getSaved(kernelName, inputs, outputs);
    if (kernelName === 'FusedBatchNorm') while (saved.length && saved[saved.length - 1] == null) saved.pop();
    return saved;
  };
  const addTapeNode = engine.addTapeNode.bind(engine);
  engine.addTapeNode = (kernelName, inputs, ...rest) => {
    const present = Object.values(inputs).every((t) => t != null) ? inputs : Object.fromEntries(Object.entries(inputs).filter(([, t]) => t != null));
    addTapeNode(kernelName, present, ...rest);
  };
  engine.dlgradePatched = true;
}

interface EngineInternals {
  clone(x: TF.Tensor): TF.Tensor;
  backendName: string;
  state: { gradientDepth: number; tensorInfo: { get(id: object): { backend: TF.KernelBackend } | undefined } };
  makeTensorFromDataId(dataId: object, shape: number[], dtype: TF.DataType, backend: TF.KernelBackend): TF.Tensor;
  dlgradeSharedClone?: boolean;
}

/**
 * The engine saves every tensor a gradient will need through Engine.clone:
 * an Identity kernel plus a tape node, about 20 a step on the MNIST MLP, each
 * paying the engine's whole per-kernel overhead. While a single tape records
 * (no gradient of a gradient), nothing differentiates through a saved copy,
 * so on wasm and cpu share the data by reference count (as their Identity
 * kernels do here) without a kernel or a tape node. Nested tapes keep stock's
 * clone: a second-order gradient flows through its tape node.
 */
export function shareSavedTensors(tf: Tf): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.dlgradeSharedClone) return;
  const stock = engine.clone.bind(engine);
  engine.clone = (x: TF.Tensor) => {
    const info = engine.state.tensorInfo.get(x.dataId);
    if (engine.state.gradientDepth > 1 || x.dtype === 'string' || !info || (engine.backendName !== 'wasm' && engine.backendName !== 'cpu')) return stock(x);
    info.backend.incRef(x.dataId);
    return engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype, info.backend);
  };
  engine.dlgradeSharedClone = true;
}
