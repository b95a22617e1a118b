// cubic-fit-custom-loop (WORK1.2) — starter. model.fit is disabled: write the loop yourself.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ x, y }: { x: tf.Tensor2D; y: tf.Tensor2D }, ctx: { seed: number }) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 32, activation: 'tanh' }), tf.layers.dense({ units: 1 })] });
  const optimizer = tf.train.adam(0.01);
  for (let epoch = 0; epoch < 1; epoch++) {
    // TODO: shuffle, iterate over mini-batches, and per batch:
    //   const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(yb, model.apply(xb) as tf.Tensor) as tf.Scalar);
    //   optimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
    //   dispose what you created
  }
  return model;
}

export async function predict(model: tf.LayersModel, x: tf.Tensor2D) {
  return model.predict(x) as tf.Tensor;
}
