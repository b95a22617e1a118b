// mnist-cnn: see README.md for the contract and the rubric.
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

// images: [55000, 28, 28, 1] float32 in [0, 1]; labels: [55000] int32 digits 0–9.
// Return the trained model: input [n, 28, 28, 1] → 10 class scores (softmax).
export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number; maxBatchSize: number; timeLimitSec: number }): Promise<tf.LayersModel> {
  // 1. tf.sequential: conv2d (relu) → maxPooling2d, perhaps a second conv → pool block,
  //    then flatten → dense (relu) → dense(10, softmax).
  // 2. model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] }).
  // 3. await model.fit(images, labels.toFloat(), { epochs, batchSize, validationSplit }).
  throw new Error('not implemented yet');
}
