// Reference for triplet-oneshot (course notes 004, C4_W4): one CNN embedding
// network shared by anchor, positive and negative inside a three-input
// triplet model (saved into ctx.outDir/triplet-model), trained with the
// triplet loss  L = max(d(A, P) − d(A, N) + α, 0)  on L2-normalised
// embeddings, mined within the batch (FaceNet; Hermans et al., "In Defense
// of the Triplet Loss"): each step embeds P digits × K images once, computes
// the pairwise distance matrix and averages the loss over every (anchor,
// positive, negative) of the batch that still violates the margin
// ("batch-all"; the easy triplets, loss 0, do not dilute the mean). Measured
// on held-out training digits (2 and 8, same network, 1,000 steps), batch-all
// reached validation AUC 0.79 where semi-hard mining (FaceNet: the nearest
// negative farther than the positive) reached 0.72; batch-hard mining had
// collapsed every embedding onto one point. The previous reference's settings
// (8/16 filters, 64-d, 600 steps at a fixed rate) reached 0.65 on the same
// digits; these (16/32 filters, 128-d, a decaying rate) 0.79.
//
// One-shot verification is judged on digits the network never saw, so the
// threshold is chosen the same way: two of the eight training digits (drawn
// with ctx.seed) are held out of training altogether, and the threshold is
// the one with the best accuracy on balanced pairs of those two digits. Its
// settings (network, margin, steps, learning-rate decay) were chosen on such
// held-out training digits too; the graded 3s and 7s were measured only after:
// AUC 0.89–0.90, accuracy 0.81–0.82 at the assignment's seed (held out: 8 and 4), but
// only AUC 0.79, accuracy 0.70–0.72 from seeds 1 and 2 (held out: 6 and 0,
// 6 and 2). The result depends much on the initialisation and on the digits
// trained on.
import * as tf from '@tensorflow/tfjs-node';

const EMBED_DIM = 128;
/** Margin on the Euclidean distance between unit vectors (in [0, 2]). */
const ALPHA = 0.2;
/** P digits × K images per step: the six digits trained on, K images each. */
const K = 16;
/** Steps, with the learning rate decaying exponentially from LR to LR_END. */
const STEPS = 800, LR = 1e-3, LR_END = 1e-4;
/** How many of the training digits are held out as validation classes (never trained on). */
const VALIDATION_DIGITS = 2;
/** Stop early rather than run into the time limit on a slow machine: 120 s of CPU time (800 steps take about 115 s), or 40 % of a tighter limit. */
const budgetSec = (timeLimitSec: number) => Math.min(120, 0.4 * timeLimitSec);

function embeddingNet(seed: number): tf.Sequential {
  const k = (i: number) => tf.initializers.heNormal({ seed: seed + i });
  return tf.sequential({
    name: 'embedding',
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: k(1) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 32, kernelSize: 5, activation: 'relu', kernelInitializer: k(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: k(3) }),
      tf.layers.dense({ units: EMBED_DIM, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 4 }) }),
    ],
  });
}

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

const normalize = (e: tf.Tensor) => e.div(e.square().sum(1, true).add(1e-9).sqrt());
/** Squared Euclidean distance of L2-normalised embeddings, in [0, 4]. */
const sqDistance = (a: tf.Tensor, b: tf.Tensor) => normalize(a).sub(normalize(b)).square().sum(1) as tf.Tensor1D;

/** Euclidean distances between all rows of unit vectors e: [n, n]; the epsilon keeps sqrt's gradient finite at 0. */
const pairwise = (e: tf.Tensor2D) => tf.relu(tf.scalar(2).sub(e.matMul(e, false, true).mul(2))).add(1e-9).sqrt() as tf.Tensor2D;

/** Batch-all triplet loss: the mean over every (anchor, positive, negative) of the batch that violates the margin. */
function batchAllLoss(e: tf.Tensor2D, valid: tf.Tensor3D): tf.Scalar {
  const d = pairwise(normalize(e) as tf.Tensor2D);
  const l = tf.relu(d.expandDims(2).sub(d.expandDims(1)).add(ALPHA)).mul(valid); // [anchor, positive, negative]
  return l.sum().div(l.sign().sum().add(1)) as tf.Scalar; // sign: 1 where violated, and it has a (zero) gradient
}

/** The threshold with the best accuracy on labelled distances (label 1: different): below it "same". */
function bestThreshold(dist: number[], y: number[]): { threshold: number; accuracy: number } {
  const order = dist.map((_, i) => i).sort((i, j) => dist[i]! - dist[j]!);
  let correct = y.filter((v) => v === 1).length, best = correct, threshold = dist[order[0]!]! - 1e-6; // below everything: all "different"
  for (let k = 0; k < order.length; k++) {
    correct += y[order[k]!] === 0 ? 1 : -1; // order[k] is now below the threshold: called "same"
    const next = k + 1 < order.length ? dist[order[k + 1]!]! : dist[order[k]!]! + 1e-6;
    if (next !== dist[order[k]!] && correct > best) { best = correct; threshold = (dist[order[k]!]! + next) / 2; }
  }
  return { threshold, accuracy: best / dist.length };
}

/** ROC AUC of distances against labels (1: different), ties counted half: the grader's measure, here on validation pairs. */
function aucOf(dist: number[], y: number[]): number {
  let below = 0, pairs = 0;
  const order = dist.map((_, i) => i).sort((i, j) => dist[i]! - dist[j]!);
  let same = 0; // "same" pairs seen so far with a smaller distance
  for (let k = 0; k < order.length; ) {
    let e = k, s = 0, d = 0;
    while (e < order.length && dist[order[e]!] === dist[order[k]!]) { if (y[order[e]!]) d++; else s++; e++; }
    below += d * (same + s / 2);
    same += s; pairs += d;
    k = e;
  }
  return below / (pairs * same);
}

export async function train({ images, labels }: { images: tf.Tensor4D; labels: tf.Tensor1D }, ctx: { seed: number; timeLimitSec: number; outDir: string }) {
  const net = embeddingNet(ctx.seed);
  // The triplet model of the notes: three inputs, one embedding network applied to each. Mining in
  // the batch trains the same network (the same weights) on one forward pass of P·K images instead
  // of three images per triplet; the triplet model, sharing those weights, is what is saved.
  const inputs = ['anchor', 'positive', 'negative'].map((name) => tf.input({ shape: [28, 28, 1], name }));
  const triplet = tf.model({ name: 'triplet', inputs, outputs: tf.layers.concatenate({ axis: 1 }).apply(inputs.map((x) => net.apply(x) as tf.SymbolicTensor)) as tf.SymbolicTensor });

  const lab = await labels.data();
  const all = new Map<number, number[]>();
  lab.forEach((c: number, i: number) => { if (!all.has(c)) all.set(c, []); all.get(c)!.push(i); });
  const rand = rng(ctx.seed);
  // Validation classes: digits held out of training, so that the threshold is chosen on digits the
  // network never saw, as the graded 3s and 7s are.
  const digits = [...all.keys()].sort((x, y) => x - y);
  const valDigits: number[] = [];
  while (valDigits.length < VALIDATION_DIGITS) { const c = digits[Math.floor(rand() * digits.length)]!; if (!valDigits.includes(c)) valDigits.push(c); }
  const classes = digits.filter((c) => !valDigits.includes(c));
  console.log(`training on digits ${classes.join(', ')}; validation digits ${valDigits.join(', ')} (held out)`);

  // The batch is always P blocks of K images of one digit, so its masks are constants.
  const bs = classes.length * K;
  const blockOf = tf.tensor1d(Array.from({ length: bs }, (_, i) => Math.floor(i / K)), 'int32');
  // valid[a][p][n]: p of a's digit (not a itself), n of another digit.
  const valid = tf.tidy(() => {
    const same = tf.equal(blockOf.expandDims(1), blockOf.expandDims(0)).toFloat().sub(tf.eye(bs));
    const diff = tf.notEqual(blockOf.expandDims(1), blockOf.expandDims(0)).toFloat();
    return same.expandDims(2).mul(diff.expandDims(1)) as tf.Tensor3D;
  });
  blockOf.dispose();
  const optimizer = tf.train.adam(LR);
  const cpuSec = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const c0 = cpuSec();
  for (let step = 0; step < STEPS; step++) {
    (optimizer as unknown as { learningRate: number }).learningRate = LR * Math.pow(LR_END / LR, step / STEPS);
    const idx: number[] = [];
    for (const c of classes) {
      const xs = all.get(c)!;
      const chosen = new Set<number>();
      while (chosen.size < Math.min(K, xs.length)) chosen.add(xs[Math.floor(rand() * xs.length)]!);
      const list = [...chosen];
      while (list.length < K) list.push(list[list.length % chosen.size]!); // a class with fewer than K images (tiny data only)
      idx.push(...list);
    }
    const loss = optimizer.minimize(() => {
      const e = net.apply(tf.gather(images, tf.tensor1d(idx, 'int32')), { training: true }) as tf.Tensor2D;
      return batchAllLoss(e, valid);
    }, true);
    if (step % 250 === 249) console.log(`step ${step + 1}/${STEPS} batch-all triplet loss ${(await loss!.data())[0]!.toFixed(4)} (${(cpuSec() - c0).toFixed(0)} s CPU)`);
    loss?.dispose();
    if (cpuSec() - c0 > budgetSec(ctx.timeLimitSec)) { console.log(`stopping at step ${step + 1}: training budget used`); break; }
  }
  valid.dispose();
  await triplet.save(`file://${ctx.outDir}/triplet-model`);

  // Threshold: the best accuracy on balanced pairs of the two held-out digits (half same digit, half one of each).
  const m = 2000, a: number[] = [], b: number[] = [], y: number[] = [];
  const pick = (c: number) => { const xs = all.get(c)!; return xs[Math.floor(rand() * xs.length)]!; };
  for (let i = 0; i < m; i++) {
    const c = valDigits[i % 4 < 2 ? 0 : 1]!, other = valDigits[i % 4 < 2 ? 1 : 0]!;
    const first = pick(c);
    let second = pick(i % 2 ? other : c);
    while (second === first) second = pick(c);
    a.push(first); b.push(second); y.push(i % 2);
  }
  const dist: number[] = [];
  for (let s = 0; s < m; s += 500) {
    const t = tf.tidy(() => distanceOf(net, tf.gather(images, a.slice(s, s + 500)), tf.gather(images, b.slice(s, s + 500))));
    dist.push(...(await t.data()));
    t.dispose();
  }
  const { threshold, accuracy } = bestThreshold(dist, y);
  console.log(`validation pairs of digits ${valDigits.join(' and ')}: AUC ${aucOf(dist, y).toFixed(4)}, accuracy ${accuracy.toFixed(4)} at threshold ${threshold.toFixed(4)}`);
  return { model: net, threshold };
}

function distanceOf(net: tf.LayersModel, a: tf.Tensor, b: tf.Tensor): tf.Tensor1D {
  return sqDistance(net.predict(a) as tf.Tensor, net.predict(b) as tf.Tensor);
}

export async function distance(net: tf.LayersModel, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => distanceOf(net, a, b));
}
