// grader/tasks/shared/topology.ts: what the trusted grader reads off a saved
// model.json, on hand-written files (twin via a shared node, SE pattern, custom
// class, residual Add, trainable flags), on hostile ones (malformed, huge,
// deeply nested: refused, no stack overflow), and on what TF.js itself saves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import {
  BUILTIN_LAYER_CLASSES, customClasses, layersOf, MAX_MODEL_JSON_BYTES, parseModelJson, residualAdds, seBlockHint, seBlocks, sharedLayers, TopologyError, trainableByLayer,
} from '../grader/tasks/shared/topology.ts';

type Ref = [string, number, number, Record<string, never>];
const ref = (name: string, node = 0): Ref => [name, node, 0, {}];
const layer = (name: string, className: string, inbound: Ref[][], config: Record<string, unknown> = {}) =>
  ({ name, class_name: className, config: { name, trainable: true, ...config }, inbound_nodes: inbound });
const functional = (layers: unknown[], extra: Record<string, unknown> = {}) => ({ class_name: 'Model', config: { name: 'm', layers, input_layers: [], output_layers: [], ...extra } });
const modelJson = (topology: unknown, weights: string[] = []) =>
  JSON.stringify({ modelTopology: topology, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: weights.map((name) => ({ name, shape: [1], dtype: 'float32' })) }] });

/** x → conv → [GAP → Dense relu → Dense sigmoid → Reshape] × conv → Multiply → Flatten → Dense. */
function seModel(opts: { gate?: string; poolOf?: string; classNames?: Record<string, string> } = {}) {
  const c = (n: string, dflt: string) => opts.classNames?.[n] ?? dflt;
  return functional([
    layer('in', 'InputLayer', []),
    layer('conv1', 'Conv2D', [[ref('in')]], { activation: 'relu' }),
    layer('other', 'Conv2D', [[ref('in')]]),
    layer('sq', c('sq', 'GlobalAveragePooling2D'), [[ref(opts.poolOf ?? 'conv1')]]),
    layer('reduce', 'Dense', [[ref('sq')]], { activation: 'relu', units: 3 }),
    layer('gate', 'Dense', [[ref('reduce')]], { activation: opts.gate ?? 'sigmoid', units: 6 }),
    layer('w', 'Reshape', [[ref('gate')]], { target_shape: [1, 1, 6] }),
    layer('scale', c('scale', 'Multiply'), [[ref('conv1'), ref('w')]]),
    layer('flat', 'Flatten', [[ref('scale')]]),
    layer('out', 'Dense', [[ref('flat')]], { activation: 'softmax' }),
  ]);
}

test('the built-in layer list is exactly the Layer classes TF.js registers', () => {
  const map = (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: Record<string, [new () => unknown, unknown]> }).classNameMap;
  const fromTf = Object.keys(map).filter((n) => map[n]![0].prototype instanceof tf.layers.Layer).sort();
  assert.equal([...BUILTIN_LAYER_CLASSES].sort(), fromTf);
  assert.ok(BUILTIN_LAYER_CLASSES.has('Multiply') && BUILTIN_LAYER_CLASSES.has('Sequential') && !BUILTIN_LAYER_CLASSES.has('Adam'));
});

test('SE pattern: GAP → Dense → Dense sigmoid → Reshape → Multiply with the pooled map; variants that are not SE are not counted', () => {
  const blocks = seBlocks(parseModelJson(modelJson(seModel())));
  assert.equal(blocks.map((b) => [b.multiply, b.pool, b.featureMap, b.dense]), [['scale', 'sq', 'conv1', ['reduce', 'gate']]]);
  assert.is(seBlocks(parseModelJson(modelJson(seModel({ gate: 'hard_sigmoid' })))).length, 1);
  // The gate must be a sigmoid.
  assert.is(seBlocks(parseModelJson(modelJson(seModel({ gate: 'relu' })))).length, 0);
  // The pooling must squeeze the very map the Multiply scales.
  assert.is(seBlocks(parseModelJson(modelJson(seModel({ poolOf: 'other' })))).length, 0);
  // Classes must be the built-in ones: a max pooling is no squeeze, a custom "Multiply"-alike is no Multiply.
  assert.is(seBlocks(parseModelJson(modelJson(seModel({ classNames: { sq: 'GlobalMaxPooling2D' } })))).length, 0);
  assert.is(seBlocks(parseModelJson(modelJson(seModel({ classNames: { scale: 'SEBlock' } })))).length, 0);
  // A layer class merely named like an SE block counts for nothing (and is reported as custom).
  const named = functional([layer('in', 'InputLayer', []), layer('se_block', 'SEBlock', [[ref('in')]]), layer('out', 'Dense', [[ref('se_block')]])]);
  assert.is(seBlocks(named).length, 0);
  assert.equal(customClasses(named).map((l) => l.className), ['SEBlock']);
});

test('no SE block found: the hint names a custom layer class the grader cannot see into, else what is missing', () => {
  // conv → SEBlock (a tf.layers.Layer subclass doing the squeeze and excitation inside call()) → flatten → dense.
  const custom = parseModelJson(modelJson(functional([
    layer('in', 'InputLayer', []), layer('conv1', 'Conv2D', [[ref('in')]]),
    layer('se_block', 'SEBlock', [[ref('conv1')]], { ratio: 4 }), layer('flat', 'Flatten', [[ref('se_block')]]), layer('out', 'Dense', [[ref('flat')]]),
  ])));
  assert.is(seBlocks(custom).length, 0);
  assert.is(seBlockHint(custom), 'the saved model has a custom layer class SEBlock whose insides the grader cannot see; build the SE block from standard layers (globalAveragePooling2d, dense, reshape, multiply)');
  // Inside a nested Sequential, and two classes: both named once.
  const nested = functional([layer('in', 'InputLayer', []), { name: 'body', class_name: 'Sequential', config: { name: 'body', layers: [
    { class_name: 'SqueezeExcite', config: { name: 'se1' } }, { class_name: 'SqueezeExcite', config: { name: 'se2' } }, { class_name: 'ChannelScale', config: { name: 'cs' } },
  ] }, inbound_nodes: [[ref('in')]] }]);
  assert.match(seBlockHint(nested)!, /^the saved model has custom layer classes SqueezeExcite, ChannelScale whose insides the grader cannot see; /);
  // Built-in layers only: a real SE block needs no hint; without any Multiply the hint says so; a Multiply without a sigmoid gate is named too.
  assert.is(seBlockHint(parseModelJson(modelJson(seModel()))), undefined);
  assert.match(seBlockHint(functional([layer('in', 'InputLayer', []), layer('conv1', 'Conv2D', [[ref('in')]]), layer('out', 'Dense', [[ref('conv1')]])]))!, /^the saved model has no multiply layer/);
  assert.match(seBlockHint(parseModelJson(modelJson(seModel({ gate: 'relu' }))))!, /^no multiply in the saved model scales a feature map by a sigmoid gate/);
});

test('twin: one layer node reused (a Dense or a nested Sequential called on both inputs) counts; separate branches and weightless reuse do not', () => {
  const twin = functional([
    layer('a', 'InputLayer', []), layer('b', 'InputLayer', []),
    { name: 'branch', class_name: 'Sequential', config: { name: 'branch', layers: [{ class_name: 'Flatten', config: { name: 'fl' } }, { class_name: 'Dense', config: { name: 'd1', units: 8 } }] }, inbound_nodes: [[ref('a')], [ref('b')]] },
    layer('fuse', 'PairFusion', [[ref('branch', 1), ref('branch', 2)]]),
    layer('out', 'Dense', [[ref('fuse')]]),
  ]);
  const saved = parseModelJson(modelJson(twin, ['d1/kernel', 'd1/bias', 'out/kernel', 'out/bias']));
  assert.equal(sharedLayers(saved).map((l) => l.name), ['branch']);
  assert.equal(customClasses(saved).map((l) => l.className), ['PairFusion']);
  assert.equal(layersOf(saved).filter((l) => l.path.length).map((l) => `${l.path.join('/')}/${l.name}`), ['branch/fl', 'branch/d1']);

  const sharedDense = functional([
    layer('a', 'InputLayer', []), layer('b', 'InputLayer', []),
    layer('fa', 'Flatten', [[ref('a')], [ref('b')]]), // reused, but holds no weights
    layer('enc', 'Dense', [[ref('fa', 0)], [ref('fa', 1)]]),
    layer('sum', 'Add', [[ref('enc', 0), ref('enc', 1)]]),
  ]);
  const s2 = parseModelJson(modelJson(sharedDense, ['enc/kernel', 'enc/bias']));
  assert.equal(sharedLayers(s2).map((l) => l.name), ['enc']);
  assert.equal(sharedLayers(s2, { weightedOnly: false }).map((l) => l.name), ['fa', 'enc']);
  assert.equal(residualAdds(s2), [], 'adding two branches is not a skip connection');

  const separate = functional([
    layer('a', 'InputLayer', []), layer('b', 'InputLayer', []),
    layer('ea', 'Dense', [[ref('a')]]), layer('eb', 'Dense', [[ref('b')]]),
    layer('cat', 'Concatenate', [[ref('ea'), ref('eb')]]),
  ]);
  assert.equal(sharedLayers(parseModelJson(modelJson(separate, ['ea/kernel', 'eb/kernel']))), []);
});

test('residual Add and trainable flags (a frozen nested model freezes its layers)', () => {
  const res = functional([
    layer('in', 'InputLayer', []),
    layer('c1', 'Conv2D', [[ref('in')]]),
    layer('c2', 'Conv2D', [[ref('c1')]], { trainable: false }),
    layer('skip', 'Add', [[ref('c2'), ref('c1')]]),
    { name: 'base', class_name: 'Sequential', config: { name: 'base', trainable: false, layers: [{ class_name: 'Dense', config: { name: 'inner', trainable: true } }] }, inbound_nodes: [[ref('skip')]] },
  ]);
  assert.equal(residualAdds(res), ['skip']);
  const t = trainableByLayer(res);
  assert.equal([t.c1, t.c2, t.base, t['base/inner']], [true, false, false, false]);
});

test('hostile model.json: malformed, huge, deeply nested, endless nesting of models, cycles: refused or bounded, never a stack overflow', () => {
  const refused = (text: string, re: RegExp) => {
    try {
      parseModelJson(text);
    } catch (e) {
      assert.instance(e, TopologyError);
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable(`accepted: ${text.slice(0, 60)}`);
  };
  refused('{"modelTopology": ', /not JSON/);
  refused('[1, 2]', /not a JSON object/);
  refused('{"weightsManifest": []}', /no modelTopology/);
  refused('['.repeat(1_000_000) + ']'.repeat(1_000_000), /nested deeper/);
  refused(`{"modelTopology":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}}`, /nested deeper/);
  refused(' '.repeat(MAX_MODEL_JSON_BYTES + 1), /larger than 16 MiB/);

  // Models nested in models, within the JSON depth bound but past the nesting bound.
  let nested: unknown = { class_name: 'Dense', config: { name: 'leaf' } };
  for (let i = 0; i < 12; i++) nested = { class_name: 'Sequential', config: { name: `s${i}`, layers: [nested] } };
  const deep = JSON.stringify({ modelTopology: nested });
  assert.throws(() => layersOf(parseModelJson(deep)), /nests models more than 8 deep/);

  // Layer names referring to each other in a cycle, and to layers that do not exist: walks end.
  const cyclic = functional([
    layer('x', 'Dense', [[ref('y')]]), layer('y', 'Dense', [[ref('x')]]),
    layer('add', 'Add', [[ref('x'), ref('y')]]),
    layer('m', 'Multiply', [[ref('x'), ref('ghost')]]),
    { name: 'weird', class_name: 42, config: 'no', inbound_nodes: [['not a ref'], 7, [[1, 2, 3]]] },
  ]);
  const saved = parseModelJson(modelJson(cyclic));
  assert.is(seBlocks(saved).length, 0);
  assert.equal(residualAdds(saved), ['add']);
  assert.equal(customClasses(saved).map((l) => l.name), ['weird']);

  // Every layer shared and a long weight list: answered in linear time, not layers × weights.
  const wide = functional([layer('a', 'InputLayer', []), layer('b', 'InputLayer', []), ...Array.from({ length: 19_000 }, (_, i) => layer(`l${i}`, 'Add', [[ref('a'), ref('b')], [ref('b'), ref('a')]]))]);
  const text = modelJson(wide, Array.from({ length: 50_000 }, (_, i) => `w${i}/a/b/c/d/e/kernel`));
  assert.ok(text.length < MAX_MODEL_JSON_BYTES, `${text.length}`);
  const t0 = performance.now();
  const wideSaved = parseModelJson(text);
  assert.is(sharedLayers(wideSaved).length, 0);
  assert.is(sharedLayers(wideSaved, { weightedOnly: false }).length, 19_000);
  assert.equal(residualAdds(wideSaved), []);
  assert.ok(performance.now() - t0 < 15_000, `${performance.now() - t0} ms (quadratic would take minutes)`);

  // Many layers: bounded count.
  const many = functional(Array.from({ length: 20_001 }, (_, i) => ({ name: `l${i}`, class_name: 'Dense', config: {} })));
  assert.throws(() => layersOf(parseModelJson(JSON.stringify({ modelTopology: many }))), /more than 20000 layers/);
});

test('what TF.js saves: an SE model, a twin with a custom layer, a residual Add; in-memory renames do not change a class', async () => {
  const save = async (m: tf.LayersModel) => {
    let text = '';
    await m.save(tf.io.withSaveHandler(async (a) => {
      text = JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    return parseModelJson(text);
  };
  // SE-LeNet's block, as the reference builds it, plus a residual Add around it.
  const input = tf.input({ shape: [8, 8, 1] });
  const x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  const sq = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const r = tf.layers.dense({ units: 2, activation: 'relu' }).apply(sq) as tf.SymbolicTensor;
  const g = tf.layers.dense({ units: 4, activation: 'hardSigmoid' }).apply(r) as tf.SymbolicTensor;
  const w = tf.layers.reshape({ targetShape: [1, 1, 4] }).apply(g) as tf.SymbolicTensor;
  const s = tf.layers.multiply().apply([x, w]) as tf.SymbolicTensor;
  const res = tf.layers.add().apply([s, x]) as tf.SymbolicTensor;
  const se = await save(tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(res)) as tf.SymbolicTensor }));
  assert.is(seBlocks(se).length, 1);
  assert.is(residualAdds(se).length, 1);
  assert.equal(customClasses(se), []);
  assert.equal(sharedLayers(se), []);

  class Fuse extends tf.layers.Layer {
    static className = 'Fuse';
    override computeOutputShape(shapes: tf.Shape[]) { return shapes[0]!; }
    override call(inputs: tf.Tensor | tf.Tensor[]) { const [a, b] = inputs as tf.Tensor[]; return tf.add(a!, b!); }
  }
  tf.serialization.registerClass(Fuse);
  const branch = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 3 })] });
  const a = tf.input({ shape: [4, 4, 1] }), b = tf.input({ shape: [4, 4, 1] });
  const fused = new Fuse({}).apply([branch.apply(a) as tf.SymbolicTensor, branch.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const twin = await save(tf.model({ inputs: [a, b], outputs: tf.layers.dense({ units: 19 }).apply(fused) as tf.SymbolicTensor }));
  assert.equal(sharedLayers(twin).map((l) => l.className), ['Sequential']);
  assert.equal(customClasses(twin).map((l) => l.className), ['Fuse']);

  // Two separate branches whose reports are patched in memory (extra inbound nodes that do not
  // lead to the outputs): TF.js serialises the graph reached from the outputs, so no twin.
  const ea = tf.layers.dense({ units: 3 }), eb = tf.layers.dense({ units: 3 });
  const fa = tf.layers.flatten().apply(a) as tf.SymbolicTensor, fb = tf.layers.flatten().apply(b) as tf.SymbolicTensor;
  const sep = tf.model({ inputs: [a, b], outputs: tf.layers.concatenate().apply([ea.apply(fa) as tf.SymbolicTensor, eb.apply(fb) as tf.SymbolicTensor]) as tf.SymbolicTensor });
  (ea as unknown as { inboundNodes: unknown[] }).inboundNodes.push((ea as unknown as { inboundNodes: unknown[] }).inboundNodes[0]);
  assert.equal(sharedLayers(await save(sep)), []);
});

test.run();
