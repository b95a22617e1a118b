// Weak submission for triplet-oneshot: a triplet model whose anchor, positive and negative each
// go through their own tower (three sets of weights): the triplet loss pulls the three towers
// around together, but nothing makes them one embedding. The shared-embedding item, read from the
// saved triplet model, finds no layer called on all three inputs. Here distance() uses the anchor
// tower for both images.
import * as tf from '@tensorflow/tfjs-node';

const tower = (name: string, seed: number) => tf.sequential({
  name,
  layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
    tf.layers.dense({ units: 32, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
  ],
});

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number; outDir: string }) {
  const towers = [tower('anchor_net', ctx.seed), tower('positive_net', ctx.seed + 10), tower('negative_net', ctx.seed + 20)];
  const inputs = ['anchor', 'positive', 'negative'].map((name) => tf.input({ shape: [28, 28, 1], name }));
  const triplet = tf.model({ inputs, outputs: tf.layers.concatenate().apply(inputs.map((x, i) => towers[i]!.apply(x) as tf.SymbolicTensor)) as tf.SymbolicTensor });
  const lab = Array.from(await labels.data());
  const byClass = new Map<number, number[]>();
  lab.forEach((c, i) => { if (!byClass.has(c)) byClass.set(c, []); byClass.get(c)!.push(i); });
  const classes = [...byClass.keys()];
  let s = ctx.seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = (c: number) => byClass.get(c)![Math.floor(rand() * byClass.get(c)!.length)]!;
  const optimizer = tf.train.adam(1e-3);
  for (let step = 0; step < 150; step++) {
    const a: number[] = [], p: number[] = [], n: number[] = [];
    for (let i = 0; i < 64; i++) {
      const c = classes[Math.floor(rand() * classes.length)]!;
      let d = c;
      while (d === c) d = classes[Math.floor(rand() * classes.length)]!;
      a.push(pick(c)); p.push(pick(c)); n.push(pick(d));
    }
    optimizer.minimize(() => {
      const [ea, ep, en] = tf.split(triplet.apply([a, p, n].map((xs) => tf.gather(images, xs)), { training: true }) as tf.Tensor, 3, 1);
      return tf.relu(ea!.sub(ep!).square().sum(1).sub(ea!.sub(en!).square().sum(1)).add(1)).mean() as tf.Scalar;
    });
  }
  await triplet.save(`file://${ctx.outDir}/triplet-model`);
  return { model: towers[0]!, threshold: 1 };
}

export async function distance(model: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => (model.predict(a) as tf.Tensor).sub(model.predict(b) as tf.Tensor).square().sum(1).sqrt());
}
