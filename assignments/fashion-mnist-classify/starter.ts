// fashion-mnist-classify: see README.md for the contract and the rubric.
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

// images: [55000, 28, 28, 1] float32 in [0, 1]; labels: [55000] int32 (0 = T-shirt/top … 9 = ankle boot).
// Return the trained model: input [n, 28, 28, 1] → 10 class scores.
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number; maxBatchSize: number; timeLimitSec: number }): Promise<tf.LayersModel> {
  // 1. Build a tf.sequential model (Flatten, Dense…).
  // 2. model.compile({ optimizer, loss, metrics }).
  // 3. model.fit on most of the images, keeping some back.
  // 4. model.evaluate on the images you kept back, and log what it says.
  throw new Error('not implemented yet');
}
