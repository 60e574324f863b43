/**
 * A fresh process that loads a model strata saved as a plain TensorFlow.js
 * program would: its own tfjs-core and tfjs-layers on the cpu backend,
 * `registerStrataLayers()` (no arguments) and `tf.loadLayersModel`. Usage:
 * load-model-child DIR, where DIR holds model.json, weights.bin and
 * inputs.json ({shape, values} per model input). Prints JSON: the output
 * values, and for each layer its class name and the strata class it is an
 * instance of (null for TensorFlow.js's own).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { registerStrataLayers } from '../../src/index.js';
import { STRATA_CLASSES } from '../../src/layers/custom/classes.js';

const dir = process.argv[2]!;
await tf.setBackend('cpu');
registerStrataLayers();
const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
const bytes = readFileSync(join(dir, 'weights.bin'));
const model = await tfl.loadLayersModel(
  tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  }),
);
const inputs = (JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')) as { shape: number[]; values: number[] }[]).map((i) => tf.tensor(i.values, i.shape));
const output = model.predict(inputs) as tf.Tensor;
const env = { tf, tfl };
const strataClassOf = (layer: object) => STRATA_CLASSES.find((c) => c.kind !== 'activation' && layer.constructor === c.of(env))?.className ?? null;
process.stdout.write(
  JSON.stringify({
    output: Array.from(output.dataSync()),
    layers: model.layers.map((l) => ({ name: l.name, className: l.getClassName(), strataClass: strataClassOf(l) })),
  }),
);
