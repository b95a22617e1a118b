// The SIMD kernels (grader/backend/simd/kernels.wat) that run on wasm's own
// heap: the embedded bytes are the assembled source, and the fused Adam step
// gives stock AdamOptimizer's weights and state to the bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../grader/backend/load-backend.ts';
import { ADAM_KERNEL } from '../grader/backend/fused-adam.ts';
import { BN_GRAD, BN_MOMENTS, fuseBatchNormTraining } from '../grader/backend/fused-batchnorm.ts';
import { CCE, CCE_GRAD } from '../grader/backend/fused-crossentropy.ts';
import { assemble } from '../grader/backend/simd/assemble.ts';
import { KERNELS_WASM_BASE64 } from '../grader/backend/simd/kernels-wasm.ts';

test('kernels-wasm.ts embeds exactly what kernels.wat assembles to (npm run build:wasm after editing the .wat)', async () => {
  const built = Buffer.from(await assemble());
  assert.ok(built.equals(Buffer.from(KERNELS_WASM_BASE64, 'base64')), 'kernels-wasm.ts is stale: run npm run build:wasm');
});

type Grads = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];
type Stocked = { dlgradeStock: (this: tf.AdamOptimizer, vg: Grads) => void };
const shapes: number[][] = [[7, 5], [13], [], [4, 4, 3], [2]]; // sizes 35, 13, 1, 48, 2: every SIMD tail

/** Two identical sets of variables stepped by two Adam optimizers, one through `apply`; every value and moment afterwards. */
function stepBoth(apply: (opt: tf.AdamOptimizer, vg: Grads) => void, asArray: boolean, lr = 0.01) {
  const runs = [0, 1].map((k) => {
    const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 100 + i), true, `adam-test-${k}-${i}-${asArray}`));
    const opt = tf.train.adam(lr, 0.9, 0.999, 1e-7);
    return { vars, opt };
  });
  const alive: number[] = [];
  for (let step = 0; step < 7; step++) {
    const grads = shapes.map((s, i) => tf.randomNormal(s, 0, step % 2 ? 1e-3 : 3, 'float32', 1000 * step + i));
    runs.forEach(({ vars, opt }, k) => {
      // Variable 3 gets no gradient on odd steps (stock skips it but still creates its moments).
      const named = vars.map((v, i) => ({ name: v.name, tensor: i === 3 && step % 2 ? (null as unknown as tf.Tensor) : grads[i]! }));
      const vg = asArray ? named : Object.fromEntries(named.map((n) => [n.name, n.tensor]));
      if (k === 0) opt.applyGradients(vg as Parameters<tf.AdamOptimizer["applyGradients"]>[0]); else apply(opt, vg);
    });
    tf.dispose(grads);
    if (step > 0) alive.push(tf.memory().numTensors); // moments are created on the first step, then nothing more
  }
  assert.equal(alive, alive.map(() => alive[0]), 'a step leaves no tensor behind');
  return runs.map(({ vars, opt }) => {
    const o = opt as unknown as { accumulatedFirstMoment: { variable: tf.Variable }[]; accumulatedSecondMoment: { variable: tf.Variable }[]; accBeta1: tf.Variable; iterations: number };
    const flat = [...vars, ...o.accumulatedFirstMoment.map((m) => m.variable), ...o.accumulatedSecondMoment.map((m) => m.variable), o.accBeta1];
    const values = flat.map((t) => Array.from(t.dataSync()));
    const iterations = o.iterations;
    tf.dispose(vars); opt.dispose();
    return { values, iterations };
  });
}

test('fused Adam on wasm: weights, moments and accβ equal stock Adam to the bit, map or array gradients, a missing gradient included', async () => {
  await loadBackend(tf, 'wasm');
  const stock = (tf.AdamOptimizer.prototype as unknown as Stocked).dlgradeStock;
  assert.type(stock, 'function', 'the fused step is installed on wasm');
  const w = tf.variable(tf.ones([6]), true, 'adam-profiled');
  const opt = tf.train.adam(0.01);
  const g = tf.ones([6]);
  const ran = (await tf.profile(() => opt.applyGradients({ [w.name]: g } as unknown as Parameters<tf.AdamOptimizer["applyGradients"]>[0]))).kernelNames;
  tf.dispose([w, g]); opt.dispose();
  assert.ok(ran.includes(ADAM_KERNEL) && !ran.includes('Sqrt'), `one fused kernel per variable, not stock's passes (ran ${ran.join(', ')})`);
  for (const asArray of [false, true]) {
    const [fused, reference] = stepBoth((opt, vg) => stock.call(opt, vg), asArray);
    assert.is(fused!.iterations, 7);
    assert.is(reference!.iterations, 7);
    assert.equal(fused!.values, reference!.values);
  }
});

test('fused Adam changes what stock would not: a different learning rate moves the weights', async () => {
  await loadBackend(tf, 'wasm');
  const stock = (tf.AdamOptimizer.prototype as unknown as Stocked).dlgradeStock;
  // Sanity of the comparison itself: stepping the reference at another learning rate must differ.
  const [fused, other] = stepBoth((opt, vg) => { (opt as unknown as { learningRate: number }).learningRate = 0.02; stock.call(opt, vg); }, false);
  assert.not.equal(fused!.values.slice(0, shapes.length), other!.values.slice(0, shapes.length));
});

test('on cpu the stock step runs (the fused kernel exists only on wasm)', async () => {
  await loadBackend(tf, 'cpu');
  const stock = (tf.AdamOptimizer.prototype as unknown as Stocked).dlgradeStock;
  const [wrapped, reference] = stepBoth((opt, vg) => stock.call(opt, vg), false);
  assert.equal(wrapped!.values, reference!.values);
  await loadBackend(tf, 'wasm');
});

test('a BatchNormalization layer trains through the fused kernels on wasm, and installing them takes no layer name', async () => {
  await loadBackend(tf, 'wasm');
  const layer = tf.layers.batchNormalization({});
  const x = tf.randomNormal([4, 3, 3, 8], 0, 1, 'float32', 7);
  const ran = (await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t, { training: true }) as tf.Tensor))(x))).kernelNames;
  assert.ok(ran.includes(BN_MOMENTS) && ran.includes(BN_GRAD), `fused kernels ran (ran ${ran.join(', ')})`);
  assert.ok(!ran.includes('FusedBatchNorm') || !ran.includes('SquaredDifference'), 'not the stock moments');
  // Installing again from scratch must not build a layer (it would take the next auto-generated name).
  const proto = (tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'] as unknown as [{ prototype: { call: unknown; dlgradeStock?: unknown } }])[0].prototype;
  const patched = proto.call;
  proto.call = proto.dlgradeStock; delete proto.dlgradeStock;
  const suffix = (name: string) => Number(/(\d+)$/.exec(name)![1]);
  const before = suffix(tf.layers.batchNormalization({}).name);
  fuseBatchNormTraining(tf);
  const after = suffix(tf.layers.batchNormalization({}).name);
  assert.is(after, before + 1, 'no layer was created in between');
  assert.ok(proto.dlgradeStock && proto.call !== patched && proto.call !== proto.dlgradeStock, 'installed again');
});

test('loss \'categoricalCrossentropy\': fit runs the fused loss on wasm, and still refuses targets the loss cannot take', async () => {
  await loadBackend(tf, 'wasm');
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3], activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  const x = tf.randomNormal([8, 3], 0, 1, 'float32', 1), y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
  const ran = (await tf.profile(async () => { await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 }); })).kernelNames;
  assert.ok(ran.includes(CCE) && ran.includes(CCE_GRAD) && !ran.includes('Log'), `fused loss ran (ran ${ran.join(', ')})`);
  // tfjs-layers checks targets against the stock loss compile recorded (by identity): a one-unit output with [n, 1] targets.
  const one = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3], activation: 'softmax' })] });
  one.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  let message = '';
  try { await one.fit(x, tf.zeros([8, 1]), { epochs: 1, verbose: 0 }); } catch (e) { message = (e as Error).message; }
  assert.match(message, /target array of shape 8,1 while using a loss 'categorical_crossentropy'/);
  // A loss given as a function is the user's: left alone.
  const own = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3], activation: 'softmax' })] });
  own.compile({ loss: (t: tf.Tensor, p: tf.Tensor) => tf.metrics.categoricalCrossentropy(t, p), optimizer: 'adam' });
  const ranOwn = (await tf.profile(async () => { await own.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 }); })).kernelNames;
  assert.ok(!ranOwn.includes(CCE) && ranOwn.includes('Log'), 'a function loss runs as written');
});

test('the fused kernels refuse inputs whose shapes disagree (they are reachable through tf.engine().runKernel)', async () => {
  await loadBackend(tf, 'wasm');
  const a = tf.zeros([8]), b = tf.zeros([2]), s = tf.scalar(0.9);
  assert.throws(() => tf.engine().runKernel(ADAM_KERNEL, { value: a, m: a, v: a, g: b, accBeta1: s, accBeta2: s }, { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, learningRate: 0.1 }), /must be float32 of one size/);
  assert.throws(() => tf.engine().runKernel(BN_GRAD, { dy: b, x: tf.zeros([4, 2]), mean: b, variance: b, gamma: b }, { varianceEpsilon: 1e-3 }), /dy must match x/);
  assert.throws(() => tf.engine().runKernel(CCE, { target: tf.zeros([2, 3]), output: tf.zeros([2, 4]) }, { epsilon: 1e-7 }), /one shape/);
});

test.run();
