// Reference for cubic-fit-checkpoints (WORK1.3): a callback saves a checkpoint
// at the end of every epoch; restore() loads the latest one.
import * as tf from '@tensorflow/tfjs-node';
import { readdirSync } from 'node:fs';

interface Ctx { seed: number; checkpointDir: string }

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }, ctx: Ctx) {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: ctx.seed + i });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [1], units: 64, activation: 'tanh', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 64, activation: 'tanh', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  // The ModelCheckpoint of Keras, as a custom callback: one checkpoint per epoch.
  const checkpoint = new tf.CustomCallback({
    onEpochEnd: async (epoch) => {
      if ((epoch + 1) % 10 === 0) await model.save(`file://${ctx.checkpointDir}/epoch-${epoch + 1}`);
    },
  });
  await model.fit(x, y, { epochs: 120, batchSize: 64, shuffle: true, verbose: 0, callbacks: [checkpoint] });
}

export async function restore(ctx: Ctx) {
  const epochs = readdirSync(ctx.checkpointDir).map((d) => Number(/^epoch-(\d+)$/.exec(d)?.[1])).filter(Number.isFinite);
  const latest = Math.max(...epochs);
  return tf.loadLayersModel(`file://${ctx.checkpointDir}/epoch-${latest}/model.json`);
}
