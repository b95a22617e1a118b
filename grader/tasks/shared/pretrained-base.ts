// Sandbox side of a pretrained base (grader/data/pretrained.ts prepares the
// files): loads model.json + weights.bin as a tf.LayersModel, optionally
// rebuilt for another input size and cut at a named layer (the classifier on
// top dropped), with only the weights of the kept layers loaded.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ContractError } from '../types.ts';

type Tf = typeof import('@tensorflow/tfjs');
type LayersModel = import('@tensorflow/tfjs').LayersModel;

export interface BaseOptions {
  /** [height, width, channels] of the rebuilt input (default: the topology's own). */
  inputShape?: [number, number, number];
  /** The layer (or layers) whose output becomes the model's output; later layers are dropped. */
  cutAt?: string | string[];
  /** Sets every kept layer's trainable flag (default: as stored). */
  trainable?: boolean;
  /** Overrides the momentum of every BatchNormalization layer (Keras stores 0.99/0.999). */
  bnMomentum?: number;
  /**
   * BatchNormalization layers always run in inference mode (stored statistics,
   * gamma/beta frozen), as Keras 2 does for trainable=false. TF.js itself does
   * not: inside fit() a BN layer uses batch statistics and updates its moving
   * averages whatever its trainable flag says.
   */
  freezeBatchNorm?: boolean;
  /** Name of the rebuilt model. */
  name?: string;
}

interface LayerConfig { name: string; class_name: string; config: Record<string, any>; inbound_nodes: any[] }
interface ModelJson {
  modelTopology: { model_config?: { class_name: string; config: GraphConfig }; class_name?: string; config?: GraphConfig; [k: string]: unknown };
  weightsManifest: { paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[];
}
interface GraphConfig { name: string; layers: LayerConfig[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] }

/** The layer names of a stored model, in topology order (cheap: reads model.json only). */
export function baseLayerNames(modelJsonPath: string): string[] {
  return graphOf(readModelJson(modelJsonPath)).layers.map((l) => l.name);
}

function readModelJson(path: string): ModelJson {
  return JSON.parse(readFileSync(path, 'utf8')) as ModelJson;
}

function graphOf(json: ModelJson): GraphConfig {
  const g = json.modelTopology.model_config?.config ?? json.modelTopology.config;
  if (!g || !Array.isArray(g.layers) || !Array.isArray(g.output_layers)) throw new Error('the pretrained base is not a functional Layers model (no layers / output_layers in its topology)');
  return g;
}

/** The layers `outputs` depend on (inbound_nodes followed backwards), in topology order. */
function ancestors(g: GraphConfig, outputs: string[]): Set<string> {
  const byName = new Map(g.layers.map((l) => [l.name, l]));
  const keep = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const name = stack.pop()!;
    if (keep.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new Error(`the pretrained base's topology refers to a missing layer ${name}`);
    keep.add(name);
    for (const node of layer.inbound_nodes ?? []) for (const inbound of node as [string, ...unknown[]][]) stack.push(inbound[0]);
  }
  return keep;
}

/** Loads the base at `modelJsonPath` (weights in the files its manifest names, next to it). */
export async function loadPretrainedBase(tf: Tf, modelJsonPath: string, opts: BaseOptions = {}): Promise<LayersModel> {
  const json = readModelJson(modelJsonPath);
  const topology = structuredClone(json.modelTopology);
  const g = (topology.model_config?.config ?? topology.config) as GraphConfig;
  graphOf({ ...json, modelTopology: topology });
  const names = new Set(g.layers.map((l) => l.name));

  const cut = opts.cutAt === undefined ? undefined : Array.isArray(opts.cutAt) ? opts.cutAt : [opts.cutAt];
  if (cut) {
    for (const c of cut) {
      if (typeof c !== 'string' || !names.has(c)) throw new ContractError(`loadBase: the base has no layer named ${JSON.stringify(c)} (some of its layers: ${[...names].filter((n) => /relu|mixed|add|concat/i.test(n)).slice(-12).join(', ')}, …)`);
    }
    const keep = ancestors(g, cut);
    g.layers = g.layers.filter((l) => keep.has(l.name));
    g.output_layers = cut.map((c) => [c, 0, 0]);
  }
  if (opts.inputShape) {
    const [h, w, c] = opts.inputShape;
    for (const l of g.layers) if (l.class_name === 'InputLayer') l.config.batch_input_shape = [null, h, w, c];
  }
  for (const l of g.layers) {
    if (opts.trainable !== undefined && l.class_name !== 'InputLayer') l.config.trainable = opts.trainable;
    if (opts.bnMomentum !== undefined && l.class_name === 'BatchNormalization') l.config.momentum = opts.bnMomentum;
  }
  if (opts.name) g.name = opts.name;

  const kept = new Set(g.layers.map((l) => l.name));
  const layerOf = (weightName: string) => weightName.slice(0, weightName.indexOf('/'));
  const allSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = json.weightsManifest.flatMap((group) => group.paths).map((p) => readFileSync(join(dirname(modelJsonPath), p)));
  const bytes = Buffer.concat(buffers);
  // Decode everything (uint8-quantized values become float32), then keep the kept layers' tensors.
  const all = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), allSpecs);
  const named: Record<string, import('@tensorflow/tfjs').Tensor> = {};
  for (const [name, t] of Object.entries(all)) {
    if (kept.has(layerOf(name))) named[name] = t;
    else t.dispose();
  }

  let model: LayersModel;
  try {
    const inner = (topology.model_config ?? topology) as unknown as import('@tensorflow/tfjs').serialization.ConfigDict;
    model = (await tf.models.modelFromJSON({ modelTopology: inner } as never)) as LayersModel;
  } catch (e) {
    tf.dispose(Object.values(named));
    throw new ContractError(`loadBase: the base does not build with ${JSON.stringify({ inputShape: opts.inputShape, cutAt: opts.cutAt })}: ${(e as Error).message}`);
  }
  const missing = model.weights.map((w) => w.originalName).filter((n) => !(n in named));
  if (missing.length) {
    tf.dispose(Object.values(named));
    model.dispose();
    throw new Error(`the pretrained base has no stored values for ${missing.length} weights (${missing.slice(0, 3).join(', ')}…)`);
  }
  model.loadWeights(named, true); // disposes `named`
  if (opts.freezeBatchNorm) {
    for (const layer of model.layers) {
      if (layer.getClassName() !== 'BatchNormalization') continue;
      layer.trainable = false;
      const call = layer.call;
      layer.call = function (this: typeof layer, inputs, kwargs) {
        return call.call(this, inputs, { ...kwargs, training: false });
      };
    }
  }
  return model;
}
