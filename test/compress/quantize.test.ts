/**
 * Quantization in TensorFlow.js's format: the pieces against references
 * (half floats against every binary16 value tfjs-core decodes, the affine
 * ranges against tfjs-converter's documented example, the name patterns), and
 * models compressed by `strata compress` loaded by PLAIN TensorFlow.js (its own
 * tfjs-core, tfjs-layers and cpu backend, nothing of strata registered), whose
 * outputs stay within the error the stored weights allow.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { toFloat16, toFloat16Bits } from '../../src/compress/float16.js';
import { globRegExp, matchesAny, parsePatterns } from '../../src/compress/pattern.js';
import { affineRange, quantizeValues, quantizeWeights } from '../../src/compress/quantize.js';
import { roundHalfEven } from '../../src/round.js';
import type { WeightEntry } from '../../src/compress/quantize.js';
import { strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Decode stored weights as tfjs-core does when it loads a model. */
function decode(bytes: Uint8Array, spec: WeightEntry): Float32Array {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const t = tf.io.decodeWeights(buffer, [spec])[spec.name]!;
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

test('float16: every value rounds to the nearest binary16 tfjs-core decodes, ties to even, with overflow, subnormals, infinities and NaN', () => {
  // Every binary16 bit pattern, decoded by tfjs-core: the finite ones, in order, are the only answers there are.
  const all = new Uint16Array(65536).map((_, i) => i);
  const decoded = decode(new Uint8Array(all.buffer), { name: 'h', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } });
  // Encoding a half's own value gives its bits back (-0 and +0 too; NaN stays NaN).
  for (let bits = 0; bits < 65536; bits++) {
    const v = decoded[bits]!;
    if (Number.isNaN(v)) assert.ok(Number.isNaN(decoded[toFloat16Bits(v)]!));
    else assert.equal(toFloat16Bits(v), bits, `0x${bits.toString(16)} (${v})`);
  }
  const positives = Array.from(decoded.subarray(0, 0x7c00)); // 0 … 65504, ascending
  const nearest = (x: number): number => {
    let lo = 0;
    let hi = positives.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (positives[mid]! <= x) lo = mid;
      else hi = mid;
    }
    const dl = x - positives[lo]!;
    const dh = positives[hi]! - x;
    return dl < dh || (dl === dh && lo % 2 === 0) ? lo : hi;
  };
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const values = new Float32Array(20000);
  for (let i = 0; i < values.length; i++) values[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 44 - 28);
  // Exact midpoints between neighbours (ties), normal and subnormal.
  for (const i of [1, 2, 3, 1000, 1023, 1024, 1025, 15360, 15361, 30000]) values[i % values.length] = (positives[i]! + positives[i + 1]!) / 2;
  const half = toFloat16(values);
  for (let i = 0; i < values.length; i++) {
    const x = Math.fround(values[i]!);
    const want = Math.abs(x) >= 65520 ? 0x7c00 : nearest(Math.abs(x)); // 65520 is the midpoint past 65504: it and above round to infinity
    assert.equal(half[i]! & 0x7fff, want, `${x}`);
    if (x !== 0) assert.equal(half[i]! >> 15, x < 0 ? 1 : 0);
  }
  assert.equal(toFloat16Bits(65520), 0x7c00);
  assert.equal(toFloat16Bits(65519), 0x7bff);
  assert.equal(toFloat16Bits(Infinity), 0x7c00);
  assert.equal(toFloat16Bits(-Infinity), 0xfc00);
  assert.equal(toFloat16Bits(2 ** -26), 0); // below half the smallest subnormal
  assert.equal(toFloat16Bits(2 ** -24), 1);
});

test("uint8: tfjs-converter's documented example, [0, -0.1, 1.2] → [20, 0, 255] with min −0.10196078817 and scale 0.00509803940852", () => {
  const { bytes, quantization } = quantizeValues(new Float32Array([0, -0.1, 1.2]), 'uint8');
  assert.deepEqual(Array.from(bytes), [20, 0, 255]);
  assert.equal(quantization.dtype, 'uint8');
  assert.ok(Math.abs(quantization.min! - -0.10196078817) < 1e-10, String(quantization.min));
  assert.ok(Math.abs(quantization.scale! - 0.00509803940852) < 1e-13, String(quantization.scale));
  assert.equal(quantization.original_dtype, 'float32');
  // 0 is one of the levels (the range is nudged), so zeros come back exactly.
  assert.equal(decode(bytes, { name: 'w', shape: [3], dtype: 'float32', quantization })[0], 0);
  // A range without 0 is not nudged; a constant weight is all zeros with scale 1.
  assert.deepEqual(affineRange(1, 128.5, 'uint8'), { scale: 0.5, min: 1, max: 128.5 });
  assert.deepEqual(affineRange(0.5, 0.5, 'uint16'), { scale: 1, min: 0.5, max: 0.5 });
  assert.deepEqual(Array.from(quantizeValues(new Float32Array([0.5, 0.5]), 'uint16').bytes), [0, 0, 0, 0]);
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, 2, 3]);
});

test('uint8 and uint16: every value decodes within half a step (scale/2) of itself', () => {
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const [lo, hi] of [[-0.7, 0.3], [0.2, 0.9], [-3, -1], [-1e-3, 5]] as const) {
    const values = Float32Array.from({ length: 5000 }, () => lo + rand() * (hi - lo));
    for (const dtype of ['uint8', 'uint16'] as const) {
      const { bytes, quantization } = quantizeValues(values, dtype);
      const back = decode(bytes, { name: 'w', shape: [values.length], dtype: 'float32', quantization });
      const step = (Math.max(...values) - Math.min(...values)) / (dtype === 'uint8' ? 255 : 65535);
      assert.ok(Math.abs(quantization.scale! - step) < 1e-12);
      const worst = Math.max(...values.map((v, i) => Math.abs(back[i]! - v)));
      assert.ok(worst <= step / 2 + 1e-6 * Math.max(Math.abs(lo), Math.abs(hi)), `${dtype} [${lo}, ${hi}]: ${worst} > ${step / 2}`);
      // and not far below it: the levels are used, not wasted.
      assert.ok(worst > step / 4, `${dtype} [${lo}, ${hi}]: ${worst}`);
    }
  }
});

test('quantizeWeights quantizes the chosen float32 weights and copies the rest byte for byte', () => {
  const specs: WeightEntry[] = [
    { name: 'a/kernel', shape: [2, 2], dtype: 'float32' },
    { name: 'ids', shape: [3], dtype: 'int32' },
    { name: 'b/bias', shape: [2], dtype: 'float32' },
  ];
  const data = new Uint8Array([...new Uint8Array(new Float32Array([1, -1, 0.5, 0]).buffer), ...new Uint8Array(new Int32Array([7, 8, 9]).buffer), ...new Uint8Array(new Float32Array([0.25, 2]).buffer)]);
  const q = quantizeWeights(specs, data, 'uint8', (n) => n !== 'b/bias', () => assert.fail('finite'));
  assert.deepEqual(q.quantized, ['a/kernel']);
  assert.equal(q.data.byteLength, 4 + 12 + 8);
  assert.deepEqual(q.specs[1], specs[1]);
  assert.deepEqual(q.specs[2], specs[2]);
  assert.deepEqual(Array.from(q.data.subarray(4)), Array.from(data.subarray(16)));
  assert.deepEqual(Object.keys(q.specs[0]!.quantization!), ['dtype', 'min', 'scale', 'original_dtype']);
  const nan = new Uint8Array(new Float32Array([1, Number.NaN, 0, 0, 7, 8, 9, 0, 0]).buffer);
  assert.throws(() => quantizeWeights(specs, nan, 'uint16', () => true, (n) => { throw new Error(`not finite: ${n}`); }), /not finite: a\/kernel/);
});

test('--only patterns: shell-style over the whole name, * crossing "/", sets, commas', () => {
  const names = ['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'conv2d_1/kernel', 'embedding_1/embeddings'];
  const pick = (p: string) => names.filter((n) => matchesAny(n, parsePatterns(p)));
  assert.deepEqual(pick('dense*'), ['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel']);
  assert.deepEqual(pick('*/kernel'), ['dense_1/kernel', 'dense_2/kernel', 'conv2d_1/kernel']);
  assert.deepEqual(pick('dense_?/bias, embedding*'), ['dense_1/bias', 'embedding_1/embeddings']);
  assert.deepEqual(pick('dense_[!1]/*'), ['dense_2/kernel']);
  assert.deepEqual(pick('dense_[12]/kernel'), ['dense_1/kernel', 'dense_2/kernel']);
  assert.deepEqual(pick('dense'), []);
  assert.deepEqual(pick('dense_1/kernel'), ['dense_1/kernel']);
  // Regular-expression characters are themselves.
  assert.ok(globRegExp('a.b+(c)').test('a.b+(c)'));
  assert.ok(!globRegExp('a.b').test('axb'));
  assert.ok(globRegExp('a[b').test('a[b'));
});

// ---- Models compressed by the real command, loaded by plain TensorFlow.js ----

let dir: string;
let run: string;
const SPEC = `version: 1
seed: 2
data: {dataset: ring.csv}
model:
  layers:
    - {type: input, shape: [2]}
    - {type: dense, units: 24, activation: relu}
    - {type: dense, units: 24, activation: relu}
    - {type: dense, units: 2, activation: softmax}
train: {epochs: 6, batch_size: 16, metrics: [accuracy], optimizer: {type: adam, learning_rate: 0.03}}
`;

before(async () => {
  dir = tempDir('strata-quantize-');
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 6 - 3;
  const rows = Array.from({ length: 400 }, () => {
    const a = rand();
    const b = rand();
    return `${a.toFixed(3)},${b.toFixed(3)},${a * a + b * b > 4 ? 'out' : 'in'}`;
  });
  writeFileSync(join(dir, 'ring.csv'), `a,b,label\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'ring.yaml'), SPEC);
  run = join(dir, 'run');
  const r = await strata(['train', 'ring.yaml', '--out', run, '--backend', 'cpu', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  await tf.setBackend('cpu');
});

interface Files {
  json: { modelTopology: object; weightsManifest: { paths: string[]; weights: WeightEntry[] }[] };
  specs: WeightEntry[];
  bytes: Buffer;
}

const readFiles = (folder: string): Files => {
  const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as Files['json'];
  return { json, specs: json.weightsManifest.flatMap((g) => g.weights), bytes: readFileSync(join(folder, 'weights.bin')) };
};

/** The model in `folder` loaded as any TensorFlow.js program would: tf.loadLayersModel through tf.io.fromMemory. */
async function loadPlain(folder: string): Promise<tfl.LayersModel> {
  const { json, specs, bytes } = readFiles(folder);
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }));
}

/** Test inputs: a grid over the data's range, in the model's (scaled) input space and a little past it. */
const INPUTS = Array.from({ length: 400 }, (_, i) => [((i % 20) / 19) * 5 - 2.5, (Math.floor(i / 20) / 19) * 5 - 2.5]);

function outputs(model: tfl.LayersModel): Float32Array {
  const x = tf.tensor2d(INPUTS);
  const y = model.predict(x) as tf.Tensor;
  const v = y.dataSync() as Float32Array;
  x.dispose();
  y.dispose();
  return v;
}

/**
 * A bound on |Δ output| for dense layers (ReLU, then softmax) whose weights
 * each moved by at most `delta[name]` (per element), from the original weights
 * and activations: a dense layer's output j moves by at most
 * Σᵢ (|Wᵢⱼ| + δW)·eᵢ + δW·Σᵢ |aᵢ| + δb, where e is the input's bound and a the
 * original input; ReLU moves nothing more (1-Lipschitz); softmax's Jacobian
 * has ∞-norm max 2p(1−p) ≤ ½, so the probabilities move by at most half the
 * largest logit bound. The worst over INPUTS.
 */
function outputBound(original: Files, delta: Record<string, number>): number {
  const w = (i: number) => {
    const s = original.specs[i]!;
    const offset = original.specs.slice(0, i).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1) * 4, 0);
    return { values: new Float32Array(original.bytes.buffer.slice(original.bytes.byteOffset + offset, original.bytes.byteOffset + offset + s.shape.reduce((a, b) => a * b, 1) * 4)), shape: s.shape, name: s.name };
  };
  const layers = [0, 2, 4].map((i) => ({ kernel: w(i), bias: w(i + 1) }));
  let worst = 0;
  for (const input of INPUTS) {
    let a = input;
    let e = input.map(() => 0);
    for (const [li, { kernel, bias }] of layers.entries()) {
      const [nIn, nOut] = kernel.shape as [number, number];
      const dW = delta[kernel.name]!;
      const dB = delta[bias.name]!;
      const sumA = a.reduce((s, v) => s + Math.abs(v), 0);
      const next: number[] = [];
      const err: number[] = [];
      for (let j = 0; j < nOut; j++) {
        let z = bias.values[j]!;
        let ej = dW * sumA + dB;
        for (let i = 0; i < nIn; i++) {
          z += a[i]! * kernel.values[i * nOut + j]!;
          ej += (Math.abs(kernel.values[i * nOut + j]!) + dW) * e[i]!;
        }
        next.push(li < layers.length - 1 ? Math.max(0, z) : z);
        err.push(ej);
      }
      a = next;
      e = err;
    }
    worst = Math.max(worst, Math.max(...e) / 2);
  }
  return worst;
}

/** Per weight, the most its stored form can be off: half a step for uint8/uint16, a half float's rounding for float16. */
function storedError(compressed: Files, original: Files): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of compressed.specs) {
    const q = s.quantization;
    if (!q) out[s.name] = 0;
    else if (q.dtype === 'float16') {
      const i = original.specs.findIndex((o) => o.name === s.name);
      const offset = original.specs.slice(0, i).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1) * 4, 0);
      const values = new Float32Array(original.bytes.buffer.slice(original.bytes.byteOffset + offset, original.bytes.byteOffset + offset + s.shape.reduce((a, b) => a * b, 1) * 4));
      out[s.name] = Math.max(...values.map(Math.abs)) * 2 ** -11 + 2 ** -25;
    } else out[s.name] = q.scale! / 2;
  }
  return out;
}

test('models compressed to uint8, uint16 and float16 load in plain TensorFlow.js, and their outputs stay within the bound the stored weights allow', async () => {
  const checkpoint = join(run, 'model');
  const originalFiles = readFiles(checkpoint);
  const original = await loadPlain(checkpoint);
  const reference = outputs(original);
  const originalWeights = original.getWeights().map((t) => t.dataSync() as Float32Array);
  const err: Record<string, number> = {};
  for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
    const out = join(dir, `plain-${dtype}`);
    const r = await strata(['compress', run, '--quantize', dtype, '--out', out, '--no-evaluate', '--backend', 'cpu'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const files = readFiles(out);
    // tfjs-converter's fields, on every (float32) weight; the weights file is as long as the stored type makes it.
    const per = { uint8: 1, uint16: 2, float16: 2 }[dtype];
    assert.equal(files.bytes.byteLength, originalFiles.bytes.byteLength / 4 * per);
    for (const s of files.specs) {
      assert.equal(s.dtype, 'float32');
      assert.deepEqual(Object.keys(s.quantization!), dtype === 'float16' ? ['dtype', 'original_dtype'] : ['dtype', 'min', 'scale', 'original_dtype']);
      assert.equal(s.quantization!.dtype, dtype);
    }
    const model = await loadPlain(out);
    // Each weight as TensorFlow.js decoded it is within its stored error of the original.
    const delta = storedError(files, originalFiles);
    model.getWeights().forEach((t, i) => {
      const got = t.dataSync() as Float32Array;
      const worst = Math.max(...got.map((v, k) => Math.abs(v - originalWeights[i]![k]!)));
      const name = files.specs[i]!.name;
      assert.ok(worst <= delta[name]! * (1 + 1e-6), `${dtype} ${name}: ${worst} > ${delta[name]}`);
    });
    const got = outputs(model);
    err[dtype] = Math.max(...got.map((v, i) => Math.abs(v - reference[i]!)));
    const bound = outputBound(originalFiles, delta);
    assert.ok(err[dtype]! <= bound + 1e-6, `${dtype}: outputs moved by ${err[dtype]}, more than the bound ${bound}`);
    model.dispose();
  }
  original.dispose();
  // The errors order as the storage does: float16 far closer than uint8, uint16 closer than uint8.
  assert.ok(err.uint8! > 0, 'uint8 changed nothing: the comparison could not fail');
  assert.ok(err.uint16! < err.uint8! / 10, `uint16 ${err.uint16} vs uint8 ${err.uint8}`);
  assert.ok(err.float16! < err.uint8! / 5, `float16 ${err.float16} vs uint8 ${err.uint8}`);
});
