// Reference for tf-fundamentals (notes 001, lab 7 and lab 8): tensor
// operations and conversions, automatic differentiation with tf.grad and
// tf.variableGrads, and a custom layer that serialises.
import * as tf from '@tensorflow/tfjs-node';

/** Column-wise standardisation: (x − mean) / std, the population std of each column (tf.moments). */
export function standardize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return x.sub(mean).div(variance.sqrt());
  });
}

/** Integer labels (a plain array) → a one-hot float tensor [n, depth]. */
export function toOneHot(labels: number[], depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), depth).toFloat() as tf.Tensor2D);
}

/** f(x) = a·x³ + b·x² + c·x + d; its derivative at each x, by automatic differentiation. */
export function gradOfCubic(coefficients: number[], xs: tf.Tensor1D): tf.Tensor1D {
  const [a, b, c, d] = coefficients as [number, number, number, number];
  const f = (x: tf.Tensor) => x.pow(3).mul(a).add(x.square().mul(b)).add(x.mul(c)).add(d);
  return tf.grad(f)(xs) as tf.Tensor1D;
}

/** One step of gradient descent on mean((x·w + b − y)²), with tf.variableGrads. */
export function linearRegressionStep(w: tf.Tensor1D, b: tf.Scalar, x: tf.Tensor2D, y: tf.Tensor1D, lr: number): { w: tf.Tensor1D; b: tf.Scalar } {
  const wv = tf.variable(w), bv = tf.variable(b);
  const { grads } = tf.variableGrads(() => x.matMul(wv.expandDims(1)).squeeze([1]).add(bv).sub(y).square().mean() as tf.Scalar, [wv, bv]);
  const out = tf.tidy(() => ({ w: wv.sub(grads[wv.name]!.mul(lr)) as tf.Tensor1D, b: bv.sub(grads[bv.name]!.mul(lr)) as tf.Scalar }));
  tf.dispose([wv, bv, ...Object.values(grads)]);
  return out;
}

/** y = x · scale + shift, one scale and one shift per feature of the last axis. */
export class ScaleShift extends tf.layers.Layer {
  static className = 'ScaleShift';
  readonly initialScale: number;
  readonly initialShift: number;
  private scale?: tf.LayerVariable;
  private shift?: tf.LayerVariable;

  constructor(config: ConstructorParameters<typeof tf.layers.Layer>[0] & { initialScale?: number; initialShift?: number } = {}) {
    super(config);
    this.initialScale = config.initialScale ?? 1;
    this.initialShift = config.initialShift ?? 0;
  }

  override build(inputShape: tf.Shape | tf.Shape[]) {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const d = shape[shape.length - 1]!;
    this.scale = this.addWeight('scale', [d], 'float32', tf.initializers.constant({ value: this.initialScale }));
    this.shift = this.addWeight('shift', [d], 'float32', tf.initializers.constant({ value: this.initialShift }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]) {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => x.mul(this.scale!.read()).add(this.shift!.read()));
  }

  override getConfig() {
    return { ...super.getConfig(), initialScale: this.initialScale, initialShift: this.initialShift };
  }
}
tf.serialization.registerClass(ScaleShift);
