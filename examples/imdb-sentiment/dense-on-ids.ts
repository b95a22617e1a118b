// Weak: no Embedding. The word ids go straight into Dense layers as if they
// were measurements (id 4,817 is not "more" than id 12), so the model learns
// little beyond the review's length. Fails the accuracy and the Embedding items.
import * as tf from '@tensorflow/tfjs-node';

export async function train({ sequences, labels }: { sequences: tf.Tensor2D; labels: tf.Tensor1D }, ctx: { vocabSize: number; sequenceLength: number }) {
  const model = tf.sequential({
    layers: [
      tf.layers.rescaling({ scale: 1 / ctx.vocabSize, inputShape: [ctx.sequenceLength] }),
      tf.layers.dense({ units: 16, activation: 'relu' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  await model.fit(sequences.toFloat(), labels.toFloat(), { epochs: 3, batchSize: 256, verbose: 0 });
  return model;
}
