// Reference for binary-roc (course notes 004, C4_W2): a small CNN with one
// sigmoid output, trained with binary cross-entropy on shirts (1) against
// T-shirts/tops (0). A tenth of the images is held out; the threshold is the
// one with the best accuracy on them (ROC analysis on the validation set,
// as the notes' step 5 has it), never a number fixed in advance.
import * as tf from '@tensorflow/tfjs-node';

const EPOCHS = 12;
/** Stop early rather than run into the time limit on a slow machine: 100 s of CPU time, or 40 % of a tighter limit. */
const budgetSec = (timeLimitSec: number) => Math.min(90, 0.3 * timeLimitSec);

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number; timeLimitSec: number }) {
  const init = (i: number) => tf.initializers.heNormal({ seed: ctx.seed + i });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.dropout({ rate: 0.3, seed: ctx.seed }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.seed + 4 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy', metrics: ['accuracy'] });

  // Hold out the last tenth (the images come in the training split's order, so both classes are in it).
  const n = images.shape[0], held = Math.max(1, Math.floor(n / 10));
  const [xTrain, xVal] = tf.split(images, [n - held, held]);
  const [yTrain, yVal] = tf.split(labels.toFloat(), [n - held, held]);
  const cpuSec = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const c0 = cpuSec();
  await model.fit(xTrain!, yTrain!, {
    epochs: EPOCHS, batchSize: 128, shuffle: true, verbose: 0,
    callbacks: { onEpochEnd: async (epoch, logs) => {
      console.log(`epoch ${epoch + 1}/${EPOCHS} loss ${logs!.loss!.toFixed(4)} accuracy ${logs!.acc!.toFixed(4)}`);
      if (cpuSec() - c0 > budgetSec(ctx.timeLimitSec)) { console.log('stopping: training budget used'); model.stopTraining = true; }
    } },
  });

  // The threshold with the best accuracy on the held-out images: every distinct score is a candidate.
  const p = Array.from(await (model.predict(xVal!) as tf.Tensor).data());
  const y = Array.from(await yVal!.data());
  const order = p.map((_, i) => i).sort((i, j) => p[i]! - p[j]!);
  let correct = y.filter((v) => v === 1).length; // a threshold below every score calls everything "shirt"
  let best = correct, bestT = p[order[0]!]! - 1e-6;
  for (let k = 0; k < order.length; k++) {
    correct += y[order[k]!] === 0 ? 1 : -1; // order[k] now falls below the threshold: called T-shirt
    const next = k + 1 < order.length ? p[order[k + 1]!]! : p[order[k]!]! + 1e-6;
    if (next === p[order[k]!]) continue;
    if (correct > best) { best = correct; bestT = (p[order[k]!]! + next) / 2; }
  }
  console.log(`validation: ${held} images, accuracy ${(best / held).toFixed(4)} at threshold ${bestT.toFixed(4)}`);
  tf.dispose([xTrain!, xVal!, yTrain!, yVal!]);
  return { model, threshold: bestT };
}

/** The probability of "shirt" for each image (`model` is the model train() returned with its threshold). */
export async function score(model: tf.LayersModel, images: tf.Tensor4D) {
  return tf.tidy(() => (model.predict(images) as tf.Tensor).reshape([-1]));
}
