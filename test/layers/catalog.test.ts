/**
 * One table-driven test over every registry entry: build the layer's example
 * from a spec, and check that the shape rule strata validates with agrees
 * with TensorFlow.js, that the parameter count is the one Keras gives, and
 * that a forward pass produces that shape. A new layer type is covered as
 * soon as it is registered.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import type { LayerDef } from '../../src/layers/registry.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';

function exampleSpec(def: LayerDef): string {
  const inputs = def.example.inputs.map((shape, i) => ({ type: 'input', name: `in_${i}`, shape }));
  const layer =
    def.arity === 'none'
      ? { type: def.type, name: 'under_test', ...def.example.params }
      : { type: def.type, name: 'under_test', inputs: inputs.map((l) => l.name), ...def.example.params };
  return stringify({ version: 1, name: `example-${def.type}`, seed: 1, model: { layers: def.arity === 'none' ? [layer] : [...inputs, layer] } });
}

describe('every registered layer type', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  for (const def of layerRegistry) {
    test(`${def.type}: shape rule, Keras parameter count and a forward pass`, () => {
      const spec = parseSpec(`${def.type}.yaml`, exampleSpec(def));
      const node = spec.model.layers.find((l) => l.name === 'under_test')!;
      const { model } = buildModel(spec, engine);
      try {
        const tfLayer = model.getLayer('under_test');
        assert.deepEqual(tfLayer.outputShape, [null, ...node.outputShape], 'shape rule vs TensorFlow.js');
        assert.equal(tfLayer.countParams(), def.example.kerasParams, 'parameter count vs Keras');
        if (def.arity === 'none') return;
        const { tf } = engine;
        const xs = def.example.inputs.map((shape) => tf.floor(tf.randomUniform([2, ...(shape as number[])], 0, 5, 'float32', 7)));
        const y = model.predict(xs.length === 1 ? xs[0]! : xs) as import('@tensorflow/tfjs-core').Tensor;
        assert.deepEqual(y.shape, [2, ...node.outputShape]);
        assert.ok((y.dataSync() as Float32Array).every(Number.isFinite), 'finite outputs');
        tf.dispose([...xs, y]);
      } finally {
        model.dispose();
      }
    });
  }
});
