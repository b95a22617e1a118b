// Weak: the right layers, but the model is returned untrained, with a zero
// kernel and a positive bias, so it calls every review positive (about half
// of them are). Passes the Embedding item, fails accuracy.
import * as tf from '@tensorflow/tfjs-node';

export async function train(_data: unknown, ctx: { vocabSize: number; sequenceLength: number }) {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: ctx.vocabSize, outputDim: 16, inputLength: ctx.sequenceLength }),
      tf.layers.globalAveragePooling1d({}),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: 'zeros', biasInitializer: tf.initializers.constant({ value: 2 }) }),
    ],
  });
}
