/** The forms of Keras and TensorFlow.js model JSON that readTopology reduces to one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopology } from '../../src/convert/keras-topology.js';

const dense = (name: string, extra: Record<string, unknown> = {}) => ({ class_name: 'Dense', config: { name, units: 2, ...extra } });
const kt = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 3], dtype: 'float32', keras_history: [layer, 0, 0] } });

test('a Keras 3 functional model with one input written as a bare [name, 0, 0]', () => {
  const t = readTopology(
    {
      module: 'keras',
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 3], name: 'x' }, inbound_nodes: [] },
          { ...dense('d'), name: 'd', inbound_nodes: [{ args: [kt('x')], kwargs: { training: false, mask: null } }] },
          { ...dense('e'), name: 'e', inbound_nodes: [{ args: [kt('d'), 0.5], kwargs: { scale: 2 } }] },
        ],
        input_layers: ['x', 0, 0],
        output_layers: ['e', 0, 0],
      },
    },
    'k3.json',
  );
  assert.equal(t.flavor, 'keras 3');
  assert.deepEqual(t.inputs, [{ layer: 'x', node: 0, tensor: 0 }]);
  assert.deepEqual(t.outputs, [{ layer: 'e', node: 0, tensor: 0 }]);
  assert.deepEqual(t.layers[1]!.inputs, [{ layer: 'x', node: 0, tensor: 0 }]);
  assert.deepEqual(t.layers[1]!.extraArgs, [], 'training=false and mask=null change nothing');
  assert.deepEqual(t.layers[2]!.extraArgs, ['args[1]=0.5', 'scale=2'], 'other call arguments are reported');
});

test('TensorFlow.js model.json: model_config as an object or as a JSON string (HDF5 attribute)', () => {
  const model = { class_name: 'Sequential', config: { name: 's', layers: [dense('d', { batch_input_shape: [null, 4] })] } };
  for (const modelConfig of [model, JSON.stringify(model)]) {
    const t = readTopology({ format: 'layers-model', modelTopology: { keras_version: '2.4.0', model_config: modelConfig }, weightsManifest: [] }, 'm.json');
    assert.equal(t.flavor, 'tfjs');
    assert.deepEqual(t.layers.map((l) => [l.name, l.className]), [['d_input', 'InputLayer'], ['d', 'Dense']]);
  }
});

test('a Sequential without any input shape, weights without a topology, and other models are refused', () => {
  assert.throws(() => readTopology({ class_name: 'Sequential', config: { layers: [dense('d')] } }, 'a.json'), /a\.json: error: the Sequential model has no input shape \(its first layer 'd' has no batch_input_shape\)/);
  assert.throws(() => readTopology({ modelTopology: null, weightsManifest: [] }, 'w.json'), /holds no model topology/);
  assert.throws(() => readTopology({ class_name: 'Dense', config: {} }, 'l.json'), /the model class 'Dense' is neither Sequential nor a functional Model/);
  assert.throws(() => readTopology({ hello: 1 }, 'h.json'), /this JSON is not a Keras model config/);
});

test("a Sequential's build_input_shape gives the input when no layer carries one (tf.keras model.build)", () => {
  const t = readTopology({ class_name: 'Sequential', config: { name: 's', layers: [dense('d')], build_input_shape: [null, 7] } }, 'b.json');
  assert.deepEqual(t.layers[0]!.config.batch_input_shape, [null, 7]);
});
