// The 'file://' model IO that @tensorflow/tfjs-node provides, in plain JS, so
// submissions written for tfjs-node can model.save('file://dir') and
// tf.loadLayersModel('file://dir/model.json') on any backend. Also used by the
// grader to load pretrained models shipped inside npm packages.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';

type Tf = typeof import('@tensorflow/tfjs');
type Artifacts = tfTypes.io.ModelArtifacts;

const SCHEME = 'file://';

function toBuffer(data: tfTypes.io.WeightData | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((b) => Buffer.from(b)));
}

/** Saves to a folder (model.json + weights.bin) or loads from a model.json path, like tfjs-node. */
export function fileSystem(tf: Tf, path: string): tfTypes.io.IOHandler {
  return {
    async save(artifacts: Artifacts): Promise<tfTypes.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('file:// saving of binary model topologies is not supported');
      const dir = path.endsWith('.json') ? dirname(path) : path;
      const jsonPath = path.endsWith('.json') ? path : join(dir, 'model.json');
      mkdirSync(dir, { recursive: true });
      const weights = toBuffer(artifacts.weightData);
      const modelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        trainingConfig: artifacts.trainingConfig,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dirname(jsonPath), 'weights.bin'), weights);
      writeFileSync(jsonPath, JSON.stringify(modelJSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(modelJSON as tfTypes.io.ModelJSON) };
    },
    async load(): Promise<Artifacts> {
      const jsonPath = statSync(path).isDirectory() ? join(path, 'model.json') : path;
      let modelJSON: tfTypes.io.ModelJSON;
      try {
        modelJSON = JSON.parse(readFileSync(jsonPath, 'utf8'));
      } catch (e) {
        throw new Error(`${jsonPath}: cannot read model JSON (${(e as Error).message})`);
      }
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const buffers = manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(jsonPath), p))));
        const all = Buffer.concat(buffers);
        return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
      });
    },
  };
}

let registered = false;

/** Routes 'file://…' URLs of model.save / tf.loadLayersModel / tf.loadGraphModel to fileSystem(). */
export function registerFileRouter(tf: Tf): void {
  if (registered) return;
  registered = true;
  const route = (url: string | string[]) => {
    if (Array.isArray(url) || !url.startsWith(SCHEME)) return null;
    return fileSystem(tf, url.slice(SCHEME.length));
  };
  // tfjs routers return null for URLs they do not handle; its type says IOHandler.
  const router = route as unknown as Parameters<Tf['io']['registerSaveRouter']>[0];
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
}
