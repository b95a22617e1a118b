import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystem, registerFileRouter } from '../grader/tfio/file-io.ts';
import { tempDir } from './helpers/fixtures.ts';

test('file:// save and load round-trip a model exactly, as with tfjs-node', async () => {
  await tf.setBackend('cpu');
  registerFileRouter(tf);
  const dir = join(tempDir(), 'm');
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 5, activation: 'relu' }), tf.layers.dense({ units: 2 })] });
  await m.save(`file://${dir}`);
  assert.ok(existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'weights.bin')));
  const back = await tf.loadLayersModel(`file://${dir}/model.json`);
  const x = tf.randomNormal([7, 3]);
  assert.is(tf.sub(m.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor).abs().max().dataSync()[0], 0);
});

test('a corrupt model.json is an error naming the file', async () => {
  const p = join(tempDir(), 'model.json');
  writeFileSync(p, '{ nope');
  try {
    await fileSystem(tf, p).load!();
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`${p}: cannot read model JSON`));
  }
});

test.run();
