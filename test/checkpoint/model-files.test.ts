/**
 * Model files TensorFlow.js cannot make a model of are refused before it
 * tries, or with its reason, as a UsageError (exit 2) naming model.json:
 * impossible shapes, unknown types and classes, a weights file of another
 * size (shorter or longer) than its manifest says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import { modelFromFiles, modelToFiles } from '../../src/checkpoint/model-files.js';
import type { ModelFiles } from '../../src/checkpoint/model-files.js';
import { UsageError } from '../../src/errors.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { blobsSpec } from '../helpers/synthetic.js';

type Json = { modelTopology: { config: { layers: { class_name: string }[] } }; weightsManifest: { weights: { name: string; shape: unknown; dtype: unknown }[] }[] };

test('broken model files are a UsageError naming model.json and what is wrong', async () => {
  const engine = await loadEngine('cpu');
  const { model } = buildModel(parseSpec('b.yaml', blobsSpec()), engine);
  const good = await modelToFiles(engine, model);
  model.dispose();
  const source = '/runs/x/checkpoints/epoch-0001/model.json';
  const edit = (change: (j: Json) => void, weights = good.weights): ModelFiles => {
    const j = JSON.parse(good.modelJson) as Json;
    change(j);
    return { modelJson: JSON.stringify(j), weights, source };
  };
  const refused = async (files: ModelFiles, message: RegExp) => {
    await assert.rejects(modelFromFiles(engine, files), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.equal(e.diagnostics[0]?.file, source);
      assert.match(e.diagnostics[0]!.message, message);
      return true;
    });
  };
  const first = (j: Json) => j.weightsManifest[0]!.weights[0]!;
  await refused(edit((j) => (first(j).shape = [-5, 16])), /^the weight 'dense_1\/kernel' has the shape \[-5,16\], but dimensions are whole numbers from 0; the file is damaged$/);
  await refused(edit((j) => (first(j).shape = [8.5, 16])), /has the shape \[8\.5,16\]/);
  await refused(edit((j) => (first(j).dtype = 'complex64')), /^the weight 'dense_1\/kernel' has the type "complex64"; strata reads float32, int32, bool, uint8, uint16, float16$/);
  await refused(edit(() => {}, good.weights.subarray(0, 100)), /^the weights manifest describes 780 bytes of weights, but the weights file holds 100 \(it is cut short\)/);
  const longer = new Uint8Array(good.weights.length + 4);
  longer.set(good.weights);
  await refused(edit(() => {}, longer), /holds [\d,]+ \(4 bytes more than described\)/);
  await refused(edit((j) => (j.modelTopology.config.layers[1]!.class_name = 'strata>Nope')), /^the layer class 'strata>Nope' is neither TensorFlow\.js's nor strata's; the file was written by another program or is damaged$/);
  await refused({ modelJson: '{"modelTopology": ', weights: good.weights, source }, /^this is not valid JSON/);
  // The good files still load.
  (await modelFromFiles(engine, { ...good, source })).dispose();
});
