// What the grader reads off a returned model. The built-in layer classes are
// snapshotted when the runner loads, before any submission code runs, so a
// custom class cannot pass itself off as a built-in one by name.
import * as tf from '@tensorflow/tfjs';

export interface LayerInfo {
  name: string;
  className: string;
  custom: boolean;
  inboundNodes: number;
  /** For each inbound node, the names of the layers feeding it. */
  inputs: string[][];
  /** A Dense/Conv/Activation layer's activation, if any. */
  activation?: string;
  params: number;
  /** Layers inside a nested model (a twin branch built as tf.sequential/tf.model). */
  children?: LayerInfo[];
}

export interface ModelInspection {
  isLayersModel: boolean;
  inputs: number;
  layers: LayerInfo[];
}

type Ctor = new (...args: never[]) => unknown;
let builtins: Map<string, Ctor> | undefined;

/** Call at module load (before the submission is required). */
export function snapshotBuiltinLayers(): void {
  const map = (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: Record<string, [Ctor, unknown]> }).classNameMap;
  builtins = new Map(Object.entries(map).map(([name, [ctor]]) => [name, ctor]));
}

function isCustom(layer: tf.layers.Layer): boolean {
  const name = layer.getClassName();
  const ctor = builtins?.get(name);
  return !ctor || layer.constructor !== ctor;
}

function describe(layer: tf.layers.Layer): LayerInfo {
  const nodes = (layer as unknown as { inboundNodes?: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes ?? [];
  let activation: string | undefined;
  try {
    const a = (layer.getConfig() as { activation?: unknown }).activation;
    if (typeof a === 'string') activation = a;
  } catch { /* a custom layer without getConfig */ }
  const info: LayerInfo = {
    name: layer.name,
    className: layer.getClassName(),
    custom: isCustom(layer),
    inboundNodes: nodes.length,
    inputs: nodes.map((n) => n.inboundLayers.map((l) => l.name)),
    ...(activation ? { activation } : {}),
    params: layer.countParams(),
  };
  if (layer instanceof tf.LayersModel) info.children = layer.layers.map(describe);
  return info;
}

export function inspectModel(model: unknown): ModelInspection {
  if (!(model instanceof tf.LayersModel)) return { isLayersModel: false, inputs: 0, layers: [] };
  // Custom layers count wherever they sit, nested branches included.
  const flat = (ls: LayerInfo[]): LayerInfo[] => ls.flatMap((l) => [l, ...flat(l.children ?? [])]);
  const top = model.layers.map(describe);
  return { isLayersModel: true, inputs: model.inputs.length, layers: flat(top).map(({ children: _c, ...l }) => l) };
}

snapshotBuiltinLayers();
