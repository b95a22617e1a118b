// Weak for WORK1.4: "saving the weights" saves the whole model again, so
// there is no weights-only artifact.
import * as tf from '@tensorflow/tfjs';

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 64, activation: 'tanh' }), tf.layers.dense({ units: 64, activation: 'tanh' }), tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 120, batchSize: 64, verbose: 0 });
  return model;
}

export const saveWeights = (model: tf.LayersModel, dir: string) => model.save(`file://${dir}`);
export const loadWeights = (dir: string) => tf.loadLayersModel(`file://${dir}/model.json`);
export const saveModel = (model: tf.LayersModel, dir: string) => model.save(`file://${dir}`);
export const loadModel = (dir: string) => tf.loadLayersModel(`file://${dir}/model.json`);
