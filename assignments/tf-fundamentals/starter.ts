// tf-fundamentals: see README.md for the contract and the rubric.
import * as tf from '@tensorflow/tfjs-node'; // or '@tensorflow/tfjs': the grader provides the backend

/** x: [n, m]. Each column standardised: (x − column mean) / column std (population std, as tf.moments gives). */
export function standardize(x: tf.Tensor2D): tf.Tensor2D {
  throw new Error('not implemented yet'); // tf.moments(x, 0), sub, div, sqrt
}

/** labels: a plain array of n integers in [0, depth). Returns [n, depth]: 1 at each label, 0 elsewhere. */
export function toOneHot(labels: number[], depth: number): tf.Tensor2D {
  throw new Error('not implemented yet'); // tf.tensor1d(labels, 'int32'), tf.oneHot
}

/** f(x) = a·x³ + b·x² + c·x + d with [a, b, c, d] = coefficients. Returns f'(x) at each x of xs, by tf.grad. */
export function gradOfCubic(coefficients: number[], xs: tf.Tensor1D): tf.Tensor1D {
  throw new Error('not implemented yet'); // const f = (x: tf.Tensor) => …; return tf.grad(f)(xs)
}

/**
 * One step of gradient descent, learning rate lr, on the loss mean((x·w + b − y)²).
 * w: [m], b: scalar, x: [n, m], y: [n]. Returns the new { w, b }.
 */
export function linearRegressionStep(w: tf.Tensor1D, b: tf.Scalar, x: tf.Tensor2D, y: tf.Tensor1D, lr: number): { w: tf.Tensor1D; b: tf.Scalar } {
  throw new Error('not implemented yet'); // tf.variable, tf.variableGrads (or tf.train.sgd(lr).minimize)
}

/**
 * y = x · scale + shift, one scale and one shift per feature of the last axis.
 * Config: { initialScale = 1, initialShift = 0, …the usual layer options (inputShape, name) }.
 * Weights, created in build() in this order: 'scale' [d], 'shift' [d], initialised to the constants.
 */
export class ScaleShift extends tf.layers.Layer {
  static className = 'ScaleShift';
  constructor(config: ConstructorParameters<typeof tf.layers.Layer>[0] & { initialScale?: number; initialShift?: number } = {}) {
    super(config);
    // keep initialScale / initialShift
  }
  override build(inputShape: tf.Shape | tf.Shape[]) {
    // this.addWeight('scale', [d], 'float32', tf.initializers.constant({ value: … })), then 'shift'
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    throw new Error('not implemented yet');
  }
  // override getConfig() { return { ...super.getConfig(), initialScale: …, initialShift: … }; }
}
// tf.serialization.registerClass(ScaleShift);
