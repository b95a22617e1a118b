// Reference for fashion-mnist-classify (notes 001, lab 2): the Keras workflow
// as the lab teaches it: Sequential → compile → fit (with a validation split)
// → evaluate on held-out data; the grader does the predicting.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number }) {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: ctx.seed + i });
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dropout({ rate: 0.2, seed: ctx.seed }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

  // Keep the last 5,000 images out of training to evaluate on.
  const n = images.shape[0], held = Math.min(5000, Math.floor(n / 10));
  const [xTrain, xHeld] = tf.split(images, [n - held, held]);
  const y = labels.toFloat();
  const [yTrain, yHeld] = tf.split(y, [n - held, held]);
  await model.fit(xTrain!, yTrain!, { epochs: 8, batchSize: 128, shuffle: true, verbose: 0 });
  const [loss, acc] = model.evaluate(xHeld!, yHeld!, { batchSize: 512 }) as tf.Scalar[];
  console.log(`held-out loss ${(await loss!.data())[0]!.toFixed(4)}, accuracy ${(await acc!.data())[0]!.toFixed(4)}`);
  return model;
}
