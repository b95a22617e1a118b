// binary-roc: see README.md for the contract and the rubric. Self-check with:
//   npx dlgrade check binary-roc path/to/this-file.ts
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

// images: [n, 28, 28, 1] float32 in [0, 1], about 11,000 shirts and T-shirts/tops;
// labels: [n] int32, 1 = shirt, 0 = T-shirt/top.
// Return { model, threshold }: score() receives `model`; an image counts as a shirt when its score ≥ threshold.
export async function train(
  { images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D },
  ctx: { seed: number; maxBatchSize: number; timeLimitSec: number; outDir: string },
): Promise<{ model: tf.LayersModel; threshold: number }> {
  // 1. Keep some images back for validation.
  // 2. Build a model with ONE output (sigmoid), compile with binaryCrossentropy, fit on the rest.
  // 3. Score the validation images, look at accuracy (or the ROC curve) per threshold, and choose one.
  throw new Error('not implemented yet');
}

/** One score per image ([n] or [n, 1]): larger = more likely a shirt. */
export async function score(model: tf.LayersModel, images: tf.Tensor4D): Promise<tf.Tensor> {
  return tf.tidy(() => (model.predict(images) as tf.Tensor).reshape([-1]));
}
