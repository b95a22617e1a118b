// auto-mpg-regression: see README.md for the contract and the rubric.
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

// features: [n, 9] raw values in the order of `columns`; target: [n] miles per gallon.
// Return anything: the grader hands it back to predict().
export async function train({ features, target, columns }: { features: tf.Tensor2D; target: tf.Tensor1D; columns: string[] }, ctx: { seed: number }) {
  // Normalise the features (remember the statistics: predict needs them too),
  // build a tf.sequential regression model, compile it with an MSE loss, and model.fit it.
  throw new Error('not implemented yet');
}

// features: [m, 9] raw values of cars the model has not seen. Return [m] (or [m, 1]) predicted MPG.
export async function predict(trained: unknown, features: tf.Tensor2D): Promise<tf.Tensor> {
  throw new Error('not implemented yet');
}
