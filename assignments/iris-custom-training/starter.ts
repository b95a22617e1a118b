// iris-custom-training: see README.md for the contract and the rubric.
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

// features: [120, 4] (sepal length/width, petal length/width in cm); labels: [120] int32 species ids;
// classes: ['setosa', 'versicolor', 'virginica']. model.fit is disabled in this assignment.
export async function train({ features, labels, classes }: { features: tf.Tensor2D; labels: tf.Tensor1D; classes: string[] }, ctx: { seed: number }) {
  // Build a model, write a loss function, and loop over epochs and mini-batches yourself:
  // optimizer.minimize(() => loss) or tf.variableGrads + optimizer.applyGradients.
  throw new Error('not implemented yet');
}

// Return [m, 3] class scores (or [m] class ids) for the flowers in `features`.
export async function predict(trained: unknown, features: tf.Tensor2D): Promise<tf.Tensor> {
  throw new Error('not implemented yet');
}
