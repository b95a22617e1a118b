// cubic-fit-save-restore (WORK1.4) — starter.
import * as tf from '@tensorflow/tfjs-node';

function buildModel() {
  return tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 64, activation: 'tanh' }), tf.layers.dense({ units: 1 })] });
}

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }) {
  const model = buildModel();
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 100, batchSize: 64, verbose: 0 });
  return model;
}

export async function saveWeights(model: tf.LayersModel, dir: string) {
  // TODO: weights only: dir/weights.json (manifest) + dir/weights.bin, no model.json.
}

export async function loadWeights(dir: string): Promise<tf.LayersModel> {
  // TODO: buildModel(), then load the saved weights into it.
  return buildModel();
}

export async function saveModel(model: tf.LayersModel, dir: string) {
  // TODO: the whole model (architecture + weights).
}

export async function loadModel(dir: string): Promise<tf.LayersModel> {
  // TODO
  return buildModel();
}
