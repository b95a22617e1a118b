// Reference for cubic-fit-save-restore (WORK1.4): weights only (the
// architecture lives in code), and the whole model (architecture + weights).
import * as tf from '@tensorflow/tfjs-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function buildModel(seed: number) {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed + i });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [1], units: 64, activation: 'tanh', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 64, activation: 'tanh', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
}

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }, ctx: { seed: number }) {
  const model = buildModel(ctx.seed);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 120, batchSize: 64, shuffle: true, verbose: 0 });
  return model;
}

/** Weights only: a manifest (weights.json) and one binary shard, like Keras' save_weights. */
export async function saveWeights(model: tf.LayersModel, dir: string) {
  const { data, specs } = await tf.io.encodeWeights(model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })));
  writeFileSync(join(dir, 'weights.bin'), Buffer.from(data));
  writeFileSync(join(dir, 'weights.json'), JSON.stringify([{ paths: ['weights.bin'], weights: specs }]));
}

export async function loadWeights(dir: string) {
  const [group] = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8'));
  const bytes = readFileSync(join(dir, group.paths[0]));
  const named = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), group.weights);
  const model = buildModel(0); // same architecture, fresh weights...
  model.setWeights(group.weights.map((s: { name: string }) => named[s.name]!)); // ...replaced by the saved ones
  return model;
}

export async function saveModel(model: tf.LayersModel, dir: string) {
  await model.save(`file://${dir}`);
}

export async function loadModel(dir: string) {
  return tf.loadLayersModel(`file://${dir}/model.json`);
}
