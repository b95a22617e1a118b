// Siamese MNIST (WORK4) — starter. Fill in the TODOs, then self-check with:
//   npx dlgrade check siamese-mnist path/to/this-file.ts
import * as tf from '@tensorflow/tfjs-node'; // the grader hands you its backend, whichever import you use

/** What the grader passes to train(). */
export interface TrainData {
  images: tf.Tensor4D; // [50000, 28, 28, 1], float32 in [0, 1]
  labels: tf.Tensor1D; // [50000], int32 digit 0..9
}
export interface TrainContext {
  seed: number; // use it for reproducible sampling
  maxBatchSize: number; // 512: larger batches are refused
  timeLimitSec: number; // 300 for load + train + predict together
}

/**
 * Train your siamese network and return whatever `distance` needs (usually the embedding model).
 * TODO: 1. a make_batch that samples balanced pairs (half same digit, half different; every digit and
 *          every digit combination equally often);
 *       2. a shared embedding network applied to both images;
 *       3. a distance between the two embeddings and a loss on it (e.g. contrastive loss);
 *       4. a training loop (model.fit on pair inputs, or optimizer.minimize); watch for exploding gradients.
 */
export async function train(data: TrainData, ctx: TrainContext): Promise<tf.LayersModel> {
  const embed = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 32 })] });
  // TODO: train `embed` on balanced pairs.
  return embed;
}

/**
 * One distance per pair: a[i] and b[i] are two images ([n, 28, 28, 1], float32 in [0, 1]).
 * Larger must mean "more likely different digits" (label 1). Return a tensor or array of n numbers.
 */
export async function distance(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D): Promise<tf.Tensor1D> {
  return tf.tidy(() => {
    const ea = model.predict(a) as tf.Tensor2D;
    const eb = model.predict(b) as tf.Tensor2D;
    return ea.sub(eb).square().sum(1).sqrt() as tf.Tensor1D;
  });
}
