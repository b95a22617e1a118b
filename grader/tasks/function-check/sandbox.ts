// Sandbox half of the function checks (notes 001, lab 7 and lab 8). The run
// stage calls each exported function on the inputs the grader drew and
// returns what came back, as numbers and shapes; a function that is missing,
// throws or returns something unusable fails its own cases, never the run.
// Then it builds a one-layer model with the submission's ScaleShift class,
// predicts with it, saves it into out/scored-model/ (shared/saved-model.ts)
// and, as an integrity signal, reloads it in this process with the class the
// submission registered. The verify stage, a fresh process with no submission
// code, hands the saved model.json to the grader and rebuilds the model with
// the grader's own ScaleShift (the statement's definition) and the saved
// weights, and predicts.
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { SandboxTaskContext, SandboxTaskModule } from '../types.ts';
import { disposeReturned, kindOf, numbersOf } from '../shared/images.ts';
import { readSavedModel, saveScoredModel, savedModelProblem, SCORED_MODEL_DIR } from '../shared/saved-model.ts';
import type { CaseOut, FunctionCheckOutputs, FunctionCheckVerify, Inputs } from './host.ts';

type Tf = SandboxTaskContext['tf'];
type Tensor = import('@tensorflow/tfjs').Tensor;

// Captured at load, before the submission.
const { readFileSync, lstatSync } = fs;

const MAX_MESSAGE = 400;

function message(e: unknown): string {
  const text = e instanceof Error ? (e.message ? `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}` : e.name || 'Error') : `it threw ${String(e)}`;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/** A returned value as numbers and shape (tensors disposed), or why it cannot be read. */
async function caseOf(tf: Tf, out: unknown, what: string): Promise<CaseOut> {
  try {
    const { values, shape } = await numbersOf(tf, out, what);
    disposeReturned(tf, out);
    if (values.length > 10_000) return { error: `${what} returned ${values.length} numbers; far more than the case needs` };
    return { values: values.map((v) => (Number.isFinite(v) ? v : null)), shape };
  } catch (e) {
    return { error: message(e) };
  }
}

/** Calls `sub[name]` once per case; each case's result, or the reason it has none. */
async function callEach<C>(tf: Tf, sub: Record<string, unknown>, name: string, signature: string, cases: C[], args: (c: C) => unknown[], read: (out: unknown) => Promise<CaseOut>): Promise<CaseOut[]> {
  const fn = sub[name];
  if (typeof fn !== 'function') return cases.map(() => ({ error: `the submission does not export a function \`${signature}\`` }));
  const out: CaseOut[] = [];
  for (const c of cases) {
    try {
      out.push(await read(await (fn as Function)(...args(c))));
    } catch (e) {
      out.push({ error: `${name}() threw: ${message(e)}` });
    }
  }
  return out;
}

async function run(sub: Record<string, unknown>, ctx: SandboxTaskContext): Promise<FunctionCheckOutputs> {
  const { tf } = ctx;
  const inputs = ctx.params.inputs as Inputs;
  ctx.progress({ phase: 'predict' });

  const standardize = await callEach(tf, sub, 'standardize', 'standardize(x)', inputs.standardize, (c) => [tf.tensor2d(c.x)], (o) => caseOf(tf, o, 'standardize()'));
  const toOneHot = await callEach(tf, sub, 'toOneHot', 'toOneHot(labels, depth)', inputs.toOneHot, (c) => [c.labels.slice(), c.depth], (o) => caseOf(tf, o, 'toOneHot()'));
  const gradOfCubic = await callEach(tf, sub, 'gradOfCubic', 'gradOfCubic(coefficients, xs)', inputs.gradOfCubic, (c) => [c.coefficients.slice(), tf.tensor1d(c.xs)], (o) => caseOf(tf, o, 'gradOfCubic()'));
  const regressionStep = await callEach(tf, sub, 'linearRegressionStep', 'linearRegressionStep(w, b, x, y, lr)', inputs.regressionStep,
    (c) => [tf.tensor1d(c.w), tf.scalar(c.b), tf.tensor2d(c.x), tf.tensor1d(c.y), c.lr],
    async (o) => {
      const r = o as { w?: unknown; b?: unknown } | undefined;
      if (!r || typeof r !== 'object' || r instanceof tf.Tensor || Array.isArray(r) || r.w === undefined || r.b === undefined) {
        return { error: `linearRegressionStep() returned ${r && typeof r === 'object' && !(r instanceof tf.Tensor) && !Array.isArray(r) ? `an object without ${r.w === undefined ? 'w' : 'b'}` : kindOf(tf, r)}; return { w, b }: the new weights [m] and bias` };
      }
      const w = await caseOf(tf, r.w, 'linearRegressionStep().w'), b = await caseOf(tf, r.b, 'linearRegressionStep().b');
      if ('error' in w) return w;
      if ('error' in b) return b;
      if (b.values.length !== 1) return { error: `linearRegressionStep().b has ${b.values.length} numbers; return the bias as one number (or a scalar tensor)` };
      return { values: [...w.values, b.values[0]!], shape: [w.values.length + 1] };
    });

  return { standardize, toOneHot, gradOfCubic, regressionStep, layer: await layerChecks(tf, sub, inputs.layer, ctx.outDir) };
}

async function layerChecks(tf: Tf, sub: Record<string, unknown>, L: Inputs['layer'], outDir: string): Promise<FunctionCheckOutputs['layer']> {
  const d = L.x[0]!.length;
  const Cls = sub.ScaleShift;
  if (typeof Cls !== 'function') {
    const error = 'the submission does not export a class `ScaleShift` (export class ScaleShift extends tf.layers.Layer)';
    return { outputs: [{ error }, { error }], saved: false, saveError: error };
  }
  let model: import('@tensorflow/tfjs').LayersModel;
  let layer: import('@tensorflow/tfjs').layers.Layer;
  try {
    layer = new (Cls as new (a: object) => import('@tensorflow/tfjs').layers.Layer)({ inputShape: [d], initialScale: L.initialScale, initialShift: L.initialShift });
    if (!(layer instanceof tf.layers.Layer)) throw new Error(`new ScaleShift(…) gave ${kindOf(tf, layer)}, not a tf.layers.Layer`);
    model = tf.sequential({ layers: [layer] });
  } catch (e) {
    const named = typeof (Cls as { className?: unknown }).className === 'string' ? '' : '; the class has no `static className = \'ScaleShift\'`, which TF.js needs to name, save and load it';
    const error = `building tf.sequential({ layers: [new ScaleShift({ inputShape: [${d}], initialScale: ${L.initialScale}, initialShift: ${L.initialShift} })] }) failed: ${message(e)}${named}`;
    return { outputs: [{ error }, { error }], saved: false, saveError: error };
  }
  const predict = async (m: import('@tensorflow/tfjs').LayersModel, what: string): Promise<CaseOut> => {
    try {
      const x = tf.tensor2d(L.x);
      const y = m.predict(x) as Tensor;
      x.dispose();
      return await caseOf(tf, y, what);
    } catch (e) {
      return { error: `${what} failed: ${message(e)}` };
    }
  };
  const outputs: CaseOut[] = [await predict(model, 'model.predict()')];
  try {
    layer.setWeights([tf.tensor1d(L.scale), tf.tensor1d(L.shift)]);
    outputs.push(await predict(model, 'model.predict() after setWeights([scale, shift])'));
  } catch (e) {
    outputs.push({ error: `layer.setWeights([scale, shift]) with two tensors of shape [${d}] failed: ${message(e)}` });
  }
  // Saved with the save captured before the submission loaded: the verify stage reads this copy.
  try {
    await saveScoredModel(model, outDir);
  } catch (e) {
    return { outputs, saved: false, saveError: message(e) };
  }
  // The submission's own class, as it registered it, reloads the saved files here: an integrity signal.
  let ownReload: CaseOut;
  try {
    const dir = join(outDir, SCORED_MODEL_DIR);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[] };
    const bytes = readFileSync(join(dir, 'weights.bin'));
    const reloaded = await tf.loadLayersModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      }),
    });
    ownReload = await predict(reloaded, 'the reloaded model\'s predict()');
  } catch (e) {
    ownReload = { error: `tf.loadLayersModel of the saved model failed in your process: ${message(e)} (register the class: tf.serialization.registerClass(ScaleShift))` };
  }
  return { outputs, saved: true, ownReload };
}

/** The grader's own ScaleShift, as the statement defines it: y = x · scale + shift, per feature of the last axis. Registered in the verify stage only. */
function graderScaleShift(tf: Tf) {
  type Args = ConstructorParameters<typeof tf.layers.Layer>[0] & { initialScale?: number; initialShift?: number };
  class ScaleShift extends tf.layers.Layer {
    static className = 'ScaleShift';
    private readonly initialScale: number;
    private readonly initialShift: number;
    private scale?: import('@tensorflow/tfjs').LayerVariable;
    private shift?: import('@tensorflow/tfjs').LayerVariable;
    constructor(args: Args) {
      super(args);
      this.initialScale = args.initialScale ?? 1;
      this.initialShift = args.initialShift ?? 0;
    }
    override build(inputShape: import('@tensorflow/tfjs').Shape | import('@tensorflow/tfjs').Shape[]) {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as import('@tensorflow/tfjs').Shape;
      const d = shape[shape.length - 1]!;
      this.scale = this.addWeight('scale', [d], 'float32', tf.initializers.constant({ value: this.initialScale }));
      this.shift = this.addWeight('shift', [d], 'float32', tf.initializers.constant({ value: this.initialShift }));
      this.built = true;
    }
    override call(inputs: Tensor | Tensor[]) {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.tidy(() => x.mul(this.scale!.read()).add(this.shift!.read()));
    }
    override getConfig() {
      return { ...super.getConfig(), initialScale: this.initialScale, initialShift: this.initialShift };
    }
  }
  tf.serialization.registerClass(ScaleShift);
}

/** Trusted: no submission code runs here. The saved model.json, and the model rebuilt from it with the grader's ScaleShift. */
async function verify(ctx: SandboxTaskContext): Promise<FunctionCheckVerify> {
  const { tf } = ctx;
  const result: FunctionCheckVerify = { modelJson: null, reload: null, errors: [] };
  let read;
  try {
    read = readSavedModel(ctx.artifactsDir!);
    result.modelJson = read.text;
  } catch (e) {
    result.errors.push(savedModelProblem(e));
    return result;
  }
  try {
    graderScaleShift(tf);
    const dir = join(ctx.artifactsDir!, SCORED_MODEL_DIR);
    const manifest = read.json.weightsManifest as { paths?: unknown; weights?: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[] | undefined;
    if (!Array.isArray(manifest) || manifest.length !== 1 || !Array.isArray(manifest[0]!.weights)) throw new Error('model.json has no weightsManifest');
    const st = lstatSync(join(dir, 'weights.bin'), { throwIfNoEntry: false });
    if (!st?.isFile()) throw new Error('scored-model/weights.bin is missing or not a regular file');
    if (st.size > 1 << 20) throw new Error('the saved weights are larger than 1 MiB; a one-layer ScaleShift model needs a few bytes');
    const bytes = readFileSync(join(dir, 'weights.bin'));
    if (bytes.length > 1 << 20) throw new Error('the saved weights are larger than 1 MiB; a one-layer ScaleShift model needs a few bytes');
    const model = await tf.loadLayersModel({
      load: async () => ({ modelTopology: read.json.modelTopology, weightSpecs: manifest[0]!.weights, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }),
    });
    const x = tf.tensor2d(ctx.params.x as number[][]);
    const y = model.predict(x) as Tensor;
    result.reload = await caseOf(tf, y, 'the reloaded model');
    x.dispose();
  } catch (e) {
    const text = `the grader's ScaleShift could not rebuild the saved model: ${message(e)}`;
    result.reload = { error: text };
    result.errors.push(text);
  }
  return result;
}

export const functionCheckSandbox: SandboxTaskModule = { run, verify };
