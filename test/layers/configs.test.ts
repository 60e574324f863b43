/**
 * The example configs that show off the layer catalog (a text transformer, a
 * ResNet with residual blocks, a DenseNet, a mixture of experts): each
 * validates, trains one epoch on a few synthetic samples of its input shape,
 * and its saved model reloads with the same outputs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import type { Dataset } from '../../src/data/types.js';
import { buildModel } from '../../src/model/build.js';
import { readSpecFile } from '../../src/spec/read.js';
import { trainConfig } from '../../src/train/config.js';
import { initialState, train } from '../../src/train/loop.js';
import { maxAbsDiff, saveAndReload } from '../helpers/layers.js';
import { CONFIGS } from '../helpers/paths.js';
import { arraySplit } from '../helpers/synthetic.js';

let engine: Engine;
before(async () => {
  engine = await loadEngine('cpu');
});

/** `n` random examples of the given input shape (token ids below `vocab` for int32 inputs), one-hot over `classes`. */
function synthetic(inputShape: number[], dtype: 'float32' | 'int32', classes: number, n: number, vocab: number): Dataset {
  const size = inputShape.reduce((a, b) => a * b, 1);
  let s = 12345;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const x = Float32Array.from({ length: n * size }, () => (dtype === 'int32' ? Math.floor(next() * vocab) : next()));
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + Math.floor(next() * classes)] = 1;
  return { name: 'synthetic', task: 'classification', inputShape, inputDtype: dtype, targetShape: [classes], targetDtype: 'float32', train: arraySplit(x, y, size, classes), fingerprint: 'synthetic' };
}

/**
 * Each config, and overrides that shrink its input so one epoch takes well
 * under a second on the cpu backend (the layer structure stays as written).
 * On cpu, the gradient of a 10000-word embedding alone takes about a minute
 * (TensorFlow.js's unsortedSegmentSum kernel), and 28×28 convolutions' several seconds.
 */
const CASES: Record<string, string[]> = {
  'spam-transformer': ['model.layers[0].shape=[16]', 'model.layers[1].input_dim=100', 'model.layers[2].max_length=16'],
  'mnist-resnet-blocks': ['model.layers[0].shape=[8,8,1]'],
  'mnist-densenet': ['model.layers[0].shape=[8,8,1]'],
  'mnist-moe': [],
};

for (const [name, shrink] of Object.entries(CASES)) {
  test(`configs/${name}.yaml validates, trains one epoch on 8 samples and reloads`, async () => {
    readSpecFile(join(CONFIGS, `${name}.yaml`));
    const spec = readSpecFile(join(CONFIGS, `${name}.yaml`), { overrides: ['train.epochs=1', 'train.batch_size=4', ...shrink] });
    const input = spec.model.layers.find((l) => l.type === 'input')!;
    const output = spec.model.layers.find((l) => l.name === spec.model.outputs[0])!;
    const vocab = (spec.model.layers.find((l) => l.type === 'embedding')?.params.input_dim as number | undefined) ?? 1;
    const data = synthetic(input.outputShape as number[], input.params.dtype as 'float32' | 'int32', output.outputShape[0]!, 8, vocab);
    const { model } = buildModel(spec, engine);
    const before = model.getWeights()[1]!.dataSync().slice();
    const r = await train(engine, model, data, trainConfig(spec.train, false), 1, initialState(1));
    assert.equal(r.stopped, 'completed');
    assert.equal(r.history.length, 1);
    assert.ok(Number.isFinite(r.history[0]!.loss), `loss ${r.history[0]!.loss}`);
    assert.ok(maxAbsDiff(model.getWeights()[1]!.dataSync(), before) > 0, 'training changed the weights');
    const { tf } = engine;
    const x = tf.tensor(data.train.batch(Int32Array.from([0, 1])).x, [2, ...data.inputShape], data.inputDtype);
    const reloaded = await saveAndReload(engine, model);
    const [a, b] = [model.predict(x) as Tensor, reloaded.predict(x) as Tensor];
    assert.ok(maxAbsDiff(a.dataSync(), b.dataSync()) < 1e-5);
    tf.dispose([x, a, b]);
    reloaded.dispose();
    model.dispose();
  });
}

test('trainable: false on a block freezes every layer it expands into', async () => {
  const { parseSpec } = await import('../../src/spec/read.js');
  const spec = parseSpec(
    'frozen.yaml',
    `version: 1
model:
  layers:
    - {type: input, shape: [6]}
    - type: residual
      name: res
      trainable: false
      layers:
        - {type: dense, units: 4}
    - {type: dense, units: 2}
`,
  );
  const { model } = buildModel(spec, engine);
  assert.equal(model.countParams(), 28 + 28 + 10);
  assert.equal(model.trainableWeights.length, 2, 'only the last dense layer trains');
  model.dispose();
});

test('a frozen block freezes only its own layers, not a sibling whose name starts with the block’s', async () => {
  const { parseSpec } = await import('../../src/spec/read.js');
  const spec = parseSpec(
    'frozen-sibling.yaml',
    `version: 1
model:
  layers:
    - {type: input, shape: [6]}
    - type: residual
      name: res
      trainable: false
      layers:
        - {type: dense, units: 6}
    - {type: dense, units: 3, name: res_head}
    - {type: dense, units: 2, name: res_1_out}
`,
  );
  const { model } = buildModel(spec, engine);
  const trainable = Object.fromEntries(model.layers.filter((l) => l.weights.length > 0).map((l) => [l.name, l.trainable]));
  assert.deepEqual(trainable, { res_1_dense: false, res_head: true, res_1_out: true });
  model.dispose();
});

test('a transformer_decoder with one input is a causal decoder-only block, without cross-attention weights', async () => {
  const { parseSpec } = await import('../../src/spec/read.js');
  const spec = parseSpec('gpt.yaml', 'version: 1\nmodel:\n  layers:\n    - {type: input, shape: [5, 8]}\n    - {type: transformer_decoder, heads: 2, ff_units: 16}\n');
  const { model } = buildModel(spec, engine);
  const { tf } = engine;
  // Self-attention 4·(8·8 + 8), one layer norm after each of the 2 sub-blocks (2·8 each), feed-forward 8·16+16 + 16·8+8.
  assert.equal(model.countParams(), 288 + 32 + 280);
  const x = tf.randomNormal([1, 5, 8], 0, 1, 'float32', 3);
  const changed = tf.concat([tf.slice(x, [0, 0, 0], [1, 2, 8]), tf.randomNormal([1, 3, 8], 0, 1, 'float32', 4)], 1);
  const [a, b] = [model.predict(x) as Tensor, model.predict(changed) as Tensor];
  // Steps 0 and 1 cannot see steps 2..4.
  assert.ok(maxAbsDiff(tf.slice(a, [0, 0, 0], [1, 2, 8]).dataSync(), tf.slice(b, [0, 0, 0], [1, 2, 8]).dataSync()) < 1e-5);
  assert.ok(maxAbsDiff(a.dataSync(), b.dataSync()) > 1e-3);
  model.dispose();
});
