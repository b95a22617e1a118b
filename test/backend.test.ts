// The training kernels this project adds to wasm (and to cpu) must give the
// gradients TF.js's own cpu kernels give. References are computed on stock
// cpu first; then wasm with the added kernels, then cpu with its replaced
// ones, must match them.
import { test } from 'uvu';
import seedrandom from 'seedrandom';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { loadBackend, nativeAvailable } from '../grader/backend/load-backend.ts';
import { registerTrainingKernels } from '../grader/backend/training-kernels.ts';
import { filledTensor } from '../grader/backend/wasm-heap.ts';
import { toTensor } from '../grader/tasks/shared/images.ts';

type Case = { name: string; run: () => tf.Tensor[] };

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

function convCase(kind: 'conv' | 'depthwise', x: number[], k: number[], stride: number | [number, number], pad: 'same' | 'valid'): Case {
  return {
    name: `${kind} x${x} k${k} s${stride} ${pad}`,
    run: () => {
      const f = (xx: tf.Tensor4D, ff: tf.Tensor4D) => {
        const y = kind === 'conv' ? tf.conv2d(xx, ff, stride, pad) : tf.depthwiseConv2d(xx, ff, stride, pad);
        return tf.sum(tf.mul(y, rand(y.shape, 3)));
      };
      return tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([rand(x, 1), rand(k, 2)]);
    },
  };
}

const cases: Case[] = [];
for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    for (const [h, w] of [[7, 9], [8, 8], [5, 6]]) {
      for (const [kh, kw] of [[3, 3], [1, 1], [2, 3], [5, 5]]) {
        if (kh > h) continue;
        cases.push(convCase('conv', [2, h, w, 3], [kh, kw, 3, 4], stride, pad));
        cases.push(convCase('depthwise', [2, h, w, 3], [kh, kw, 3, 2], stride, pad));
      }
    }
  }
}
// Depth multiplier 1 (MobileNet's): wasm runs dx as its own depthwise conv of the zero-dilated dy.
for (const stride of [1, 2, 3]) {
  for (const pad of ['same', 'valid'] as const) {
    for (const [h, w, k] of [[6, 6, 3], [7, 9, 3], [8, 5, 2], [5, 7, 1], [9, 8, 5]] as const) {
      cases.push(convCase('depthwise', [2, h, w, 5], [k, k, 5, 1], stride, pad));
    }
  }
}
cases.push(convCase('depthwise', [2, 9, 8, 4], [3, 2, 4, 1], [2, 1], 'same'));
cases.push(convCase('depthwise', [1, 7, 9, 3], [2, 3, 3, 1], [1, 3], 'valid'));
// Channels in the SIMD filter gradient's blocks of 16, 4 and 1 (37 = 2·16 + 4 + 1).
cases.push(convCase('depthwise', [3, 8, 8, 37], [3, 3, 37, 1], 2, 'same'));
cases.push(convCase('depthwise', [2, 6, 7, 16], [3, 3, 16, 1], 1, 'valid'));

for (const [size, stride, pad] of [[2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'valid'], [2, 2, 'same']] as const) {
  cases.push({
    name: `maxPool ${size}/${stride} ${pad} with ties`,
    run: () => tf.grads((x: tf.Tensor) => {
      const y = tf.maxPool(tf.relu(x) as tf.Tensor4D, size, stride, pad); // rounded, then relu: many tied maxima
      return tf.sum(tf.mul(y, rand(y.shape, 5)));
    })([tf.round(rand([2, 9, 9, 3], 4))]),
  });
}
cases.push({
  name: 'gather with repeated indices (UnsortedSegmentSum)',
  run: () => tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d([3, 0, 3, 3, 7], 'int32')), rand([5, 4], 6))))([rand([8, 4], 7)]),
});
for (const [ta, tb] of [[false, true], [true, false], [true, true]]) {
  cases.push({
    name: `matMul transposeA=${ta} transposeB=${tb}`,
    run: () => [tf.matMul(rand(ta ? [5, 3] : [3, 5], 8), rand(tb ? [4, 5] : [5, 4], 9), ta, tb), tf.matMul(rand([2, 3, 5], 10), rand([2, 4, 5], 11), false, true)],
  });
}
cases.push({ name: 'gather rows (fit batches)', run: () => [tf.gather(rand([10, 3, 2], 12), tf.tensor1d([9, 0, 4, 4], 'int32'))] });
const ints = (shape: number[], seed: number) => tf.floor(rand(shape, seed).mul(5)).cast('int32');
cases.push({
  name: 'slice: runs and blocks, ranks 1 to 5, float, int and bool',
  run: () => {
    const x5 = rand([4, 5, 6, 3, 2], 13);
    return [
      tf.slice(x5, [1, 0, 2, 1, 0], [2, 5, 3, 2, 2]), // strided runs
      tf.slice(x5, [1, 2, 3, 1, 1], [1, 1, 1, 1, 1]),
      tf.slice(x5, [2, 0, 0, 0, 0], [2, -1, -1, -1, -1]), // one block
      tf.slice(rand([9], 14), [3], [4]),
      tf.slice(rand([5, 7], 15), [0, 2], [5, 3]), // columns
      tf.slice(rand([3, 4, 5], 16), [1, 1, 1], [2, 3, 4]),
      tf.slice(ints([6, 4, 4, 2], 17), [1, 1, 0, 1], [3, 2, 4, 1]).cast('float32'),
      tf.slice(tf.greater(rand([6, 5], 18), 0), [2, 1], [3, 3]).cast('float32'),
      tf.slice(rand([4, 3], 19), [1, 0], [0, 3]), // empty
    ];
  },
});
cases.push({
  name: 'unstack, split and strided slices (through the same heap copies)',
  run: () => {
    const x = rand([4, 3, 5], 24);
    return [
      ...tf.unstack(x), ...tf.unstack(x, 1), ...tf.unstack(x, -1),
      ...tf.split(x, 2, 0), ...tf.split(x, [1, -1, 2], 2),
      tf.stridedSlice(x, [1, 0, 0], [3, 3, 5], [1, 1, 1]), // rows: contiguous
      tf.stridedSlice(x, [1], [2], [1], 0, 0, 0, 0, 1), // one row, axis dropped
      tf.stridedSlice(x, [0, 1, 1], [4, 3, 4], [1, 1, 1]), // a box: runs
      tf.stridedSlice(x, [0, 0, 0], [4, 3, 5], [2, 1, 2]), // strided: wasm's own kernel
      ...tf.unstack(tf.greater(x, 0).cast('int32'), 2).map((t) => t.cast('float32')),
    ];
  },
});
cases.push({
  name: 'tile (block copies) and sum/mean over leading axes, keepDims or not',
  run: () => {
    const x = rand([3, 1, 4, 2], 25);
    return [
      tf.tile(x, [2, 3, 1, 2]), tf.tile(rand([1, 1, 1, 5], 26), [2, 3, 4, 1]), tf.tile(rand([7], 27), [3]), tf.tile(rand([2, 3], 28), [1, 1]),
      tf.tile(ints([2, 3], 29), [3, 2]).cast('float32'), tf.tile(tf.greater(rand([3, 2], 30), 0), [2, 2]).cast('float32'),
      tf.sum(x, [0, 1, 2]), tf.sum(x, [2, 0, 1], true), tf.sum(x, 0), tf.mean(x, [0, 1]), tf.mean(x, [0, 1, 2], true),
      tf.sum(rand([1, 5], 45), 0), tf.mean(rand([2, 1, 1, 3], 46), [0, 1, 2]), tf.sum(rand([1, 1, 4], 47), [0, 1]), // 1×1 pooling windows
      tf.sum(x, [1, 2]), tf.mean(x, -1), tf.sum(x), tf.sum(ints([4, 3], 31), 0).cast('float32'), // stock paths
      ...tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.moments(t, [0, 1, 2]).variance, rand([2], 32))))([x]),
    ];
  },
});
cases.push({
  name: 'batchNorm gradients (x, mean, variance, scale, offset; 4D and 2D; training-mode moments; without scale: the InceptionV3 test below)',
  run: () => {
    const bn = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor | undefined, o: tf.Tensor, r: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(x, m, v, o, s, 1e-3), r));
    const c = 5, x4 = rand([3, 4, 2, c], 33), x2 = rand([7, c], 34), r4 = rand([3, 4, 2, c], 35), r2 = rand([7, c], 36);
    const m = rand([c], 37), v = tf.add(tf.square(rand([c], 38)), 0.1), s = rand([c], 39), o = rand([c], 40);
    return [
      ...tf.grads((x: tf.Tensor, mm: tf.Tensor, vv: tf.Tensor, ss: tf.Tensor, oo: tf.Tensor) => bn(x, mm, vv, ss, oo, r4))([x4, m, v, s, o]),
      ...tf.grads((x: tf.Tensor, mm: tf.Tensor, vv: tf.Tensor, ss: tf.Tensor, oo: tf.Tensor) => bn(x, mm, vv, ss, oo, r2))([x2, m, v, s, o]),
      tf.batchNorm(x4, m, v), tf.batchNorm(x2, m, v, undefined, s), tf.batchNorm(x4, ...[m, v, o, s].map((t) => tf.reshape(t, [1, 1, 1, c])) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]), // forward: no scale or offset; broadcast (stock)
      ...tf.grads((x: tf.Tensor) => { // as a BatchNormalization layer trains: statistics of the batch itself
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return bn(x, mean, variance, s, o, r4);
      })([x4]),
    ];
  },
});
cases.push({
  name: 'clipByValue (ReLU6) and mean gradients, values on the bounds included',
  run: () => {
    const x = tf.concat([tf.mul(rand([4, 3, 5], 41), 4), tf.fill([1, 3, 5], 6), tf.zeros([1, 3, 5])]);
    const r = rand([6, 3, 5], 42);
    return [
      ...tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(t, 0, 6), r)))([x]),
      ...tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(t, -1.5, 2), r)))([x]),
      ...tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, [0, 2], true), rand([1, 3, 1], 43))))([x]),
      ...tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, 1), rand([6, 5], 44))))([x]),
    ];
  },
});
cases.push({
  name: 'gradient through gather and slice of a large constant (saved by reference)',
  run: () => tf.grads((w: tf.Tensor) => {
    const data = rand([500, 6], 20);
    const rows = tf.gather(data, tf.tensor1d([4, 499, 0, 4], 'int32'));
    return tf.sum(tf.mul(tf.matMul(rows, w), tf.slice(data, [10, 0], [4, 3]).sum(1, true)));
  })([rand([6, 3], 21)]),
});

// BatchNormalization in training (on wasm: the fused moments and gradient, fused-batchnorm.ts): the output,
// dx, dgamma, dbeta and the moving statistics; 700 rows span several of its float32 blocks, 37 channels its SIMD tails.
for (const shape of [[3, 5, 6, 37], [700, 8], [2, 3, 4, 5]]) {
  cases.push({
    name: `batchNormalization layer in training ${JSON.stringify(shape)}`,
    run: () => {
      const c = shape[shape.length - 1]!;
      const layer = tf.layers.batchNormalization({ momentum: 0.8, epsilon: 1e-3 });
      layer.build([null, ...shape.slice(1)]);
      layer.setWeights([tf.add(rand([c], 62), 1), rand([c], 63), rand([c], 64), tf.exp(rand([c], 65))]);
      const x = tf.variable(tf.add(tf.mul(rand(shape, 60), 3), 1.5)); // mean and variance far from 0 and 1
      const r = rand(shape, 61);
      const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, r)), [x, gamma!, beta!]);
      const out = layer.apply(x, { training: true }) as tf.Tensor;
      return [out, grads[x.name]!, grads[gamma!.name]!, grads[beta!.name]!, ...layer.nonTrainableWeights.map((w) => w.read())];
    },
  });
}

// categorical cross-entropy of a model compiled with it by name (on wasm: the fused loss, fused-crossentropy.ts):
// loss and both gradients, with outputs on and beyond the clip bounds, soft and int32 one-hot targets, rank 3.
cases.push({
  name: 'categoricalCrossentropy loss of a compiled model: values and gradients',
  run: () => {
    const input = tf.input({ shape: [4] });
    const m = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 5 }).apply(input) as tf.SymbolicTensor });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd' });
    const loss = (m as unknown as { lossFunctions: ((t: tf.Tensor, p: tf.Tensor) => tf.Tensor)[] }).lossFunctions[0]!;
    const out: tf.Tensor[] = [];
    const soft = tf.softmax(rand([6, 5], 70));
    const edges = tf.tensor2d([[1, 0, 0, 0, 0], [0.5, 0.5, 0, 0, 0], [1e-9, 1 - 1e-9, 0, 0, 0], [2, 1, 1, 0, 0], [0.2, 0.2, 0.2, 0.2, 0.2], [1e-7, 0.3, 0.3, 0.2, 0.2]]);
    const hard = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 1], 'int32'), 5);
    const targetSoft = tf.softmax(rand([6, 5], 71));
    for (const [t, p] of [[hard.cast('float32'), soft], [targetSoft, soft], [hard.cast('float32'), edges], [targetSoft, edges]] as const) {
      const r = rand([6], 72);
      out.push(loss(t, p), ...tf.grads((tt: tf.Tensor, pp: tf.Tensor) => tf.sum(tf.mul(loss(tt, pp), r)))([t, p]));
    }
    out.push(loss(hard, soft)); // int32 targets: value only (no gradient into integers)
    const p3 = tf.softmax(rand([2, 3, 5], 73)), t3 = tf.softmax(rand([2, 3, 5], 74));
    out.push(...tf.grads((pp: tf.Tensor) => tf.sum(tf.mul(loss(t3, pp), rand([2, 3], 75))))([p3]));
    return out;
  },
});

cases.push({
  name: 'add of a per-channel bias (conv and dense layers in training), either order, and its gradients',
  run: () => {
    const x4 = rand([3, 5, 4, 37], 80), b4 = rand([1, 1, 1, 37], 81), x2 = rand([9, 6], 82), b1 = rand([6], 83);
    const g = (x: tf.Tensor, b: tf.Tensor, r: tf.Tensor) => tf.grads((xx: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.add(xx, bb), r)))([x, b]);
    return [tf.add(x4, b4), tf.add(b4, x4), tf.add(x2, b1), tf.add(b1, x2), tf.add(rand([2, 3], 84), rand([1, 3], 85)),
      ...g(x4, b4, rand([3, 5, 4, 37], 86)), ...g(b1, x2, rand([9, 6], 87))];
  },
});

function values(c: Case): Float32Array[] {
  return tf.tidy(() => c.run().map((t) => t.dataSync() as Float32Array));
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return diff / scale;
}

let reference: Float32Array[][];

test.before(async () => {
  await tf.setBackend('cpu');
  reference = cases.map(values); // stock cpu kernels: nothing registered yet
});

function agrees(backend: string) {
  for (const [i, c] of cases.entries()) {
    const got = values(c);
    assert.is(got.length, reference[i]!.length, c.name);
    for (const [k, g] of got.entries()) {
      assert.is(g.length, reference[i]![k]!.length, c.name);
      const err = maxRelError(reference[i]![k]!, g);
      assert.ok(err < 2e-5, `${backend}: ${c.name}, output ${k}: relative error ${err}`);
    }
  }
}

test('wasm with the added kernels: every gradient matches stock cpu', async () => {
  const report = await loadBackend(tf, 'wasm');
  assert.is(tf.getBackend(), 'wasm');
  for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'MaxPoolGrad', 'UnsortedSegmentSum', 'BatchMatMul', 'GatherV2', 'Identity', 'Slice', 'StridedSlice', 'SplitV', 'Unpack', 'Tile', 'Sum', 'Mean', 'FusedBatchNorm', 'Cast', 'DlgradeClipByValueGrad', 'DlgradeAdam', 'DlgradeBatchMoments', 'DlgradeBatchNormGrad', 'DlgradeCategoricalCrossentropy', 'DlgradeCategoricalCrossentropyGrad']) {
    assert.ok(report.kernels.includes(k), `registered ${k}`);
  }
  agrees('wasm');
});

test('cpu with the replaced kernels: every gradient still matches stock cpu', async () => {
  await tf.setBackend('cpu');
  assert.ok(registerTrainingKernels(tf, 'cpu').kernels.includes('Conv2DBackpropFilter'));
  agrees('cpu');
});

test('saved tensors share their data (no Identity kernel), and a gradient of a gradient still flows through them', async () => {
  await loadBackend(tf, 'wasm');
  const x = tf.tensor1d([-1.5, 0.5, 2, 3]);
  const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.mul(t, t), tf.sin(t))); // mul and sin save their inputs
  const ran = (await tf.profile(() => tf.grad(f)(x))).kernelNames;
  assert.ok(!ran.includes('Identity'), `first-order: no clone kernel (ran ${ran.join(', ')})`);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.dispose(tf.grad(f)(x));
  assert.is(tf.memory().numTensors, before, 'the shared copies are released with the tape');
  // d²/dx² of x²·sin x is (2 − x²)·sin x + 4x·cos x: nested tapes keep stock's clone, whose tape node the outer gradient needs.
  const second = tf.grad((t: tf.Tensor) => tf.sum(tf.grad(f)(t)))(x).arraySync() as number[];
  const xs = [-1.5, 0.5, 2, 3];
  xs.forEach((v, i) => assert.ok(Math.abs(second[i]! - ((2 - v * v) * Math.sin(v) + 4 * v * Math.cos(v))) < 1e-3 * Math.max(1, Math.abs(second[i]!)), `second derivative at ${v}: ${second[i]}`));
});

test('conv filter gradient agrees with a finite difference (independent of any kernel)', async () => {
  await tf.setBackend('wasm');
  // The loss is linear in the filter, so a central difference is exact up to rounding.
  const x = rand([2, 7, 6, 2], 20), r = rand([2, 4, 3, 3], 21);
  const loss = (f: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f, 2, 'same'), r));
  const f0 = rand([3, 3, 2, 3], 22) as tf.Tensor4D;
  const analytic = tf.grad(loss as (f: tf.Tensor) => tf.Tensor)(f0).dataSync();
  const base = f0.dataSync();
  const eps = 0.5;
  for (const idx of [0, 7, 20, 53]) {
    const plus = base.slice(), minus = base.slice();
    plus[idx] += eps;
    minus[idx] -= eps;
    const numeric = (loss(tf.tensor4d(plus, f0.shape)).dataSync()[0]! - loss(tf.tensor4d(minus, f0.shape)).dataSync()[0]!) / (2 * eps);
    assert.ok(Math.abs(numeric - analytic[idx]!) < 1e-3 * Math.max(1, Math.abs(numeric)), `dW[${idx}]: numeric ${numeric}, analytic ${analytic[idx]}`);
  }
});

/** One model with every layer type the assignments use; `dropout` off for exact comparisons. */
function zoo(dropout: number): tf.LayersModel {
  const image = tf.input({ shape: [12, 12, 3] });
  let a = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(image) as tf.SymbolicTensor;
  a = tf.layers.batchNormalization({ momentum: 0.9 }).apply(a) as tf.SymbolicTensor;
  a = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2 }).apply(a) as tf.SymbolicTensor;
  a = tf.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(a) as tf.SymbolicTensor;
  const b = tf.layers.averagePooling2d({ poolSize: 2 }).apply(a) as tf.SymbolicTensor;
  const c = tf.layers.maxPooling2d({ poolSize: 2 }).apply(a) as tf.SymbolicTensor;
  let m = tf.layers.add().apply([b, c]) as tf.SymbolicTensor;
  m = tf.layers.globalAveragePooling2d({}).apply(m) as tf.SymbolicTensor;
  const gate = tf.layers.dense({ units: 8, activation: 'sigmoid' }).apply(m) as tf.SymbolicTensor;
  m = tf.layers.multiply().apply([m, gate]) as tf.SymbolicTensor;
  const tokens = tf.input({ shape: [5] });
  let e = tf.layers.embedding({ inputDim: 20, outputDim: 4 }).apply(tokens) as tf.SymbolicTensor;
  e = tf.layers.flatten().apply(e) as tf.SymbolicTensor;
  let out = tf.layers.concatenate().apply([m, e]) as tf.SymbolicTensor;
  out = tf.layers.dropout({ rate: dropout }).apply(out) as tf.SymbolicTensor;
  out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(out) as tf.SymbolicTensor;
  return tf.model({ inputs: [image, tokens], outputs: out });
}

function zooBatch() {
  return {
    x: [rand([6, 12, 12, 3], 30), tf.tensor2d(Array.from({ length: 30 }, (_, i) => (i * 7) % 20), [6, 5])],
    y: tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3),
  };
}

test('every layer type the assignments use trains on wasm, with the gradients cpu computes', async () => {
  await tf.setBackend('cpu');
  const model = zoo(0);
  const { x, y } = zooBatch();
  const lossOf = () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const gradsOn = async (backend: string) => {
    await tf.setBackend(backend);
    const { grads } = tf.variableGrads(lossOf, model.trainableWeights.map((w) => w.read() as tf.Variable));
    return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array]));
  };
  const onCpu = await gradsOn('cpu');
  const onWasm = await gradsOn('wasm');
  assert.equal(Object.keys(onWasm).sort(), Object.keys(onCpu).sort());
  for (const k of Object.keys(onCpu)) assert.ok(maxRelError(onCpu[k]!, onWasm[k]!) < 1e-4, `${k}: ${maxRelError(onCpu[k]!, onWasm[k]!)}`);

  // And fit() itself, Dropout included, runs and learns on wasm (dropout masks and shuffling follow a fixed seed).
  seedrandom('backend-test-fit', { global: true });
  const net = zoo(0.3);
  net.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const h = await net.fit(x, y, { epochs: 15, batchSize: 6, verbose: 0 });
  const losses = h.history.loss as number[];
  assert.is(tf.getBackend(), 'wasm');
  assert.ok(losses.every(Number.isFinite) && losses.at(-1)! < losses[0]! * 0.7, `loss ${losses[0]} → ${losses.at(-1)}`);
});

test('BatchNormalization: the same outputs and moving statistics on wasm as on cpu', async () => {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    tf.util.assert(tf.getBackend() === backend, () => backend);
    const bn = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [4, 4, 3], momentum: 0.9 })] });
    bn.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = tf.add(tf.mul(rand([8, 4, 4, 3], 40), 3), 2), y = rand([8, 4, 4, 3], 41);
    await bn.fit(x, y, { epochs: 4, batchSize: 4, shuffle: false, verbose: 0 });
    const out = (bn.predict(x) as tf.Tensor).dataSync() as Float32Array;
    return [out, ...bn.getWeights().map((w) => w.dataSync() as Float32Array)];
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  assert.is(cpu.length, 5); // output, gamma, beta, moving mean, moving variance
  for (const [i, v] of cpu.entries()) assert.ok(maxRelError(v, wasm[i]!) < 1e-5, `array ${i}: ${maxRelError(v, wasm[i]!)}`);
  assert.ok(maxRelError(cpu[3]!, new Float32Array(3)) > 0.1, 'moving mean moved');
});

test('BatchNormalization without scale (as in InceptionV3) passes input gradients in inference mode, as cpu does', async () => {
  // Stock tfjs 4.22 throws here on every backend (FusedBatchNorm's gradient saves the missing scale).
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    tf.util.assert(tf.getBackend() === backend, () => backend);
    const net = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
        tf.layers.batchNormalization({ scale: false }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
      ],
    });
    net.layers[1]!.setWeights([tf.tensor1d([0.1, -0.2, 0.3]), tf.tensor1d([0.5, 0.1, 0.2]), tf.tensor1d([2, 0.5, 1])]); // beta, moving mean, moving variance
    const x = rand([4, 6, 6, 2], 50);
    return tf.grad((img: tf.Tensor) => (net.apply(img, { training: false }) as tf.Tensor).square().sum())(x).dataSync() as Float32Array;
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  assert.ok(cpu.some((v) => v !== 0), 'a gradient flows');
  assert.ok(maxRelError(cpu, wasm) < 1e-4, `dx: ${maxRelError(cpu, wasm)}`);
});

test('wasm saves tensors for the gradient by reference, not by copying them', async () => {
  await tf.setBackend('wasm');
  const data = rand([2000, 500], 22); // 4 MB that a custom loop gathers batches from
  // The engine saves a kernel's inputs for its gradient with the Identity kernel (Engine.clone).
  const saved = tf.engine().runKernel('Identity', { x: data }) as tf.Tensor;
  assert.ok(saved.dataId === data.dataId, 'the saved tensor shares the data');
  const sum = data.sum().dataSync()[0];
  data.dispose();
  assert.is(saved.sum().dataSync()[0], sum, 'and outlives its original');
  saved.dispose();
  const str = tf.tensor1d(['a', 'b']);
  assert.equal(tf.clone(str).dataSync(), ['a', 'b'], 'strings still clone');
  // A cast to the same dtype shares too; a real cast converts as cpu does.
  const f = tf.tensor1d([1.7, -2.5, 3]);
  const same = tf.cast(f, 'float32');
  assert.ok(same.dataId === f.dataId);
  f.dispose();
  assert.equal(Array.from(same.dataSync()), [1.7, -2.5, 3].map(Math.fround));
  assert.equal(Array.from(tf.cast(same, 'int32').dataSync()), [1, -2, 3]);
});

test('filledTensor writes straight into the wasm heap and frees like any tensor', async () => {
  await tf.setBackend('wasm');
  const bytes = Uint8Array.from({ length: 3 * 5 * 4 }, (_, i) => (i * 37) % 256);
  const before = tf.memory().numTensors;
  const t = filledTensor(tf, [3, 5, 4, 1], (f) => bytes.forEach((b, i) => (f[i] = b / 255)));
  assert.equal(t.shape, [3, 5, 4, 1]);
  assert.equal(Array.from(t.dataSync()), Array.from(bytes, (b) => Math.fround(b / 255)));
  const big = tf.zeros([1000, 1000]); // grows the heap: the tensor must still read back
  assert.equal(Array.from(t.dataSync()), Array.from(bytes, (b) => Math.fround(b / 255)));
  tf.dispose([t, big]);
  assert.is(tf.memory().numTensors, before, 'disposed');
});

test('toTensor turns cached uint8 pixels into [0, 1] floats on wasm and on cpu', async () => {
  const bytes = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 53) % 256);
  for (const backend of ['cpu', 'wasm']) { // wasm last: the tests after this one run there
    await tf.setBackend(backend);
    const t = toTensor(tf, bytes, 2, 3, 4);
    assert.equal(t.shape, [2, 3, 4, 1], backend);
    assert.equal(Array.from(t.dataSync()), Array.from(bytes, (b) => Math.fround(b / 255)), backend);
    t.dispose();
  }
});

async function rejects(fn: () => Promise<unknown>, re: RegExp) {
  const err = await fn().then(() => null, (e: Error) => e);
  assert.ok(err, `expected a rejection matching ${re}`);
  assert.match(err!.message, re);
}

test('loadBackend refuses what it cannot give instead of falling back', async () => {
  await rejects(() => loadBackend(tf, 'tensorflow', { allowNative: false }), /allow-native/);
  if (!nativeAvailable()) await rejects(() => loadBackend(tf, 'tensorflow', { allowNative: true }), /tfjs-node is not installed/);
  assert.is(tf.getBackend(), 'wasm'); // unchanged by the failed attempts
});

test.run();
