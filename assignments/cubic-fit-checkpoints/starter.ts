// cubic-fit-checkpoints (WORK1.3) — starter.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }, ctx: { checkpointDir: string }) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 64, activation: 'tanh' }), tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  // TODO: a callback that saves `file://${ctx.checkpointDir}/epoch-${epoch + 1}` during training.
  await model.fit(x, y, { epochs: 100, batchSize: 64, verbose: 0 });
}

export async function restore(ctx: { checkpointDir: string }): Promise<tf.LayersModel> {
  // TODO: find the latest epoch-N folder in ctx.checkpointDir and load its model.json.
  throw new Error('restore() is not written yet');
}
