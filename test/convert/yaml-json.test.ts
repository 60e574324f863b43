/** Spec YAML ⇄ JSON: lossless, keys in schema order, comments kept from YAML to YAML. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { convert } from '../../src/convert/convert.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { parseSpec, specSchema } from '../../src/spec/read.js';
import { configFiles } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const noEngine = () => Promise.reject(new Error('YAML and JSON output must not load TensorFlow.js'));
const tmp = () => tempDir('strata-yaml-json-');

for (const file of configFiles()) {
  test(`${basename(file)}: YAML → JSON → YAML keeps every value`, async () => {
    const original = parse(readFileSync(file, 'utf8')) as unknown;
    const json = await convert(file, 'json', noEngine);
    assert.deepEqual(JSON.parse(json.text), original);
    const jsonFile = join(tmp(), 'spec.json');
    writeFileSync(jsonFile, json.text);
    const yaml = await convert(jsonFile, 'yaml', noEngine);
    assert.deepEqual(parse(yaml.text), original);
    assert.deepEqual(yaml.lossy, []);
    // YAML to YAML keeps every value and every comment line, and a second pass changes nothing.
    const text = readFileSync(file, 'utf8');
    const same = await convert(file, 'yaml', noEngine);
    assert.deepEqual(parse(same.text), original);
    const comments = (t: string) => t.split('\n').filter((l) => /^\s*#/.test(l)).map((l) => l.trim()).sort();
    assert.deepEqual(comments(same.text), comments(text));
    const again = join(tmp(), 'again.yaml');
    writeFileSync(again, same.text);
    assert.equal((await convert(again, 'yaml', noEngine)).text, same.text);
    assert.match(json.notes.join('\n'), /comment lines? of the YAML spec are not carried into JSON/);
  });
}

test('keys come out in the order the schema lists them, unknown-to-schema order kept', async () => {
  const scrambled = {
    train: { loss: 'mean_squared_error', optimizer: { learning_rate: 0.01, type: 'adam' }, epochs: 2 },
    model: {
      layers: [
        { shape: [5, 4], name: 'x', type: 'input' },
        { units: 3, activation: 'relu', kernel_initializer: { stddev: 0.1, type: 'random_normal' }, type: 'dense' },
        { layer: { units: 2, type: 'gru' }, type: 'bidirectional', name: 'bi', inputs: ['dense_1'] },
      ],
    },
    name: 'scrambled',
    version: 1,
  };
  const dir = tmp();
  const file = join(dir, 'scrambled.json');
  writeFileSync(file, JSON.stringify(scrambled));
  const yaml = await convert(file, 'yaml', noEngine);
  const value = parse(yaml.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ['version', 'name', 'model', 'train']);
  const layers = (value.model as { layers: Record<string, unknown>[] }).layers;
  assert.deepEqual(layers.map((l) => Object.keys(l)), [['type', 'name', 'shape'], ['type', 'units', 'activation', 'kernel_initializer'], ['type', 'name', 'inputs', 'layer']]);
  assert.deepEqual(Object.keys(layers[1]!.kernel_initializer as object), ['type', 'stddev']);
  assert.deepEqual(Object.keys(layers[2]!.layer as object), ['type', 'units']);
  assert.deepEqual(Object.keys(value.train as object), ['epochs', 'optimizer', 'loss']);
  assert.deepEqual(Object.keys((value.train as { optimizer: object }).optimizer), ['type', 'learning_rate']);
  assert.match(yaml.text, /optimizer: \{type: adam, learning_rate: 0\.01\}/);
  assert.match(yaml.text, /shape: \[5, 4\]/);
  // And every key of the schema's top level is one the ordering knows.
  assert.deepEqual(Object.keys(specSchema().properties as object), ['version', 'name', 'description', 'seed', 'data', 'model', 'train', 'search']);
});

test('an invalid spec is reported at its place, not converted', async () => {
  const file = join(tmp(), 'bad.yaml');
  writeFileSync(file, 'version: 1\nmodel:\n  layers:\n    - type: input\n      shape: [4]\n    - type: dense\n      units: -3\n');
  await assert.rejects(convert(file, 'json', noEngine), /bad\.yaml:7:14: error: .*units/);
});

test('spec → Keras → YAML names only the layers the original named', async () => {
  const { loadEngine } = await import('../../src/backend/select.js');
  const engine = () => loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  for (const file of configFiles()) {
    const keras = join(tmp(), 'model.json');
    writeFileSync(keras, (await convert(file, 'keras', engine)).text);
    const back = parse((await convert(keras, 'yaml', engine)).text) as { model: { layers: { name?: string }[] } };
    const original = parse(readFileSync(file, 'utf8')) as { model: { layers: { name?: string; type?: string }[] } };
    // Blocks that build as several layers come back as those layers, named after the block.
    if (original.model.layers.some((l) => 'expand' in (layerRegistry.get(String(l.type)) ?? {}))) continue;
    // As resolved (repeat expanded): a layer the original named keeps its name, the others get none.
    const resolved = parseSpec(file, readFileSync(file, 'utf8')).model.layers;
    const expected = resolved.map((l) => (original.model.layers[l.index]!.name === undefined ? undefined : l.name));
    assert.deepEqual(back.model.layers.map((l) => l.name), expected, basename(file));
  }
});
