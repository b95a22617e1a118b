// One training measurement in a fresh process (clean RSS, one backend per
// process): `tsx bench/train-one.ts <lenet|mlp> <backend> <stock|fast> <samples>`.
// Two epochs after one warm-up batch: the first still pays V8's compilation
// of tfjs's JS and the heap's growth (~25 % of the MLP's first epoch); the
// second is the steady rate, which the op limit and the PyTorch anchor (timed
// the same way) are compared with. Prints one JSON line: samples/s of both
// epochs, the second epoch's mean loss and peak RSS.
import * as tf from '@tensorflow/tfjs';
import { ensureDatasetCache, readSplit } from '../grader/data/image-dataset.ts';
import { loadBackend } from '../grader/backend/load-backend.ts';
import { defaultCacheRoot } from '../grader/spec/load.ts';

const [model = 'lenet', backend = 'wasm', variant = 'fast', samplesArg = '10000'] = process.argv.slice(2);
const samples = Number(samplesArg);
const BATCH = 128;

export function lenet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

export function mlp(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** The model compiled as every row trains it, and one warm-up batch plus `samples` MNIST images and labels. */
export async function mnistRun(model: string, samples: number) {
  const split = readSplit(ensureDatasetCache('mnist', defaultCacheRoot()), 'train');
  const n = samples + BATCH; // one warm-up batch, untimed
  const px = new Float32Array(n * 784);
  for (let i = 0; i < px.length; i++) px[i] = split.images[i]! / 255;
  const x = tf.tensor4d(px, [n, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(split.labels.subarray(0, n)), 'int32'), 10);
  const net = model === 'lenet' ? lenet() : mlp();
  // No metric: the anchor computes the loss only, and both sides must do the same work.
  net.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  await net.fit(x.slice(0, BATCH), y.slice(0, BATCH), { batchSize: BATCH, epochs: 1, verbose: 0 });
  const xs = x.slice(BATCH), ys = y.slice(BATCH);
  /** One timed epoch; its mean loss. */
  const epoch = async () => (await net.fit(xs, ys, { batchSize: BATCH, epochs: 1, verbose: 0, shuffle: false })).history.loss![0] as number;
  return { net, epoch, batch: BATCH };
}

async function main() {
  const report = await loadBackend(tf, backend as 'wasm', { allowNative: true, stock: variant === 'stock' });
  const run = await mnistRun(model, samples);
  let peak = 0;
  const poll = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  const t0 = performance.now();
  await run.epoch();
  const t1 = performance.now();
  const loss = await run.epoch();
  const sec = (performance.now() - t1) / 1000, firstSec = (t1 - t0) / 1000;
  clearInterval(poll);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (tf.getBackend() !== report.name) throw new Error(`ran on ${tf.getBackend()}, meant ${report.name}`);
  console.log(JSON.stringify({ model, backend: report.name, variant, samples, sec, samplesPerSec: samples / sec, firstSamplesPerSec: samples / firstSec, peakMiB: Math.round(peak / 2 ** 20), loss, simd: report.simd, threads: report.threads }));
}

if (process.argv[1]?.endsWith('train-one.ts')) await main();
