// triplet-oneshot: see README.md for the contract and the rubric. Self-check with:
//   npx dlgrade check triplet-oneshot path/to/this-file.ts
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

// images: [n, 28, 28, 1] float32 in [0, 1]: MNIST training images of the digits 0, 1, 2, 4, 5, 6, 8, 9 only;
// labels: [n] int32, the digit. ctx.outDir: where to save your triplet model.
export async function train(
  { images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D },
  ctx: { seed: number; maxBatchSize: number; timeLimitSec: number; outDir: string },
): Promise<{ model: tf.LayersModel; threshold: number }> {
  // 1. One embedding network (e.g. a small CNN as a tf.sequential).
  // 2. The triplet model: three tf.input()s (anchor, positive, negative), the SAME network applied to each,
  //    outputs concatenated; loss max(|A-P|^2 - |A-N|^2 + alpha, 0) on (anchor, positive, negative) triplets.
  // 3. await triplet.save(`file://${ctx.outDir}/triplet-model`);
  // 4. Choose the distance threshold on validation pairs (best: pairs of one or two training digits you held
  //    out of training, unseen like the graded ones), and return { model: embedding, threshold }.
  throw new Error('not implemented yet');
}

/** One distance per pair a[i], b[i] ([k, 28, 28, 1]): larger = more likely different digits. */
export async function distance(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D): Promise<tf.Tensor> {
  return tf.tidy(() => (model.predict(a) as tf.Tensor).sub(model.predict(b) as tf.Tensor).square().sum(1));
}
