/**
 * strata's TensorFlow.js classes (custom layers, fixed built-ins, activations;
 * src/layers/custom/define.ts) are named once, registered with the
 * serialization map of whichever copy of TensorFlow.js builds or loads them,
 * and a model holding every one of them saves and loads back: in a fresh
 * process, as a plain TensorFlow.js program, and in a second copy of
 * TensorFlow.js in this process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { modelFromFiles, modelToFiles } from '../../src/checkpoint/model-files.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { STRATA_CLASSES, strataClassesIn } from '../../src/layers/custom/classes.js';
import { registerStrataLayers } from '../../src/layers/custom/register.js';
import type { StrataClass } from '../../src/layers/custom/define.js';
import type { LayerDef } from '../../src/layers/registry.js';
import { buildModel } from '../../src/model/build.js';
import type { LayersModel } from '../../src/tf-types.js';
import { parseSpec } from '../../src/spec/read.js';
import { ROOT } from '../helpers/cli.js';
import { exampleSpec } from '../helpers/examples.js';
import { maxAbsDiff } from '../helpers/layers.js';
import { loadSecondCopy } from '../helpers/second-tf.js';
import { tempDir } from '../helpers/tmp.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A model with every custom layer, every fixed built-in (in the settings that build it) and leaky_relu. */
const EVERY_CLASS = `
version: 1
name: every-strata-class
seed: 5
model:
  layers:
    - {type: input, name: seq, shape: [6, 8]}
    - {type: input, name: enc, shape: [5, 8]}
    - {type: input, name: img, shape: [6, 6, 4]}
    - {type: positional_encoding, name: pos_enc, inputs: [seq]}
    - {type: positional_embedding, name: pos_emb, max_length: 6}
    - {type: multi_head_attention, name: mha, heads: 2, key_dim: 4, inputs: [pos_emb, enc]}
    - {type: attention, name: dot, use_scale: true, inputs: [mha, enc]}
    - {type: transformer_encoder, name: encoder, heads: 2, ff_units: 8}
    - {type: transformer_decoder, name: decoder, heads: 2, ff_units: 8, inputs: [encoder, enc]}
    - {type: layer_norm, name: norm}
    - {type: mixture_of_experts, name: moe, experts: 3, units: 4, top_k: 2}
    - {type: dense, name: leaky, units: 6, activation: leaky_relu}
    - {type: conv1d, name: causal, filters: 4, kernel_size: 3, padding: causal, dilation_rate: 2}
    - {type: lstm, name: lstm, units: 4, return_sequences: true}
    - {type: gru, name: gru, units: 3, return_sequences: true}
    - {type: simple_rnn, name: rnn, units: 3, return_sequences: true}
    - {type: bidirectional, name: bi, layer: {type: lstm, units: 2, return_sequences: true}}
    - {type: gru, name: gru_reset_after, units: 3, reset_after: true}
    - {type: group_norm, name: gnorm, groups: 2, inputs: [img]}
    - {type: batch_norm, name: bnorm}
    - {type: conv2d, name: dilated, filters: 4, kernel_size: 3, padding: same, dilation_rate: 2}
    - {type: separable_conv2d, name: separable, filters: 4, kernel_size: 3, padding: same, dilation_rate: 2}
    - {type: depthwise_conv2d, name: depthwise, kernel_size: 3, padding: same, dilation_rate: 2}
    - {type: adaptive_avg_pool2d, name: avg_pool, output_size: 2}
    - {type: adaptive_max_pool2d, name: max_pool, output_size: 2, inputs: [depthwise]}
    - {type: flatten, name: flat_avg, inputs: [avg_pool]}
    - {type: flatten, name: flat_max, inputs: [max_pool]}
    - {type: concatenate, name: out, inputs: [gru_reset_after, flat_avg, flat_max]}
  outputs: [out]
`;

/** Settings under which an entry builds strata's subclass rather than TensorFlow.js's own layer (each in turn). */
const FIXED_SETTINGS: Record<string, Record<string, unknown>[]> = {
  conv1d: [{ padding: 'causal' }],
  conv2d: [{ dilation_rate: 2, padding: 'same' }],
  separable_conv2d: [{ dilation_rate: 2, padding: 'same' }],
  depthwise_conv2d: [{ dilation_rate: 2, padding: 'same' }],
  gru: [{}, { reset_after: true }],
};

type Env = Pick<Engine, 'tf' | 'tfl'>;

const classMap = (env: Env) => env.tf.serialization.SerializationMap.getMap().classNameMap;

/** The strata class `layer` is an instance of in `env`'s copy (exactly, not a subclass), if any. */
function strataClassOf(env: Env, layer: object): StrataClass | undefined {
  return STRATA_CLASSES.find((c) => c.kind !== 'activation' && layer.constructor === c.of(env));
}

/** Fixed inputs for the EVERY_CLASS model: smooth values in [-1, 1]. */
function inputsFor(model: LayersModel): { shape: number[]; values: number[] }[] {
  return model.inputs.map((input, k) => {
    const shape = [2, ...(input.shape.slice(1) as number[])];
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, values: Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + k)) };
  });
}

function predict(engine: Env, model: LayersModel, inputs: { shape: number[]; values: number[] }[]): Float32Array {
  const xs = inputs.map((i) => engine.tf.tensor(i.values, i.shape));
  const y = model.predict(xs) as Tensor;
  const out = y.dataSync() as Float32Array;
  engine.tf.dispose([...xs, y]);
  return out;
}

describe('strata classes and TensorFlow.js serialization', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine('cpu');
  });

  test('each class name is written once in src/, where the class is defined', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(dir, e.name));
      }
    };
    walk(join(ROOT, 'src'));
    const sources = files.map((f) => ({ f, text: readFileSync(f, 'utf8') }));
    // strata's own names (a fixed built-in's is also the Keras name registry entries give in `keras:`).
    for (const c of STRATA_CLASSES.filter((c) => c.kind !== 'fixed built-in')) {
      const places = sources.flatMap(({ f, text }) => [...text.matchAll(/'([^'\n]*)'|"([^"\n]*)"/g)].filter((m) => (m[1] ?? m[2]) === c.className).map(() => relative(ROOT, f)));
      assert.equal(places.length, 1, `'${c.className}' is written in ${places.join(', ')}; refer to the class's handle (and its .className) instead`);
    }
  });

  test('classes.ts lists every module of src/layers/custom/ that defines a class, and no name twice', async () => {
    const dir = join(here, '../../src/layers/custom');
    const listed = new Set<StrataClass>(STRATA_CLASSES);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      const mod = (await import(pathToFileURL(join(dir, file)).href)) as object;
      for (const c of strataClassesIn(mod)) assert.ok(listed.has(c), `${file} defines ${c.className}, which classes.ts does not collect: add the module to its list`);
    }
    assert.equal(new Set(STRATA_CLASSES.map((c) => c.className)).size, STRATA_CLASSES.length);
  });

  test('a class is made and registered once per copy of TensorFlow.js, on first use', () => {
    const fresh = loadSecondCopy(engine);
    registerStrataLayers(engine);
    for (const c of STRATA_CLASSES) {
      const first = c.of(engine);
      assert.equal(first.className, c.className);
      assert.equal(classMap(engine)[c.className]?.[0], first, `${c.className} registered with the first copy`);
      // A fresh copy knows only its own built-ins by these names.
      const builtIn = classMap(fresh)[c.className]?.[0];
      assert.equal(builtIn === undefined, c.kind !== 'fixed built-in', `${c.className} in a fresh copy's map`);
      const second = c.of(fresh);
      assert.notEqual(second, first, `${c.className}: each copy gets its own class`);
      assert.equal(c.of(fresh), second, `${c.className}: made once per copy`);
      assert.equal(classMap(fresh)[c.className]?.[0], second, `${c.className} registered with the fresh copy`);
      assert.equal(classMap(engine)[c.className]?.[0], first, `${c.className}: the first copy keeps its own`);
      if (builtIn) assert.equal(Object.getPrototypeOf(second), builtIn, `${c.className} subclasses the fresh copy's built-in`);
      if (c.kind !== 'activation') assert.ok(second.prototype instanceof fresh.tfl.layers.Layer, `${c.className} extends the fresh copy's Layer`);
    }
  });

  test('registerStrataLayers registers with a second copy after the first', () => {
    const fresh = loadSecondCopy(engine);
    registerStrataLayers(engine);
    registerStrataLayers(fresh);
    for (const c of STRATA_CLASSES) assert.equal(classMap(fresh)[c.className]?.[0], c.of(fresh), c.className);
  });

  test('every registry entry that builds a strata class saves it under that class name', async () => {
    const built = new Set<string>();
    for (const def of layerRegistry) {
      for (const settings of FIXED_SETTINGS[def.type] ?? [{}]) {
        const entry: LayerDef = { ...def, example: { ...def.example, params: { ...def.example.params, ...settings } } };
        const { model } = buildModel(parseSpec(`${def.type}.yaml`, exampleSpec(entry)), engine);
        try {
          const saved = JSON.parse((await modelToFiles(engine, model)).modelJson) as { modelTopology: { config: { layers: { name: string; class_name: string }[] } } };
          const savedClass = new Map(saved.modelTopology.config.layers.map((l) => [l.name, l.class_name]));
          for (const layer of model.layers) {
            const c = strataClassOf(engine, layer);
            if (!c) continue;
            built.add(c.className);
            assert.equal(layer.getClassName(), c.className, `${def.type}: ${layer.name}`);
            assert.equal(savedClass.get(layer.name), c.className, `${def.type}: ${layer.name} is saved under its class name`);
            assert.equal(classMap(engine)[c.className]?.[0], c.of(engine), `${def.type}: ${c.className} is registered after building`);
            // A fixed built-in is saved as the Keras class the entry names.
            if (c.kind === 'fixed built-in' && layer.name === 'under_test') assert.equal(def.keras, c.className, def.type);
          }
        } finally {
          model.dispose();
        }
      }
    }
    const layerClasses = STRATA_CLASSES.filter((c) => c.kind !== 'activation').map((c) => c.className);
    assert.deepEqual(layerClasses.filter((n) => !built.has(n)), [], 'layer classes no registry entry builds');
  });

  describe('a model with every strata class', () => {
    let model: LayersModel;
    let inputs: { shape: number[]; values: number[] }[];
    let expected: Float32Array;
    let dir: string;
    before(async () => {
      model = buildModel(parseSpec('every.yaml', EVERY_CLASS), engine).model;
      inputs = inputsFor(model);
      expected = predict(engine, model, inputs);
      dir = tempDir('strata-registration-');
      const files = await modelToFiles(engine, model);
      writeFileSync(join(dir, 'model.json'), files.modelJson);
      writeFileSync(join(dir, 'weights.bin'), files.weights);
      writeFileSync(join(dir, 'inputs.json'), JSON.stringify(inputs));
    });

    test('holds every class, each registered under its name after building', () => {
      const found = new Set(model.layers.map((l) => strataClassOf(engine, l)?.className));
      for (const c of STRATA_CLASSES) {
        assert.equal(classMap(engine)[c.className]?.[0], c.of(engine), `${c.className} registered`);
        if (c.kind === 'activation') {
          const Activation = c.of(engine);
          assert.ok(
            model.layers.some((l) => (l as unknown as { activation?: object }).activation instanceof Activation),
            `no layer of the model uses ${c.className}: add one to EVERY_CLASS`,
          );
        } else {
          assert.ok(found.has(c.className), `the model holds no ${c.className}: add one to EVERY_CLASS`);
        }
      }
    });

    test('loads back in a fresh process, as a plain TensorFlow.js program with registerStrataLayers()', async () => {
      const child = join(here, '../helpers/load-model-child.js');
      const { stdout } = await promisify(execFile)(process.execPath, [child, dir], { maxBuffer: 16 << 20 });
      const got = JSON.parse(stdout) as { output: number[]; layers: { name: string; className: string; strataClass: string | null }[] };
      assert.deepEqual(
        got.layers,
        model.layers.map((l) => ({ name: l.name, className: l.getClassName(), strataClass: strataClassOf(engine, l)?.className ?? null })),
      );
      assert.ok(maxAbsDiff(got.output, expected) < 1e-5, `outputs differ by ${maxAbsDiff(got.output, expected)}`);
    });

    test('loads back in a second copy of TensorFlow.js in this process', async () => {
      const classes = model.layers.map((l) => strataClassOf(engine, l)?.className);
      // The copies share tfjs-core's engine, where variable names are global, but each copy's
      // tfjs-layers makes names unique only among its own: the original's weights must go first.
      model.dispose();
      const fresh = loadSecondCopy(engine);
      const files = { modelJson: readFileSync(join(dir, 'model.json'), 'utf8'), weights: readFileSync(join(dir, 'weights.bin')) };
      // The checkpoint loader, which registers strata's classes with the copy it is given.
      const loaded = await modelFromFiles(fresh, files);
      try {
        for (const [i, layer] of loaded.layers.entries()) {
          assert.equal(strataClassOf(fresh, layer)?.className, classes[i], layer.name);
          if (classes[i]) assert.ok(layer instanceof fresh.tfl.layers.Layer, `${layer.name} is a layer of the second copy`);
        }
        const got = predict(fresh, loaded, inputs);
        assert.ok(maxAbsDiff(got, expected) < 1e-5, `outputs differ by ${maxAbsDiff(got, expected)}`);
      } finally {
        loaded.dispose();
      }
    });
  });
});
