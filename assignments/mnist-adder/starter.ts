// mnist-adder (WORK2) — starter. Self-check: npx dlgrade check mnist-adder this-file.ts
import * as tf from '@tensorflow/tfjs-node';

// TODO: a custom layer that fuses the two embeddings.
// class PairFusion extends tf.layers.Layer { static className = 'PairFusion'; computeOutputShape(…) { … } call(inputs) { … } }
// tf.serialization.registerClass(PairFusion);

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number }) {
  // TODO: one branch network, applied to both inputs (shared weights).
  const branch = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 64, activation: 'relu' })] });
  const a = tf.input({ shape: [28, 28, 1], name: 'a' }), b = tf.input({ shape: [28, 28, 1], name: 'b' });
  const joined = tf.layers.concatenate().apply([branch.apply(a) as tf.SymbolicTensor, branch.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const sum = tf.layers.dense({ units: 19, activation: 'softmax' }).apply(joined) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [a, b], outputs: sum });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  // TODO: a tf.data pipeline of pairs { xs: { a, b }, ys: oneHot(sum, 19) } and model.fitDataset(...).
  return model;
}

export async function predict(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) {
  return model.predict([a, b]) as tf.Tensor;
}
