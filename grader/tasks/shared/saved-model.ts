// The scored model is the inspected model. Where an assignment's product is a
// Layers model, the run stage saves the model train() returned into
// out/scored-model/ (model.json + weights.bin); the grader copies that folder
// out and a verify process, with no student code loaded, reads it back:
// readSavedModel() for the topology (which the trusted host analyses with
// topology.ts) and loadSavedModel() for the model that makes the scored
// predictions, built-in layer classes only.
//
// Saving runs in the submission's realm, so the files hold whatever the
// realm's serialisation produced; that is fine because what is loaded is what
// is scored: a model.json that claims a structure the weights do not fit does
// not load, and one that loads is the model whose predictions count. The
// functions used here are captured when the sandbox halves load, before any
// submission code runs, so patching fs, tf.io routers or model.save later
// does not redirect the save.
import * as fs from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ContractError, type SandboxTaskContext } from '../types.ts';
import { predictClasses, readInt32s } from './images.ts';
import { customClasses, MAX_MODEL_JSON_BYTES, parseModelJsonText, savedModelOf, TopologyError, type SavedModel } from './topology.ts';

type Tf = typeof import('@tensorflow/tfjs');
type LayersModel = import('@tensorflow/tfjs').LayersModel;

/** The folder under out/ (and so under the verify stage's artifactsDir) holding the scored model. */
export const SCORED_MODEL_DIR = 'scored-model';
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
/** Most weight bytes the verify stage reads (the out/ folder itself is capped at 512 MiB). */
const MAX_WEIGHT_BYTES = 256 << 20;

// ---- captured at load, before the submission --------------------------------------------------
const { writeFileSync, mkdirSync, rmSync, readFileSync, lstatSync } = fs;
const stringify = JSON.stringify;
const bufferFrom = Buffer.from, bufferConcat = Buffer.concat;
const LayersModelCtor = tf.LayersModel;
const save = tf.LayersModel.prototype.save;
const isPrototypeOf = Object.prototype.isPrototypeOf;
const apply = Reflect.apply;

/** "Name: message", or the name alone (TF.js throws some AssertionErrors without a message). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.message) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  const cls = (e.constructor as { name?: unknown } | undefined)?.name;
  return `${typeof cls === 'string' && cls ? cls : e.name || 'Error'} without a message`;
}

const NOT_A_MODEL = 'train() must return the tf.LayersModel it trained: the grader saves it and scores the saved copy';

/** Is `m` a tf.LayersModel (checked against the class captured before the submission loaded)? */
function isLayersModel(m: unknown): m is LayersModel {
  return typeof m === 'object' && m !== null && apply(isPrototypeOf, LayersModelCtor.prototype, [m]) as boolean;
}

/**
 * Saves the model the submission returned into `outDir/scored-model/`.
 * A ContractError (BAD_SUBMISSION, with a message the student can act on)
 * when it is not a tf.LayersModel or does not save.
 */
export async function saveScoredModel(model: unknown, outDir: string): Promise<void> {
  if (!isLayersModel(model)) {
    const got = model === null ? 'null' : model === undefined ? 'undefined' : typeof model === 'object' ? 'an object that is no tf.LayersModel' : typeof model;
    throw new ContractError(`${NOT_A_MODEL}; it returned ${got}`);
  }
  const dir = join(outDir, SCORED_MODEL_DIR);
  rmSync(dir, { recursive: true, force: true }); // nothing the submission left there counts
  mkdirSync(dir, { recursive: true });
  const handler: import('@tensorflow/tfjs').io.IOHandler = {
    async save(artifacts) {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary model topologies are not supported');
      const parts = artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
      const weights = bufferConcat(parts.map((b) => bufferFrom(b as ArrayBuffer)));
      const modelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, WEIGHTS_BIN), weights);
      writeFileSync(join(dir, MODEL_JSON), stringify(modelJSON));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    },
  };
  try {
    await apply(save, model, [handler]);
  } catch (e) {
    throw new ContractError(`the grader saves the model train() returned (model.save) and scores the saved copy, but saving it failed: ${describe(e)}. A custom layer needs \`static className\` and a getConfig() that returns its options`);
  }
}

export interface ReadModel {
  /** model.json as read (at most MAX_MODEL_JSON_BYTES), for the host to analyse itself. */
  text: string;
  saved: SavedModel;
  json: { modelTopology: object; weightsManifest?: unknown };
}

/**
 * Verify stage: reads artifactsDir/scored-model/model.json (or `dir`/model.json: a model the
 * submission saved itself), bounded. Throws a message naming the problem.
 */
export function readSavedModel(artifactsDir: string, dir = SCORED_MODEL_DIR): ReadModel {
  const path = join(artifactsDir, dir, MODEL_JSON);
  let st: fs.Stats;
  try {
    st = lstatSync(path);
  } catch {
    throw new Error(`${dir}/${MODEL_JSON} is missing: ${dir === SCORED_MODEL_DIR ? 'the run stage did not save the model' : 'the submission did not save its model there'}`);
  }
  if (!st.isFile()) throw new Error(`${dir}/${MODEL_JSON} is not a regular file`);
  if (st.size > MAX_MODEL_JSON_BYTES) throw new Error(`${dir}/${MODEL_JSON} is larger than ${MAX_MODEL_JSON_BYTES >> 20} MiB`);
  const text = readFileSync(path, 'utf8');
  const json = parseModelJsonText(text) as ReadModel['json']; // size and nesting checked before parsing
  return { text, saved: savedModelOf(json), json };
}

/** Layers of the saved model whose class is not a TF.js built-in: the verify stage cannot load them. */
export class CustomLayerError extends Error {
  override name = 'CustomLayerError';
  constructor(readonly classes: string[]) {
    super(`the saved model uses layer classes that are not TF.js built-ins: ${classes.join(', ')}`);
  }
}

/**
 * Verify stage: the saved model as a tf.LayersModel, built from its topology
 * by TF.js with the built-in layer classes only (nothing of the submission is
 * loaded here) and its saved weights. CustomLayerError when the topology
 * names a class that is not built in.
 */
export async function loadSavedModel(tfx: Tf, artifactsDir: string, read: ReadModel): Promise<LayersModel> {
  const custom = [...new Set(customClasses(read.saved).map((l) => l.className || '(no class name)'))];
  if (custom.length) throw new CustomLayerError(custom);
  const dir = join(artifactsDir, SCORED_MODEL_DIR);
  const manifest = read.json.weightsManifest;
  if (!Array.isArray(manifest)) throw new Error(`${SCORED_MODEL_DIR}/${MODEL_JSON} has no weightsManifest`);
  const specs: import('@tensorflow/tfjs').io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  let bytes = 0;
  for (const group of manifest) {
    const paths = (group as { paths?: unknown }).paths, weights = (group as { weights?: unknown }).weights;
    if (!Array.isArray(paths) || !Array.isArray(weights)) throw new Error(`${SCORED_MODEL_DIR}/${MODEL_JSON}: a weightsManifest group without paths and weights`);
    for (const p of paths) {
      // Shards sit next to model.json: a plain file name, nothing that leads elsewhere.
      if (typeof p !== 'string' || !/^[A-Za-z0-9_.-]{1,200}$/.test(p) || p === '.' || p === '..') throw new Error(`${SCORED_MODEL_DIR}/${MODEL_JSON}: weight file ${stringify(p)} is not a plain file name`);
      const st = lstatSync(join(dir, p), { throwIfNoEntry: false });
      if (!st?.isFile()) throw new Error(`${SCORED_MODEL_DIR}/${p} is missing`);
      if ((bytes += st.size) > MAX_WEIGHT_BYTES) throw new Error(`the saved weights are larger than ${MAX_WEIGHT_BYTES >> 20} MiB`);
      buffers.push(readFileSync(join(dir, p)));
    }
    specs.push(...(weights as import('@tensorflow/tfjs').io.WeightsManifestEntry[]));
  }
  const all = Buffer.concat(buffers);
  const artifacts: import('@tensorflow/tfjs').io.ModelArtifacts = {
    modelTopology: read.json.modelTopology,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
  try {
    return await tfx.loadLayersModel({ load: async () => artifacts });
  } catch (e) {
    throw new Error(`the saved model does not load: TF.js cannot rebuild it from its model.json and weights (${describe(e)})`);
  }
}

/** A message for the report from whatever readSavedModel/loadSavedModel threw. */
export function savedModelProblem(e: unknown): string {
  if (e instanceof TopologyError) return `the saved model: ${e.message}`;
  return e instanceof Error ? e.message || describe(e) : String(e);
}

export interface SavedClassesVerify {
  /** The saved model's class for each evaluation image; null when it did not load. */
  classes: number[] | null;
  /** scored-model/model.json as saved; null when missing or unreadable. */
  modelJson: string | null;
  errors: string[];
}

/** What a verify stage classifies with the loaded model, and how it words a failure there. */
export interface SavedModelClassify {
  /** The class of every evaluated example; default: the evaluation images (files evalImages + evalIdx; params height, width, predictBatch). */
  classify?(model: LayersModel): Promise<number[]>;
  /** Words a failure while classifying that is not a ContractError (default: the problem as is). */
  predictFailed?(problem: string): string;
}

/**
 * Verify stage of a classifier: the saved model, loaded with built-in layers
 * only, classifies the evaluated examples. Problems are listed, not thrown, so
 * the grader still gets the model.json when the model does not load.
 */
export async function classifyWithSavedModel(ctx: SandboxTaskContext, customClassMessage: (classes: string[]) => string, how: SavedModelClassify = {}): Promise<SavedClassesVerify> {
  const { tf, params, files } = ctx;
  const { height: h, width: w, predictBatch } = params as Record<string, number>;
  const classify = how.classify ?? ((model: LayersModel) => predictClasses(tf, model, readFileSync(files.evalImages!), readInt32s(files.evalIdx!), h!, w!, predictBatch!));
  const result: SavedClassesVerify = { classes: null, modelJson: null, errors: [] };
  let predicting = false;
  try {
    const read = readSavedModel(ctx.artifactsDir!);
    result.modelJson = read.text;
    ctx.progress({ phase: 'load' });
    const model = await loadSavedModel(tf, ctx.artifactsDir!, read);
    ctx.progress({ phase: 'predict' });
    predicting = true;
    result.classes = await classify(model);
  } catch (e) {
    result.errors.push(e instanceof CustomLayerError ? customClassMessage(e.classes)
      : predicting && how.predictFailed && !(e instanceof ContractError) ? how.predictFailed(savedModelProblem(e))
        : savedModelProblem(e));
  }
  return result;
}
