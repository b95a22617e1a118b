// Weak for tf-fundamentals: the tensor functions are right, but the
// derivative is worked out by hand and wrong (2·b·x written as b·x), and the
// custom layer does not serialise: it computes the right thing, but without
// getConfig its initialScale / initialShift are lost from model.json, and it
// is never registered with tf.serialization.registerClass, so TF.js cannot
// load the saved model in the student's own process either. It fails the
// gradient item, the saved-config item and the own-reload item.
import * as tf from '@tensorflow/tfjs';

export function standardize(x: tf.Tensor2D) {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return x.sub(mean).div(variance.sqrt());
  });
}

export function toOneHot(labels: number[], depth: number) {
  return tf.oneHot(tf.tensor1d(labels, 'int32'), depth);
}

export function gradOfCubic([a, b, c]: number[], xs: tf.Tensor1D) {
  // d/dx (a x³ + b x² + c x + d), by hand, with the factor 2 forgotten.
  return xs.square().mul(3 * a!).add(xs.mul(b!)).add(c!);
}

export function linearRegressionStep(w: tf.Tensor1D, b: tf.Scalar, x: tf.Tensor2D, y: tf.Tensor1D, lr: number) {
  const wv = tf.variable(w), bv = tf.variable(b);
  tf.train.sgd(lr).minimize(() => x.matMul(wv.expandDims(1)).squeeze([1]).add(bv).sub(y).square().mean() as tf.Scalar, false, [wv, bv]);
  return { w: wv, b: bv };
}

export class ScaleShift extends tf.layers.Layer {
  static className = 'ScaleShift';
  initialScale: number;
  initialShift: number;
  scale!: tf.LayerVariable;
  shift!: tf.LayerVariable;
  constructor(config: any) {
    super(config);
    this.initialScale = config.initialScale ?? 1;
    this.initialShift = config.initialShift ?? 0;
  }
  override build(inputShape: tf.Shape | tf.Shape[]) {
    const d = (inputShape as tf.Shape).at(-1)!;
    this.scale = this.addWeight('scale', [d], 'float32', tf.initializers.constant({ value: this.initialScale }));
    this.shift = this.addWeight('shift', [d], 'float32', tf.initializers.constant({ value: this.initialShift }));
  }
  override call(inputs: tf.Tensor | tf.Tensor[]) {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return x.mul(this.scale.read()).add(this.shift.read());
  }
}
