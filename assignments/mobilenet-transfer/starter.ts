// mobilenet-transfer (WORK6) — starter. Self-check: npx dlgrade check mobilenet-transfer this-file.ts
import * as tf from '@tensorflow/tfjs-node';

interface Ctx {
  /** The pretrained MobileNetV2, rebuilt for your input size and cut after the layer you name. */
  loadBase(options?: { inputSize?: number; cutAt?: string; trainable?: boolean; bnMomentum?: number; freezeBatchNorm?: boolean }): Promise<tf.LayersModel>;
  baseLayers: string[];
  epochs: number; // 5: the grader measures validation accuracy after each epoch, up to this one
  maxBatchSize: number;
  seed: number;
}

const SIZE = 64;
let base: tf.LayersModel;

function preprocess(images: tf.Tensor4D): tf.Tensor4D {
  // TODO: MobileNetV2 expects 3 channels in [-1, 1]; images are 1 channel in [0, 1].
  return tf.tidy(() => tf.image.resizeBilinear(images, [SIZE, SIZE]).tile([1, 1, 1, 3]) as tf.Tensor4D);
}

async function features(images: tf.Tensor4D): Promise<tf.Tensor> {
  // TODO: in chunks of a few hundred images, so memory stays bounded.
  return base.predict(preprocess(images), { batchSize: 128 }) as tf.Tensor;
}

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: Ctx) {
  // TODO: choose where to cut the base (ctx.baseLayers lists the layers; try a *_relu layer before out_relu).
  base = await ctx.loadBase({ inputSize: SIZE, cutAt: 'out_relu' });
  const n = 1000; // TODO: how many training images can you afford (features cost ~6 ms of CPU per image at 64×64)?
  const x = await features(images.slice([0], [n]));
  const y = labels.slice([0], [n]).toFloat();
  // TODO: your top. Keep it small.
  const head = tf.sequential({
    layers: [tf.layers.globalAveragePooling2d({ inputShape: x.shape.slice(1) as number[] }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  head.compile({ optimizer: tf.train.sgd(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] }); // TODO: optimizer and learning rate
  await head.fit(x, y, { epochs: ctx.epochs, batchSize: 64, shuffle: true, verbose: 0 });
  return head;
}

// Called by the grader after each epoch, with the model being trained and the validation images [n, 28, 28, 1].
export async function predict(model: tf.LayersModel, images: tf.Tensor4D) {
  return model.predict(await features(images)) as tf.Tensor;
}
