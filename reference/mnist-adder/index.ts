// Reference for mnist-adder (WORK2): one small CNN branch shared by both
// images, a custom fusion layer, a softmax over the 19 possible sums, and a
// tf.data pipeline of random pairs feeding model.fitDataset.
import * as tf from '@tensorflow/tfjs-node';

/** Order-invariant fusion of the two embeddings: a+b, a·b and |a−b|. */
class PairFusion extends tf.layers.Layer {
  static className = 'PairFusion';
  computeOutputShape(shapes: tf.Shape[]): tf.Shape {
    const s = shapes[0]!;
    return [s[0]!, (s[1] as number) * 3];
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = inputs as tf.Tensor[];
      return tf.concat([a!.add(b!), a!.mul(b!), a!.sub(b!).abs()], 1);
    });
  }
}
tf.serialization.registerClass(PairFusion);

const BATCH = 128;

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number; timeLimitSec: number }) {
  const init = (i: number) => tf.initializers.heNormal({ seed: ctx.seed + i });
  const branch = tf.sequential({
    name: 'digit_branch',
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.25, seed: ctx.seed }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(5) }),
    ],
  });
  const a = tf.input({ shape: [28, 28, 1], name: 'a' }), b = tf.input({ shape: [28, 28, 1], name: 'b' });
  const fused = new PairFusion({}).apply([branch.apply(a) as tf.SymbolicTensor, branch.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(3) }).apply(fused) as tf.SymbolicTensor;
  const sum = tf.layers.dense({ units: 19, activation: 'softmax', kernelInitializer: init(4) }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [a, b], outputs: sum });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  // tf.data: an endless generator of random pairs, batched by hand so each step is one gather.
  const lab = await labels.data();
  const n = lab.length;
  let s = ctx.seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pairs = tf.data.generator(function* () {
    for (;;) {
      const ia = Int32Array.from({ length: BATCH }, () => Math.floor(rand() * n));
      const ib = Int32Array.from({ length: BATCH }, () => Math.floor(rand() * n));
      const sums = Int32Array.from(ia, (i, k) => lab[i]! + lab[ib[k]!]!);
      yield tf.tidy(() => ({ xs: { a: tf.gather(images, ia), b: tf.gather(images, ib) }, ys: tf.oneHot(sums, 19) }));
    }
  });
  // 150 steps of 128 pairs an epoch; stop between epochs once 40 % of the time limit is used (CPU time, as the limit counts).
  const cpuSec = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const c0 = cpuSec();
  const budgetSec = 0.4 * ctx.timeLimitSec;
  const stopWhenLate = new tf.CustomCallback({
    onEpochEnd: async () => { if (cpuSec() - c0 > budgetSec) model.stopTraining = true; },
  });
  await model.fitDataset(pairs, { epochs: 6, batchesPerEpoch: Math.min(150, Math.ceil((4 * n) / BATCH)), verbose: 0, callbacks: [stopWhenLate] });
  return model;
}

export async function predict(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) {
  return model.predict([a, b]) as tf.Tensor;
}
