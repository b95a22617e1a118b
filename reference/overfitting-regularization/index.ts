// Reference for overfitting-regularization (notes 001, lab 5): one network,
// three ways. The baseline is big enough for 2,000 reviews to overfit within
// a few epochs; the second adds an L2 weight penalty to every hidden Dense
// kernel, the third a Dropout layer after each hidden Dense. Same layer sizes,
// same optimizer, same epochs: the grader measures each after every epoch.
import * as tf from '@tensorflow/tfjs-node';

interface Data { x: tf.Tensor2D; labels: tf.Tensor1D }
interface Ctx { seed: number; epochs: number; vocabSize: number }

function build(ctx: Ctx, variant: 'baseline' | 'l2' | 'dropout'): tf.Sequential {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: ctx.seed + i });
  const reg = variant === 'l2' ? { kernelRegularizer: tf.regularizers.l2({ l2: 0.02 }) } : {};
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [ctx.vocabSize], kernelInitializer: init(1), ...reg }));
  if (variant === 'dropout') model.add(tf.layers.dropout({ rate: 0.6, seed: ctx.seed }));
  model.add(tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(2), ...reg }));
  if (variant === 'dropout') model.add(tf.layers.dropout({ rate: 0.6, seed: ctx.seed + 1 }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(3) }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

export async function train({ x, labels }: Data, ctx: Ctx) {
  const y = labels.toFloat();
  const models = { baseline: build(ctx, 'baseline'), l2: build(ctx, 'l2'), dropout: build(ctx, 'dropout') };
  for (const [name, model] of Object.entries(models)) {
    const h = await model.fit(x, y, { epochs: ctx.epochs, batchSize: 128, validationSplit: 0.2, shuffle: true, verbose: 0 });
    const v = h.history.val_loss!.map(Number);
    console.log(`${name}: validation loss ${v.map((l) => l.toFixed(3)).join(' ')}`);
  }
  return models;
}
