/** The Keras config → spec keys mapping that registry entries share, and the per-entry hook. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kerasToSpec } from '../../src/convert/from-keras.js';
import { readTopology } from '../../src/convert/keras-topology.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { LeakyRelu } from '../../src/layers/custom/activation-fn.js';
import { activationFromKeras, genericFromKeras, initializerFromKeras, regularizerFromKeras } from '../../src/layers/keras.js';
import type { FromKerasContext } from '../../src/layers/registry.js';
import { LayerRegistry } from '../../src/layers/registry.js';
import type { LayerDef } from '../../src/layers/registry.js';

const vs = (scale: number, mode: string, distribution: string) => ({ class_name: 'VarianceScaling', config: { scale, mode, distribution, seed: 3 } });

test('initializers: Keras objects, Keras 3 names and TensorFlow.js VarianceScaling to spec forms', () => {
  assert.deepEqual(initializerFromKeras(vs(1, 'fan_avg', 'uniform')), { value: 'glorot_uniform' });
  assert.deepEqual(initializerFromKeras(vs(2, 'fan_in', 'truncated_normal')), { value: 'he_normal' });
  assert.deepEqual(initializerFromKeras({ class_name: 'VarianceScaling', config: { scale: 1, mode: null, distribution: null } }), { value: 'lecun_normal' }, 'nulls are the defaults');
  assert.deepEqual(initializerFromKeras({ class_name: 'VarianceScaling', config: { scale: 2, mode: 'fanIn', distribution: 'uniform' } }), { value: 'he_uniform' }, 'camelCase modes');
  assert.deepEqual(initializerFromKeras({ class_name: 'OrthogonalInitializer', config: { gain: 1, seed: null } }), { value: 'orthogonal' });
  assert.deepEqual(initializerFromKeras({ class_name: 'RandomNormal', config: { mean: 0, stddev: 0.02, seed: null } }), { value: { type: 'random_normal', stddev: 0.02 } });
  assert.deepEqual(initializerFromKeras({ class_name: 'Constant', config: { value: 0.5 } }), { value: { type: 'constant', value: 0.5 } });
  assert.deepEqual(initializerFromKeras('zeros'), { value: 'zeros' });
  assert.match((initializerFromKeras(vs(3, 'fan_out', 'uniform')) as { why: string }).why, /VarianceScaling\(scale=3, mode=fan_out/);
  assert.match((initializerFromKeras({ class_name: 'Identity', config: { gain: 1 } }) as { why: string }).why, /initializer Identity has no strata equivalent/);
});

test('regularizers and activations', () => {
  assert.deepEqual(regularizerFromKeras({ class_name: 'L1L2', config: { l1: 0, l2: 0.01 } }), { value: { l2: 0.01 } });
  assert.deepEqual(regularizerFromKeras({ class_name: 'L1L2', config: { l1: 0, l2: 0 } }), { value: undefined });
  assert.deepEqual(regularizerFromKeras(null), { value: undefined });
  assert.ok('why' in regularizerFromKeras({ class_name: 'OrthogonalRegularizer', config: {} }));
  assert.deepEqual(activationFromKeras('hardSigmoid'), { value: 'hard_sigmoid' });
  assert.deepEqual(activationFromKeras('hard_sigmoid'), { value: 'hard_sigmoid' });
  assert.deepEqual(activationFromKeras('silu'), { value: 'silu' });
  // A model strata saved names its own activations by their registered class names.
  assert.deepEqual(activationFromKeras(LeakyRelu.className), { value: 'leaky_relu' });
  assert.ok('why' in activationFromKeras('exponential'));
});

const ctx = (inputShapes: FromKerasContext['inputShapes']): FromKerasContext => {
  const c: FromKerasContext = { inputShapes, generic: () => ({ params: {}, lossy: [] }), nested: () => ({ spec: {}, lossy: [] }) };
  return c;
};

test('the generic mapping reads snake_case and camelCase keys, drops defaults, and lists the rest', () => {
  const conv = layerRegistry.get('conv2d')!;
  const r = genericFromKeras(conv, { name: 'c', filters: 8, kernelSize: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', kernel_constraint: { class_name: 'NonNeg' }, bias_constraint: null, mystery: 1 }, ctx([[8, 8, 3]]));
  assert.deepEqual(r.params, { filters: 8, kernel_size: 3, padding: 'same' });
  assert.deepEqual(r.lossy.map((l) => l.field), ['kernel_constraint', 'mystery']);
  const bn = layerRegistry.get('batch_norm')!;
  assert.deepEqual(genericFromKeras(bn, { axis: 3, momentum: 0.9 }, ctx([[8, 8, 3]])).lossy, [], 'axis 3 is the last axis of a 4D input');
  assert.equal(genericFromKeras(bn, { axis: 1 }, ctx([[8, 8, 3]])).lossy[0]?.field, 'axis');
});

test('every registry entry maps the Keras form of its own example back to the example', () => {
  // The example's params, written as Keras writes them (snake_case keys), come back unchanged
  // (up to defaults) through the entry's fromKeras or the generic mapping.
  for (const def of layerRegistry) {
    if (def.arity === 'none' || def.nested) continue;
    const c = ctx(def.example.inputs);
    const r = def.fromKeras?.(def.example.params, c) ?? genericFromKeras(def, def.example.params, c);
    assert.deepEqual(r.lossy, [], def.type);
    for (const [k, v] of Object.entries(def.example.params)) {
      if (r.params[k] !== undefined) assert.deepEqual(r.params[k], v, `${def.type}.${k}`);
      else assert.deepEqual(def.params[k]?.default, v, `${def.type}.${k} dropped only when it is the default`);
    }
  }
});

test("a registry entry's fromKeras is used instead of the generic mapping", () => {
  const dense = layerRegistry.get('dense')!;
  const custom: LayerDef = {
    ...dense,
    fromKeras: (config, c) => {
      const r = c.generic(config);
      return { params: { ...r.params, units: (config.units as number) * 2 }, lossy: [...r.lossy, { field: 'note', why: 'custom mapping ran' }] };
    },
  };
  const registry = new LayerRegistry([...layerRegistry].map((d) => (d.type === 'dense' ? custom : d)));
  const topology = readTopology(
    {
      class_name: 'Sequential',
      config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 3, batch_input_shape: [null, 4] } }] },
    },
    'hook.json',
  );
  const { spec, lossy } = kerasToSpec(topology, 'hook.json', registry);
  assert.deepEqual((spec.model as { layers: unknown[] }).layers, [{ type: 'input', name: 'd_input', shape: [4] }, { type: 'dense', name: 'd', units: 6 }]);
  assert.deepEqual(lossy, [{ layer: 'd', field: 'note', why: 'custom mapping ran' }]);
});

test('entries saved under another class name (kerasClasses), and entries sharing one class', () => {
  const dense = layerRegistry.get('dense')!;
  const activation = layerRegistry.get('activation')!;
  // Two made-up entries both saved as `strata>Gate`: each takes only its own configs.
  const gateA: LayerDef = { ...activation, type: 'gate_a', keras: 'GateA', kerasClasses: ['strata>Gate'], fromKeras: (c, ctx) => (c.kind === 'a' ? { params: {}, lossy: ctx.generic({ ...c, kind: undefined }).lossy } : null) };
  const gateB: LayerDef = { ...activation, type: 'gate_b', keras: 'GateB', kerasClasses: ['strata>Gate'], fromKeras: (c) => (c.kind === 'b' ? { params: {}, lossy: [] } : null) };
  const registry = new LayerRegistry([...layerRegistry, gateA, gateB]);
  const model = (kind: string) =>
    readTopology({ class_name: 'Sequential', config: { layers: [{ class_name: 'strata>Gate', config: { name: 'g', kind, batch_input_shape: [null, 3] } }] } }, 'g.json');
  const typeOf = (kind: string) => ((kerasToSpec(model(kind), 'g.json', registry).spec.model as { layers: { type: string }[] }).layers[1]!.type);
  assert.equal(typeOf('a'), 'gate_a');
  assert.equal(typeOf('b'), 'gate_b');
  assert.throws(() => typeOf('c'), /none of the strata layer types saved as strata>Gate \(gate_a, gate_b\) takes its config/);
  // A `package>Name` class matches the entry whose Keras name is Name.
  const t = readTopology({ class_name: 'Sequential', config: { layers: [{ class_name: 'strata>Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3] } }] } }, 'p.json');
  assert.equal((kerasToSpec(t, 'p.json').spec.model as { layers: { type: string }[] }).layers[1]!.type, dense.type);
});

test("a strata custom layer's saved spec keys (config.strata, hex-encoded JSON) are read back as they are", () => {
  const hex = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('hex');
  const dense = layerRegistry.get('dense')!;
  const c = ctx([[3]]);
  const r = genericFromKeras(dense, { name: 'd', trainable: true, strata: hex({ type: 'dense', units: 3, activation: 'linear', use_bias: false, extra: 1 }) }, c);
  assert.deepEqual(r.params, { units: 3, use_bias: false });
  assert.deepEqual(r.lossy, [], 'saved keys that are not spec keys belong to the builder');
  // Saved keys of another type are not this entry's: the config is read the usual way.
  assert.deepEqual(genericFromKeras(dense, { units: 2, strata: hex({ type: 'other' }) }, c).lossy.map((l) => l.field), ['strata']);
});

test('a custom class the registry does not name is found by the type its saved spec keys carry', () => {
  const hex = Buffer.from(JSON.stringify({ type: 'dense', units: 5 }), 'utf8').toString('hex');
  const t = readTopology({ class_name: 'Sequential', config: { layers: [{ class_name: 'strata>SomethingElse', config: { name: 'x', strata: hex, batch_input_shape: [null, 3] } }] } }, 's.json');
  const { spec, lossy } = kerasToSpec(t, 's.json');
  assert.deepEqual((spec.model as { layers: unknown[] }).layers[1], { type: 'dense', name: 'x', units: 5 });
  assert.deepEqual(lossy, []);
});
