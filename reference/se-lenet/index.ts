// Reference for se-lenet (WORK3): LeNet-5 with a squeeze-and-excitation block
// after each convolution; features() returns the SE-scaled maps of the first
// block and the 84-unit feature vector.
import * as tf from '@tensorflow/tfjs-node';

/** Squeeze (global average) → excitation (dense, ReLU, dense, sigmoid) → scale the channels. */
function seBlock(x: tf.SymbolicTensor, channels: number, ratio: number, name: string, init: () => ReturnType<typeof tf.initializers.heNormal>) {
  const squeeze = tf.layers.globalAveragePooling2d({ name: `${name}_squeeze` }).apply(x) as tf.SymbolicTensor;
  const reduce = tf.layers.dense({ units: Math.max(2, Math.floor(channels / ratio)), activation: 'relu', kernelInitializer: init(), name: `${name}_reduce` }).apply(squeeze) as tf.SymbolicTensor;
  const gate = tf.layers.dense({ units: channels, activation: 'sigmoid', kernelInitializer: init(), name: `${name}_gate` }).apply(reduce) as tf.SymbolicTensor;
  const weights = tf.layers.reshape({ targetShape: [1, 1, channels], name: `${name}_weights` }).apply(gate) as tf.SymbolicTensor;
  return tf.layers.multiply({ name: `${name}_scale` }).apply([x, weights]) as tf.SymbolicTensor;
}

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number }) {
  let k = 0;
  const init = () => tf.initializers.heNormal({ seed: ctx.seed + k++ });
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(), name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  x = seBlock(x, 6, 2, 'se1', init);
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init(), name: 'conv2' }).apply(x) as tf.SymbolicTensor;
  x = seBlock(x, 16, 4, 'se2', init);
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 120, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  const vector = tf.layers.dense({ units: 84, activation: 'relu', kernelInitializer: init(), name: 'feature_vector' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }).apply(vector) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const n = images.shape[0];
  // Three passes over 50,000 images; more passes when the data is small.
  await model.fit(images, labels.toFloat(), { epochs: Math.max(3, Math.ceil(3000 / n)), batchSize: 128, shuffle: true, verbose: 0 });
  return model;
}

export async function features(model: tf.LayersModel, images: tf.Tensor4D) {
  const probe = tf.model({ inputs: model.inputs, outputs: [model.getLayer('se1_scale').output as tf.SymbolicTensor, model.getLayer('feature_vector').output as tf.SymbolicTensor] });
  const [maps, vectors] = probe.predict(images) as tf.Tensor[];
  return { maps, vectors };
}
