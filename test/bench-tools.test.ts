// The bench's own instruments (bench/kernel-profile.ts, bench/op-bench.ts):
// the profile charges each kernel its own time once and leaves the backend as
// it found it; FLOP counts match the textbook formulas.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../grader/backend/load-backend.ts';
import { profileKernels } from '../bench/kernel-profile.ts';
import { flopsOf, groupCalls } from '../bench/op-bench.ts';

test('FLOPs of matMul (either operand transposed) and of a conv and its gradients', () => {
  assert.is(flopsOf('BatchMatMul', { a: [128, 784], b: [784, 100] }, {}), 2 * 128 * 784 * 100);
  assert.is(flopsOf('BatchMatMul', { a: [784, 128], b: [100, 784] }, { transposeA: true, transposeB: true }), 2 * 128 * 784 * 100);
  assert.is(flopsOf('BatchMatMul', { a: [3, 8, 5], b: [3, 5, 2] }, {}), 2 * 3 * 8 * 2 * 5);
  // LeNet's second conv: 10×10 outputs, 16 filters of 5×5×6, batch 2.
  const conv = 2 * 2 * 10 * 10 * 16 * 5 * 5 * 6;
  assert.is(flopsOf('Conv2D', { x: [2, 14, 14, 6], filter: [5, 5, 6, 16] }, { strides: 1, pad: 'valid' }), conv);
  assert.is(flopsOf('Conv2DBackpropFilter', { x: [2, 14, 14, 6], dy: [2, 10, 10, 16] }, { filterShape: [5, 5, 6, 16] }), conv);
  assert.is(flopsOf('Conv2DBackpropInput', { dy: [2, 10, 10, 16], filter: [5, 5, 6, 16] }, { inputShape: [2, 14, 14, 6] }), conv);
  assert.is(flopsOf('DepthwiseConv2dNative', { x: [1, 8, 8, 4], filter: [3, 3, 4, 1] }, { strides: 2, pad: 'same' }), 2 * 4 * 4 * 4 * 9);
});

test('a profiled fit: heavy calls at the engine level only, self times that add up, kernels restored', async () => {
  await loadBackend(tf, 'wasm');
  const before = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
  const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }), tf.layers.flatten(), tf.layers.dense({ units: 3, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([16, 8, 8, 1]), y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3);
  const p = await profileKernels(tf, 'wasm', () => model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 }));
  const calls = (name: string) => p.rows.find((r) => r.kernel === name)?.calls ?? 0;
  // 2 epochs × 2 batches: one forward conv and one filter gradient each (the first layer needs no input gradient).
  assert.is(p.heavy.filter((h) => h.kernel === 'Conv2DBackpropFilter').length, 4);
  assert.is(p.heavy.filter((h) => h.kernel === 'Conv2D').length, 4, 'the convs inside the filter-gradient composite are not engine-level calls');
  assert.ok(calls('Conv2D') > 4, 'but their time is in the Conv2D row');
  assert.ok(p.kernelMs <= p.wallMs + 1e-6 && p.outsideMs >= 0, `kernels ${p.kernelMs} ms within the ${p.wallMs} ms wall`);
  assert.equal(groupCalls(p.heavy).find((g) => g.kernel === 'Conv2DBackpropFilter')?.inputs, { x: [8, 8, 8, 1], dy: [8, 6, 6, 4] });
  assert.ok(p.copiesIn.count > 0, 'fit made tensors from JS arrays');
  for (const k of tf.getKernelsForBackend('wasm')) assert.ok(before.get(k.kernelName) === k.kernelFunc, `${k.kernelName} restored`);
});

test.run();
