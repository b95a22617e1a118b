// Reference solution for siamese-mnist (WORK4): a small CNN embedding shared by
// both images, Euclidean distance, contrastive loss, balanced pair batches.
import * as tf from '@tensorflow/tfjs-node';

const EMBED_DIM = 32;
const MARGIN = 1;
const PAIRS_PER_BATCH = 128; // 256 images per step
const STEPS = 450;
/** Stop early rather than run into the time limit on a slow machine: 50 s, or 30 % of a tighter limit. */
const budgetSec = (timeLimitSec: number) => Math.min(50, 0.3 * timeLimitSec);

export interface TrainData { images: tf.Tensor4D; labels: tf.Tensor1D }
export interface TrainContext { seed: number; maxBatchSize: number; timeLimitSec: number }

function embeddingNet(seed: number): tf.Sequential {
  const k = (i: number) => tf.initializers.heNormal({ seed: seed + i });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu', kernelInitializer: k(1) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: k(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: k(3) }),
      tf.layers.dense({ units: EMBED_DIM, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 4 }) }),
    ],
  });
}

/** Small deterministic PRNG (mulberry32) so batches are reproducible from ctx.seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * make_batch: half positive pairs (digits cycle so all ten appear equally),
 * half negative pairs (a uniformly drawn one of the 45 digit combinations).
 */
function makeBatch(byDigit: number[][], n: number, rand: () => number, step: number) {
  const pick = (d: number) => byDigit[d]![Math.floor(rand() * byDigit[d]!.length)]!;
  const a = new Int32Array(n), b = new Int32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      const d = (step * n / 2 + i / 2) % 10;
      a[i] = pick(d);
      do b[i] = pick(d); while (b[i] === a[i]);
      y[i] = 0;
    } else {
      const d1 = Math.floor(rand() * 10);
      let d2 = Math.floor(rand() * 9);
      if (d2 >= d1) d2++;
      a[i] = pick(d1);
      b[i] = pick(d2);
      y[i] = 1;
    }
  }
  return { a, b, y };
}

function pairDistance(ea: tf.Tensor, eb: tf.Tensor): tf.Tensor1D {
  // The epsilon keeps the gradient of sqrt finite at zero distance (no exploding gradients).
  return ea.sub(eb).square().sum(1).add(1e-6).sqrt() as tf.Tensor1D;
}

export async function train({ images, labels }: TrainData, ctx: TrainContext): Promise<tf.Sequential> {
  const net = embeddingNet(ctx.seed);
  const optimizer = tf.train.adam(1e-3);
  const lab = await labels.data();
  const byDigit: number[][] = Array.from({ length: 10 }, () => []);
  lab.forEach((d: number, i: number) => byDigit[d]!.push(i));
  const rand = rng(ctx.seed);
  // The time limit counts CPU time, so the budget does too: a loaded grading machine does not cut training short.
  const cpuSec = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const t0 = Date.now(), c0 = cpuSec();
  for (let step = 0; step < STEPS; step++) {
    const { a, b, y } = makeBatch(byDigit, PAIRS_PER_BATCH, rand, step);
    const loss = optimizer.minimize(() => {
      const both = tf.gather(images, tf.tensor1d(Int32Array.from([...a, ...b]), 'int32'));
      const e = net.apply(both, { training: true }) as tf.Tensor2D;
      const [ea, eb] = tf.split(e, 2, 0);
      const d = pairDistance(ea!, eb!);
      const yt = tf.tensor1d(y);
      const same = tf.scalar(1).sub(yt).mul(d.square());
      const diff = yt.mul(tf.relu(tf.scalar(MARGIN).sub(d)).square());
      return same.add(diff).mean() as tf.Scalar;
    }, true);
    if (step % 50 === 49) {
      const l = (await loss!.data())[0];
      console.log(`step ${step + 1}/${STEPS} loss ${l!.toFixed(4)} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
    loss?.dispose();
    if (cpuSec() - c0 > budgetSec(ctx.timeLimitSec)) {
      console.log(`stopping at step ${step + 1}: training budget of ${budgetSec(ctx.timeLimitSec).toFixed(0)} s of CPU time used`);
      break;
    }
  }
  return net;
}

export async function distance(net: tf.Sequential, a: tf.Tensor4D, b: tf.Tensor4D): Promise<tf.Tensor1D> {
  return tf.tidy(() => pairDistance(net.predict(a) as tf.Tensor, net.predict(b) as tf.Tensor));
}
