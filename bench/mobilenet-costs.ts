// What the mobilenet-transfer statement tells students about speed and memory
// on the grader, measured: MobileNetV2 at 64×64 cut at block_13_expand_relu,
// on wasm, one fresh process per row (the wasm heap never shrinks).
// `tsx bench/mobilenet-costs.ts` prints the table; with arguments it runs one row.
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../grader/backend/load-backend.ts';
import { ensurePretrained } from '../grader/data/pretrained.ts';
import { loadPretrainedBase } from '../grader/tasks/shared/pretrained-base.ts';
import { defaultCacheRoot } from '../grader/spec/load.ts';
import { jsonFromChild } from './child.ts';

const SIZE = 64, CUT = 'block_13_expand_relu', IMAGES = 256;
type Mode = 'predict' | 'frozen' | 'trainable';
const ROWS: [Mode, number][] = [['predict', 128], ['frozen', 32], ['frozen', 64], ['trainable', 32], ['trainable', 64]];

interface Row { mode: Mode; batch: number; msPerImage: number; peakMiB: number; error?: string }

async function one(mode: Mode, batch: number): Promise<Row> {
  await loadBackend(tf, 'wasm');
  const files = await ensurePretrained('mobilenet_v2', defaultCacheRoot());
  const base = await loadPretrainedBase(tf, files.modelJson, { inputShape: [SIZE, SIZE, 3], cutAt: CUT, trainable: mode === 'trainable', bnMomentum: 0.9 });
  const x = tf.randomUniform([IMAGES, SIZE, SIZE, 3], -1, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: IMAGES }, (_, i) => i % 10), 'int32'), 10);
  let peak = 0;
  const poll = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  let sec: number;
  if (mode === 'predict') {
    const t0 = performance.now();
    for (let s = 0; s < IMAGES; s += batch) {
      const out = base.predict(x.slice(s, Math.min(batch, IMAGES - s))) as tf.Tensor;
      await out.data();
      out.dispose();
    }
    sec = (performance.now() - t0) / 1000;
  } else {
    const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(tf.layers.flatten().apply(base.outputs[0]!)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: base.inputs, outputs: out });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    await model.fit(x.slice(0, batch), y.slice(0, batch), { batchSize: batch, epochs: 1, verbose: 0 }); // warm-up, untimed
    const t0 = performance.now();
    await model.fit(x, y, { batchSize: batch, epochs: 1, verbose: 0 });
    sec = (performance.now() - t0) / 1000;
  }
  clearInterval(poll);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { mode, batch, msPerImage: (1000 * sec) / IMAGES, peakMiB: Math.round(peak / 2 ** 20) };
}

function inChild(mode: Mode, batch: number): Row {
  const r = jsonFromChild<Row>('mobilenet-costs.ts', [mode, String(batch)]);
  return 'value' in r ? r.value : { mode, batch, msPerImage: NaN, peakMiB: NaN, error: r.error };
}

export function main(): void {
  console.log(`## MobileNetV2 ${SIZE}×${SIZE} cut at ${CUT} on wasm (${IMAGES} images; one process per row)`);
  console.log('| what | batch | ms per image | peak RSS MiB |\n|---|---|---|---|');
  const what = { predict: 'base.predict (features)', frozen: 'base frozen inside fit (one epoch)', trainable: 'fine-tuning the base (one epoch)' };
  for (const [mode, batch] of ROWS) {
    const r = inChild(mode, batch);
    console.log(`| ${what[mode]} | ${batch} | ${r.error ? `fails: ${r.error}` : r.msPerImage.toFixed(1)} | ${r.error ? '' : r.peakMiB} |`);
  }
}

if (process.argv[1] === import.meta.filename) {
  const [mode, batch] = process.argv.slice(2);
  if (mode) console.log(JSON.stringify(await one(mode as Mode, Number(batch))));
  else main();
}
