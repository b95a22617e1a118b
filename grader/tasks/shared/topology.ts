// What the trusted grader reads off a saved Layers model, from its model.json
// alone: no TF.js, no code of the submission. The file was written inside the
// sandbox, so everything here is bounded: at most MAX_MODEL_JSON_BYTES of
// text, nesting checked by a linear scan before JSON.parse, nested models
// followed MAX_MODEL_NESTING levels deep, MAX_LAYERS layers in all, and every
// walk over the graph iterative with a step budget (no recursion on the
// file's data).
//
// The format is TF.js's (tfjs-layers 4.x `model.save`): modelTopology is
// { class_name: 'Model' | 'Functional' | 'Sequential', config: { layers: [...] } };
// a layer of a functional graph is { name, class_name, config, inbound_nodes },
// each inbound node a list of [layerName, nodeIndex, tensorIndex, kwargs]
// references; a Sequential's layers have no inbound_nodes (each feeds the next).
import { jsonDepth } from '../../sandbox/bounded-json.ts';

export const MAX_MODEL_JSON_BYTES = 16 << 20;
/** JSON nesting allowed in model.json: a layer config sits ~12 levels down, each nested model adds ~4. */
export const MAX_JSON_DEPTH = 64;
/** Models inside models (a twin branch built as tf.sequential, itself holding a block…). */
export const MAX_MODEL_NESTING = 8;
export const MAX_LAYERS = 20_000;
/** Weights listed in the manifest (a MobileNetV2 has ~260). */
export const MAX_WEIGHTS = 200_000;
/** Steps any single walk over the graph may take. */
const MAX_WALK = 100_000;
/** Layers an SE block's excitation path may pass between the pooling and the Multiply. */
const MAX_SE_PATH = 16;

/**
 * TF.js's built-in Layers classes (tfjs-layers 4.22): the layer entries of
 * tf.serialization.SerializationMap whose class extends tf.layers.Layer, as
 * registered before any other code loads. test/topology.test.ts checks this
 * list against the installed TF.js.
 */
export const BUILTIN_LAYER_CLASSES: ReadonlySet<string> = new Set([
  'Activation', 'Add', 'AlphaDropout', 'Average', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'BatchNormalization', 'Bidirectional', 'CategoryEncoding', 'CenterCrop', 'Concatenate', 'Conv1D', 'Conv2D',
  'Conv2DTranspose', 'Conv3D', 'Conv3DTranspose', 'ConvLSTM2D', 'ConvLSTM2DCell', 'Cropping2D', 'Dense',
  'DepthwiseConv2D', 'Dot', 'Dropout', 'ELU', 'Embedding', 'Flatten', 'Functional', 'GRU', 'GRUCell',
  'GaussianDropout', 'GaussianNoise', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D',
  'GlobalMaxPooling2D', 'InputLayer', 'LSTM', 'LSTMCell', 'LayerNormalization', 'LeakyReLU', 'Masking',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'Maximum', 'Minimum', 'Model', 'Multiply', 'PReLU', 'Permute',
  'RNN', 'RandomWidth', 'ReLU', 'RepeatVector', 'Rescaling', 'Reshape', 'Resizing', 'SeparableConv2D', 'Sequential',
  'SimpleRNN', 'SimpleRNNCell', 'Softmax', 'SpatialDropout1D', 'StackedRNNCells', 'ThresholdedReLU',
  'TimeDistributed', 'UpSampling2D', 'ZeroPadding2D',
]);

const MODEL_CLASSES = new Set(['Model', 'Functional', 'Sequential']);

export class TopologyError extends Error {
  override name = 'TopologyError';
}

/** [layer name, node index, tensor index] of one tensor in a graph. */
export type TensorRef = [string, number, number];

export interface TopoLayer {
  name: string;
  /** class_name as saved; '' when missing or not a string. */
  className: string;
  /** The layer's config object ({} when missing). */
  config: Record<string, unknown>;
  /** Each call of the layer in its graph: the tensors it was applied to. */
  inbound: TensorRef[][];
  /** Trainable as saved, and every model around it trainable too. */
  trainable: boolean;
  /** Names of the models it sits in, outermost first ([] at the top level). */
  path: string[];
  /** A nested model (Sequential / Model / Functional) used as a layer. */
  isModel: boolean;
  /** Its graph: layers listed in the same config.layers (nested models start their own). */
  graph: number;
  /** Index (in layersOf's list) of the nested model it sits in; -1 at the top level. */
  parent: number;
}

/** A parsed model.json: the topology and the names of the saved weights. */
export interface SavedModel {
  modelTopology: Record<string, unknown>;
  weightNames: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Parses model.json text (or a bare modelTopology) with its size and nesting
 * checked first. Throws TopologyError with a message fit for a student.
 */
export function parseModelJson(text: string): SavedModel {
  return savedModelOf(parseModelJsonText(text));
}

/**
 * The model.json text a verify stage handed over, parsed under these bounds; undefined when there is
 * none or it does not parse (the verify stage read the same text under the same bounds and listed why).
 */
export function savedModelIn(text: unknown): SavedModel | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return parseModelJson(text);
  } catch {
    return undefined;
  }
}

/** JSON.parse of model.json text, refused (TopologyError) when too large or nested too deep. */
export function parseModelJsonText(text: string): unknown {
  if (typeof text !== 'string') throw new TopologyError('model.json is not text');
  // UTF-16 length ≤ bytes; the byte count is the bound the file was read under.
  if (text.length > MAX_MODEL_JSON_BYTES || Buffer.byteLength(text) > MAX_MODEL_JSON_BYTES) throw new TopologyError(`model.json is larger than ${MAX_MODEL_JSON_BYTES >> 20} MiB`);
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new TopologyError(`model.json is nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TopologyError(`model.json is not JSON (${(e as Error).message})`);
  }
}

/** The topology and weight names of an already parsed (and depth-checked) model.json. */
export function savedModelOf(parsed: unknown): SavedModel {
  if (!isObj(parsed)) throw new TopologyError('model.json is not a JSON object');
  const topology = isObj(parsed.modelTopology) ? parsed.modelTopology : 'class_name' in parsed ? parsed : undefined;
  if (!topology) throw new TopologyError('model.json has no modelTopology (was it saved with model.save?)');
  if (!isObj(topology.config) && !Array.isArray(topology.config)) throw new TopologyError('model.json: modelTopology has no config');
  const weightNames: string[] = [];
  if (Array.isArray(parsed.weightsManifest)) {
    for (const group of parsed.weightsManifest.slice(0, 10_000)) {
      if (!isObj(group) || !Array.isArray(group.weights)) continue;
      for (const w of group.weights.slice(0, MAX_WEIGHTS + 1)) if (isObj(w) && typeof w.name === 'string') weightNames.push(w.name);
      if (weightNames.length > MAX_WEIGHTS) throw new TopologyError(`model.json lists more than ${MAX_WEIGHTS} weights`);
    }
  }
  return { modelTopology: topology, weightNames };
}

function refOf(v: unknown): TensorRef | undefined {
  // [name, nodeIndex, tensorIndex, kwargs?]
  if (!Array.isArray(v) || typeof v[0] !== 'string') return undefined;
  const node = Number.isInteger(v[1]) ? (v[1] as number) : 0, tensor = Number.isInteger(v[2]) ? (v[2] as number) : 0;
  return [v[0], node, tensor];
}

function inboundOf(entry: Record<string, unknown>): TensorRef[][] {
  const nodes = entry.inbound_nodes;
  if (!Array.isArray(nodes)) return [];
  return nodes.slice(0, 1000).map((node) => (Array.isArray(node) ? node.slice(0, 1000).map(refOf).filter((r): r is TensorRef => !!r) : []));
}

function layerEntries(config: unknown): unknown[] {
  if (Array.isArray(config)) return config; // an old Sequential config: the layer list itself
  if (isObj(config) && Array.isArray(config.layers)) return config.layers;
  return [];
}

/**
 * Every layer of the model, nested models' layers included (after the nested
 * model itself), breadth-first and bounded. Accepts a SavedModel or a bare
 * modelTopology.
 */
export function layersOf(model: SavedModel | Record<string, unknown>): TopoLayer[] {
  const topology = 'modelTopology' in model && isObj(model.modelTopology) ? model.modelTopology : (model as Record<string, unknown>);
  const out: TopoLayer[] = [];
  let graphs = 0;
  // Work list of model configs to list: iterative, so nesting costs no stack.
  const queue: { config: unknown; sequential: boolean; path: string[]; trainable: boolean; parent: number }[] = [
    { config: topology.config, sequential: str(topology.class_name) === 'Sequential', path: [], trainable: !(isObj(topology.config) && topology.config.trainable === false), parent: -1 },
  ];
  for (let q = 0; q < queue.length; q++) {
    const { config, sequential, path, trainable, parent } = queue[q]!;
    const graph = graphs++;
    let previous: string | undefined;
    for (const raw of layerEntries(config)) {
      if (out.length >= MAX_LAYERS) throw new TopologyError(`model.json has more than ${MAX_LAYERS} layers`);
      if (!isObj(raw)) continue;
      const cfg = isObj(raw.config) ? raw.config : {};
      const className = str(raw.class_name);
      const name = str(raw.name) || str(cfg.name);
      // In a Sequential, each layer is applied once, to the previous layer's output.
      const inbound = sequential ? (previous !== undefined ? [[[previous, 0, 0] as TensorRef]] : []) : inboundOf(raw);
      const layer: TopoLayer = {
        name, className, config: cfg, inbound, path,
        trainable: trainable && cfg.trainable !== false,
        isModel: MODEL_CLASSES.has(className),
        graph,
        parent,
      };
      out.push(layer);
      previous = name;
      if (layer.isModel) {
        if (path.length + 1 > MAX_MODEL_NESTING) throw new TopologyError(`model.json nests models more than ${MAX_MODEL_NESTING} deep`);
        queue.push({ config: raw.config, sequential: className === 'Sequential', path: [...path, name], trainable: layer.trainable, parent: out.length - 1 });
      }
    }
  }
  return out;
}

/** The class names of layers that are not TF.js built-ins (a custom tf.layers.Layer subclass), with where they sit. */
export function customClasses(model: SavedModel | Record<string, unknown>): TopoLayer[] {
  return layersOf(model).filter((l) => !BUILTIN_LAYER_CLASSES.has(l.className));
}

/**
 * The sentence for a saved model whose SE block (or any part) is a custom
 * layer class: its insides are not in model.json, so the grader cannot see an
 * SE block there, nor load the model.
 */
export function customClassHint(classes: readonly string[]): string {
  const names = [...new Set(classes.map((c) => c || '(no class name)'))].slice(0, 5);
  return `the saved model has ${names.length === 1 ? `a custom layer class ${names[0]}` : `custom layer classes ${names.join(', ')}`} whose insides the grader cannot see; build the SE block from standard layers (globalAveragePooling2d, dense, reshape, multiply)`;
}

/**
 * Why a saved model shows no SE block, when the reason is visible in it: a
 * custom layer class (customClassHint), or no Multiply at all. Undefined when
 * it has SE blocks.
 */
export function seBlockHint(model: SavedModel | Record<string, unknown>): string | undefined {
  if (seBlocks(model).length) return undefined;
  const custom = customClasses(model);
  if (custom.length) return customClassHint(custom.map((l) => l.className));
  const layers = layersOf(model);
  if (!layers.some((l) => l.className === 'Multiply')) return 'the saved model has no multiply layer: an SE block scales the feature map by tf.layers.multiply() with a gate of globalAveragePooling2d → dense → dense (sigmoid) → reshape';
  return 'no multiply in the saved model scales a feature map by a sigmoid gate computed from globalAveragePooling2d of that same map (through dense layers)';
}

/**
 * Which layers hold weights: a layer owns the saved weights named
 * "<its name>/…"; a nested model holds weights when a layer inside it does.
 * Linear in layers and weight names.
 */
function weighted(layers: TopoLayer[], weightNames: readonly string[]): boolean[] {
  const owners = new Set<string>();
  for (const w of weightNames) {
    // Every prefix ending before a '/', up to 4 of them (layer names rarely hold a '/').
    for (let i = w.indexOf('/'), k = 0; i > 0 && k < 4; i = w.indexOf('/', i + 1), k++) owners.add(w.slice(0, i));
  }
  const has = layers.map((l) => owners.has(l.name));
  // Children come after their model in layersOf's order: walking back reaches every child first.
  for (let i = layers.length - 1; i >= 0; i--) if (has[i] && layers[i]!.parent >= 0) has[layers[i]!.parent] = true;
  return has;
}

/**
 * Layers (or nested models) called more than once in their graph: one set of
 * weights applied to several inputs, i.e. a weight-shared twin branch. With
 * `weightedOnly` (the default, when the saved weight names are known) only
 * those holding weights count: a shared Flatten is no twin.
 */
export function sharedLayers(model: SavedModel | Record<string, unknown>, opts: { weightedOnly?: boolean } = {}): TopoLayer[] {
  const layers = layersOf(model);
  const names = 'weightNames' in model && Array.isArray(model.weightNames) ? (model.weightNames as string[]) : undefined;
  const holds = (opts.weightedOnly ?? true) && names !== undefined ? weighted(layers, names) : undefined;
  return layers.filter((l, i) => l.inbound.length >= 2 && (!holds || holds[i]));
}

/** Trainable flag of every layer, by name (nested models' layers included). */
export function trainableByLayer(model: SavedModel | Record<string, unknown>): Record<string, boolean> {
  const out: Record<string, boolean> = Object.create(null);
  for (const l of layersOf(model)) out[l.path.length ? `${l.path.join('/')}/${l.name}` : l.name] = l.trainable;
  return out;
}

interface Graph {
  byName: Map<string, TopoLayer>;
}

function graphsOf(layers: TopoLayer[]): Map<number, Graph> {
  const graphs = new Map<number, Graph>();
  for (const l of layers) {
    let g = graphs.get(l.graph);
    if (!g) graphs.set(l.graph, (g = { byName: new Map() }));
    if (!g.byName.has(l.name)) g.byName.set(l.name, l);
  }
  return graphs;
}

/**
 * The inputs of the call of `layer` that produced a tensor of node `node`.
 * A nested model's own node 0 is its internal one, so its calls in the outer
 * graph are numbered from 1.
 */
function callInputs(layer: TopoLayer, node: number): TensorRef[] | undefined {
  const k = layer.isModel ? node - 1 : node;
  return layer.inbound[k] ?? (layer.isModel ? layer.inbound[node] : undefined);
}

const sameRef = (a: TensorRef, b: TensorRef) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/** Layers an SE excitation path may pass through between the pooling and the Multiply. */
const EXCITATION = new Set(['Dense', 'Reshape', 'Activation', 'Dropout', 'Flatten', 'Permute']);
const GATES = new Set(['sigmoid', 'hard_sigmoid', 'hardSigmoid']);

export interface SeBlock {
  /** The Multiply scaling the feature map. */
  multiply: string;
  /** The GlobalAveragePooling2D squeezing it. */
  pool: string;
  /** The feature map scaled: the tensor both the pooling and the Multiply read. */
  featureMap: string;
  /** Dense layers of the excitation, from the pooling to the gate. */
  dense: string[];
  path: string[];
}

/**
 * Squeeze-and-excitation blocks: a Multiply of a feature map X by a gate that
 * comes, through Dense layers (Reshape/Activation/Dropout/Flatten/Permute
 * allowed in between), from a GlobalAveragePooling2D of that same X; the
 * excitation ends in a sigmoid (the nearest Dense or Activation to the
 * Multiply has activation sigmoid or hard_sigmoid).
 */
export function seBlocks(model: SavedModel | Record<string, unknown>): SeBlock[] {
  const layers = layersOf(model);
  const graphs = graphsOf(layers);
  const blocks: SeBlock[] = [];
  for (const m of layers) {
    if (m.className !== 'Multiply') continue;
    const g = graphs.get(m.graph)!;
    let block: SeBlock | undefined;
    for (const ins of m.inbound) {
      if (ins.length !== 2) continue;
      block = seGate(g, m, ins[0]!, ins[1]!) ?? seGate(g, m, ins[1]!, ins[0]!);
      if (block) break;
    }
    if (block) blocks.push(block);
  }
  return blocks;
}

/** Does `s` gate `x`: a path back from s through the excitation to a GlobalAveragePooling2D of x? */
function seGate(g: Graph, m: TopoLayer, x: TensorRef, s: TensorRef): SeBlock | undefined {
  let ref: TensorRef | undefined = s;
  let gate: string | undefined; // the activation nearest the Multiply
  const dense: string[] = [];
  for (let steps = 0; ref && steps < MAX_SE_PATH; steps++) {
    const cur = g.byName.get(ref[0]);
    if (!cur) return undefined;
    const input = callInputs(cur, ref[1]);
    if (cur.className === 'GlobalAveragePooling2D') {
      if (!input || input.length !== 1 || !sameRef(input[0]!, x)) return undefined;
      if (dense.length === 0 || !gate || !GATES.has(gate)) return undefined;
      return { multiply: m.name, pool: cur.name, featureMap: x[0], dense: dense.reverse(), path: m.path };
    }
    if (!EXCITATION.has(cur.className)) return undefined;
    if (cur.className === 'Dense' || cur.className === 'Activation') {
      const a = str(cur.config.activation);
      if (gate === undefined && a && a !== 'linear') gate = a;
      if (cur.className === 'Dense') dense.push(cur.name);
    }
    ref = input && input.length === 1 ? input[0] : undefined;
  }
  return undefined;
}

/**
 * Add layers that join a tensor with one of its own ancestors: a skip
 * (residual) connection. Returns the Add layers' names.
 */
export function residualAdds(model: SavedModel | Record<string, unknown>): string[] {
  const layers = layersOf(model);
  const graphs = graphsOf(layers);
  const out: string[] = [];
  let budget = MAX_WALK;
  const key = (r: TensorRef) => `${r[0]}\u0000${r[1]}\u0000${r[2]}`;
  for (const add of layers) {
    if (add.className !== 'Add') continue;
    const g = graphs.get(add.graph)!;
    const residual = add.inbound.some((ins) => ins.length >= 2 && ins.some((target, i) => ins.some((start, j) => {
      if (i === j) return false;
      // Is `target` an ancestor of `start`? Iterative walk back from `start`.
      const seen = new Set<string>();
      const stack: TensorRef[] = [start];
      while (stack.length) {
        if (--budget < 0) return false;
        const r = stack.pop()!;
        const k = key(r);
        if (seen.has(k)) continue;
        seen.add(k);
        if (r !== start && sameRef(r, target)) return true;
        const layer = g.byName.get(r[0]);
        const input = layer && callInputs(layer, r[1]);
        if (input) for (const p of input) stack.push(p);
      }
      return false;
    })));
    if (residual) out.push(add.name);
  }
  return out;
}
