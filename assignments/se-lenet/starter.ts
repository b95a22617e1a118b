// se-lenet (WORK3) — starter. Self-check: npx dlgrade check se-lenet this-file.ts
import * as tf from '@tensorflow/tfjs-node';

// TODO: an SE block: globalAveragePooling2d → dense(c / r, relu) → dense(c, sigmoid) → reshape [1, 1, c] → multiply with x.
function seBlock(x: tf.SymbolicTensor, channels: number, name: string): tf.SymbolicTensor {
  return x; // not an SE block yet
}

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }) {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  x = seBlock(x, 6, 'se1');
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  // TODO: the rest of LeNet-5 (conv 16@5x5, pooling, dense 120, dense 84 named 'fc2').
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 84, activation: 'relu', name: 'fc2' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(images, labels.toFloat(), { epochs: 1, batchSize: 128, verbose: 0 });
  return model;
}

export async function features(model: tf.LayersModel, images: tf.Tensor4D) {
  // TODO: the feature maps after your first SE block and the 84-unit feature vector.
  const probe = tf.model({ inputs: model.inputs, outputs: [model.getLayer('conv1').output as tf.SymbolicTensor, model.getLayer('fc2').output as tf.SymbolicTensor] });
  const [maps, vectors] = probe.predict(images) as tf.Tensor[];
  return { maps, vectors };
}
