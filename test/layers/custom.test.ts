/**
 * strata's own layers against references written here as plain float64 loops
 * (multi-head attention with and without a causal mask, group norm, the
 * sinusoidal encoding, one transformer encoder block, top-k gating), and
 * finite-difference gradient checks for every custom layer.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { stringify } from 'yaml';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { hasAttentionMaps } from '../../src/layers/custom/attention.js';
import type { AttentionMap } from '../../src/layers/custom/attention.js';
import { buildModel } from '../../src/model/build.js';
import type { LayersModel } from '../../src/tf-types.js';
import { parseSpec } from '../../src/spec/read.js';
import { maxAbsDiff, numericGrad } from '../helpers/layers.js';

type Layer = Record<string, unknown> & { type: string };

/** A model of inputs (shapes) → one layer named 'l', every weight set to seeded random values. */
function oneLayer(engine: Engine, shapes: number[][], layer: Layer, seed = 3): LayersModel {
  const inputs = shapes.map((shape, i) => ({ type: 'input', name: `in_${i}`, shape }));
  const text = stringify({ version: 1, name: 't', seed: 1, model: { layers: [...inputs, { ...layer, name: 'l', inputs: inputs.map((i) => i.name) }] } });
  const { model } = buildModel(parseSpec('t.yaml', text), engine);
  const { tf } = engine;
  const l = model.getLayer('l');
  l.setWeights(l.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + i)));
  return model;
}

const weightsOf = (model: LayersModel) => model.getLayer('l').getWeights().map((w) => Float64Array.from(w.dataSync()));
const rand = (engine: Engine, shape: number[], seed: number) => engine.tf.randomNormal(shape, 0, 1, 'float32', seed);
const data = (t: Tensor) => Float64Array.from(t.dataSync());

/**
 * Float64 reference of Keras multi-head attention; q [B,T,dq], kv [B,S,dkv]; weights in Keras layout, with biases.
 * `probs`, when given ([B,h,T,S]), receives the attention weights.
 */
function mhaRef(q: Float64Array, kv: Float64Array, B: number, T: number, S: number, dq: number, dkv: number, h: number, k: number, w: Float64Array[], causal: boolean, probs?: Float64Array): Float64Array {
  const [qk, qb, kk, kb, vk, vb, ok, ob] = w as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const out = ob.length;
  const proj = (x: Float64Array, len: number, d: number, W: Float64Array, bias: Float64Array) => {
    const r = new Float64Array(B * len * h * k);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < len; t++)
        for (let j = 0; j < h * k; j++) {
          let s = bias[j]!;
          for (let i = 0; i < d; i++) s += x[(b * len + t) * d + i]! * W[i * h * k + j]!;
          r[(b * len + t) * h * k + j] = s;
        }
    return r;
  };
  const Q = proj(q, T, dq, qk, qb);
  const K = proj(kv, S, dkv, kk, kb);
  const V = proj(kv, S, dkv, vk, vb);
  const y = new Float64Array(B * T * out);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const ctx = new Float64Array(h * k);
      for (let head = 0; head < h; head++) {
        const scores: number[] = [];
        for (let s = 0; s < S; s++) {
          let dot = 0;
          for (let i = 0; i < k; i++) dot += Q[(b * T + t) * h * k + head * k + i]! * K[(b * S + s) * h * k + head * k + i]!;
          scores.push(causal && s > t ? -Infinity : dot / Math.sqrt(k));
        }
        const m = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - m));
        const z = e.reduce((a, v) => a + v, 0);
        if (probs) for (let s = 0; s < S; s++) probs[((b * h + head) * T + t) * S + s] = e[s]! / z;
        for (let s = 0; s < S; s++) for (let i = 0; i < k; i++) ctx[head * k + i] += (e[s]! / z) * V[(b * S + s) * h * k + head * k + i]!;
      }
      for (let o = 0; o < out; o++) {
        let s = ob[o]!;
        for (let j = 0; j < h * k; j++) s += ctx[j]! * ok[j * out + o]!;
        y[(b * T + t) * out + o] = s;
      }
    }
  return y;
}

function layerNormRef(x: Float64Array, d: number, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i]! / d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i]! - mean) ** 2 / d;
    for (let i = 0; i < d; i++) y[r * d + i] = ((x[r * d + i]! - mean) / Math.sqrt(v + eps)) * gamma[i]! + beta[i]!;
  }
  return y;
}

function denseRef(x: Float64Array, d: number, W: Float64Array, b: Float64Array, act: (v: number) => number = (v) => v): Float64Array {
  const out = b.length;
  const rows = x.length / d;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let s = b[o]!;
      for (let i = 0; i < d; i++) s += x[r * d + i]! * W[i * out + o]!;
      y[r * out + o] = act(s);
    }
  return y;
}

const add = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]!);

/** The attention maps of the layer 'l' of `model` on `inputs`. */
function attentionMapsOf(model: LayersModel, inputs: Tensor | Tensor[]): AttentionMap[] {
  const l = model.getLayer('l');
  assert.ok(hasAttentionMaps(l), `${l.getClassName()} has attentionMaps()`);
  return l.attentionMaps(inputs);
}

describe('custom layers against float64 references', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine('cpu');
  });

  for (const causal of [false, true]) {
    test(`multi_head_attention, self-attention${causal ? ' with a causal mask' : ''}`, () => {
      const [B, T, d, h, k] = [2, 4, 6, 2, 3];
      const model = oneLayer(engine, [[T, d]], { type: 'multi_head_attention', heads: h, key_dim: k, causal });
      const x = rand(engine, [B, T, d], 11);
      const got = data(model.predict(x) as Tensor);
      const probs = new Float64Array(B * h * T * T);
      const want = mhaRef(data(x), data(x), B, T, T, d, d, h, k, weightsOf(model), causal, probs);
      assert.ok(maxAbsDiff(got, want) < 1e-4, `max abs diff ${maxAbsDiff(got, want)}`);
      const maps = attentionMapsOf(model, x);
      assert.deepEqual(maps.map((m) => [m.part, m.weights.shape]), [['attention', [B, h, T, T]]]);
      assert.ok(maxAbsDiff(data(maps[0]!.weights), probs) < 1e-5, 'attentionMaps gives the softmax weights');
      if (causal) {
        // The first step sees only itself: changing later steps leaves it alone.
        const x2 = engine.tf.concat([engine.tf.slice(x, [0, 0, 0], [B, 1, d]), rand(engine, [B, T - 1, d], 12)], 1);
        const got2 = data(model.predict(x2) as Tensor);
        for (let b = 0; b < B; b++) for (let i = 0; i < d; i++) assert.ok(Math.abs(got2[b * T * d + i]! - got[b * T * d + i]!) < 1e-5);
      }
    });
  }

  test('multi_head_attention, cross-attention to a sequence of another length and width', () => {
    const [B, T, S, dq, dkv, h, k] = [2, 3, 5, 4, 6, 3, 2];
    const model = oneLayer(engine, [[T, dq], [S, dkv]], { type: 'multi_head_attention', heads: h, key_dim: k });
    const q = rand(engine, [B, T, dq], 13);
    const kv = rand(engine, [B, S, dkv], 14);
    const got = data(model.predict([q, kv]) as Tensor);
    const probs = new Float64Array(B * h * T * S);
    const want = mhaRef(data(q), data(kv), B, T, S, dq, dkv, h, k, weightsOf(model), false, probs);
    assert.ok(maxAbsDiff(got, want) < 1e-4, `max abs diff ${maxAbsDiff(got, want)}`);
    const maps = attentionMapsOf(model, [q, kv]);
    assert.deepEqual(maps[0]!.weights.shape, [B, h, T, S]);
    assert.ok(maxAbsDiff(data(maps[0]!.weights), probs) < 1e-5, 'attentionMaps gives the softmax weights');
  });

  test('group_norm', () => {
    const [B, H, W, C, G] = [2, 3, 2, 6, 3];
    const model = oneLayer(engine, [[H, W, C]], { type: 'group_norm', groups: G, epsilon: 1e-3 });
    const x = rand(engine, [B, H, W, C], 15);
    const got = data(model.predict(x) as Tensor);
    const [gamma, beta] = weightsOf(model) as [Float64Array, Float64Array];
    const xs = data(x);
    const want = new Float64Array(xs.length);
    const per = C / G;
    for (let b = 0; b < B; b++)
      for (let g = 0; g < G; g++) {
        const idx: number[] = [];
        for (let p = 0; p < H * W; p++) for (let c = g * per; c < (g + 1) * per; c++) idx.push((b * H * W + p) * C + c);
        const mean = idx.reduce((a, i) => a + xs[i]!, 0) / idx.length;
        const v = idx.reduce((a, i) => a + (xs[i]! - mean) ** 2, 0) / idx.length;
        for (const i of idx) want[i] = ((xs[i]! - mean) / Math.sqrt(v + 1e-3)) * gamma[i % C]! + beta[i % C]!;
      }
    assert.ok(maxAbsDiff(got, want) < 1e-4, `max abs diff ${maxAbsDiff(got, want)}`);
  });

  test('positional_encoding adds sin/cos at wavelengths up to 10000', () => {
    const [T, d] = [7, 6];
    const model = oneLayer(engine, [[T, d]], { type: 'positional_encoding' });
    const got = data(model.predict(engine.tf.zeros([1, T, d])) as Tensor);
    const want = new Float64Array(T * d);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < d; i++) {
        const angle = t / 10000 ** ((2 * Math.floor(i / 2)) / d);
        want[t * d + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      }
    assert.ok(maxAbsDiff(got, want) < 1e-5, `max abs diff ${maxAbsDiff(got, want)}`);
  });

  for (const normFirst of [false, true]) {
    test(`transformer_encoder, ${normFirst ? 'pre-norm' : 'post-norm'}`, () => {
      const [B, T, d, h, ff] = [2, 3, 4, 2, 5];
      const model = oneLayer(engine, [[T, d]], { type: 'transformer_encoder', heads: h, ff_units: ff, norm_first: normFirst });
      const x = rand(engine, [B, T, d], 16);
      const got = data(model.predict(x) as Tensor);
      const w = weightsOf(model);
      const [g1, b1, W1, c1, W2, c2, g2, b2] = w.slice(8) as Float64Array[];
      const probs = new Float64Array(B * h * T * T);
      const attn = (v: Float64Array) => mhaRef(v, v, B, T, T, d, d, h, d / h, w.slice(0, 8), false, probs);
      const ffn = (v: Float64Array) => denseRef(denseRef(v, d, W1!, c1!, (s) => Math.max(0, s)), ff, W2!, c2!);
      const ln = (v: Float64Array, g: Float64Array, b: Float64Array) => layerNormRef(v, d, g, b, 1e-5);
      const xs = data(x);
      let want: Float64Array;
      if (normFirst) {
        const y = add(xs, attn(ln(xs, g1!, b1!)));
        want = add(y, ffn(ln(y, g2!, b2!)));
      } else {
        const y = ln(add(xs, attn(xs)), g1!, b1!);
        want = ln(add(y, ffn(y)), g2!, b2!);
      }
      assert.ok(maxAbsDiff(got, want) < 1e-4, `max abs diff ${maxAbsDiff(got, want)}`);
      const maps = attentionMapsOf(model, x);
      assert.deepEqual(maps.map((m) => [m.part, m.weights.shape]), [['attention', [B, h, T, T]]]);
      assert.ok(maxAbsDiff(data(maps[0]!.weights), probs) < 1e-5, `attention weights of the ${normFirst ? 'normalized ' : ''}input`);
    });
  }

  test('transformer_decoder shows causal self-attention and cross-attention; attention shows its one map', () => {
    const [B, T, S, d] = [2, 4, 3, 4];
    const model = oneLayer(engine, [[T, d], [S, d]], { type: 'transformer_decoder', heads: 2, ff_units: 5 });
    const maps = attentionMapsOf(model, [rand(engine, [B, T, d], 21), rand(engine, [B, S, d], 22)]);
    assert.deepEqual(maps.map((m) => [m.part, m.weights.shape]), [['self-attention', [B, 2, T, T]], ['cross-attention', [B, 2, T, S]]]);
    const self = data(maps[0]!.weights);
    for (let r = 0; r < B * 2 * T; r++) {
      const t = r % T;
      for (let s = 0; s < T; s++) if (s > t) assert.ok(self[r * T + s]! < 1e-6, 'no weight on later steps');
      assert.ok(Math.abs(self.slice(r * T, (r + 1) * T).reduce((a, v) => a + v, 0) - 1) < 1e-5, 'rows sum to 1');
    }
    const dot = oneLayer(engine, [[T, d], [S, d]], { type: 'attention', use_scale: true });
    const [q, v] = [rand(engine, [1, T, d], 23), rand(engine, [1, S, d], 24)];
    const [scale] = weightsOf(dot) as [Float64Array];
    const [qs, vs] = [data(q), data(v)];
    const want = new Float64Array(T * S);
    for (let t = 0; t < T; t++) {
      const e = Array.from({ length: S }, (_, s) => Math.exp(scale[0]! * Array.from({ length: d }, (_, i) => qs[t * d + i]! * vs[s * d + i]!).reduce((a, x) => a + x, 0)));
      const z = e.reduce((a, x) => a + x, 0);
      e.forEach((x, s) => (want[t * S + s] = x / z));
    }
    const dm = attentionMapsOf(dot, [q, v]);
    assert.deepEqual(dm[0]!.weights.shape, [1, 1, T, S]);
    assert.ok(maxAbsDiff(data(dm[0]!.weights), want) < 1e-5);
  });

  test('mixture_of_experts routes each input to its top-k experts, weighted by the renormalized gate', () => {
    const [B, d, n, units, topK] = [5, 3, 4, 6, 2];
    const model = oneLayer(engine, [[d]], { type: 'mixture_of_experts', experts: n, units, top_k: topK, load_balance: 0 });
    const x = rand(engine, [B, d], 17);
    const got = data(model.predict(x) as Tensor);
    const [gate, w1, b1, w2, b2] = weightsOf(model) as Float64Array[];
    const xs = data(x);
    const want = new Float64Array(B * d);
    for (let b = 0; b < B; b++) {
      const row = xs.subarray(b * d, (b + 1) * d);
      const logits = Array.from({ length: n }, (_, e) => row.reduce((a, v, i) => a + v * gate![i * n + e]!, 0));
      const chosen = logits.map((l, e) => [l, e] as const).sort((p, q) => q[0] - p[0]).slice(0, topK).map(([, e]) => e);
      const m = Math.max(...chosen.map((e) => logits[e]!));
      const z = chosen.reduce((a, e) => a + Math.exp(logits[e]! - m), 0);
      for (const e of chosen) {
        const g = Math.exp(logits[e]! - m) / z;
        const hidden = Array.from({ length: units }, (_, j) => Math.max(0, b1![e * units + j]! + row.reduce((a, v, i) => a + v * w1![(e * d + i) * units + j]!, 0)));
        for (let o = 0; o < d; o++) want[b * d + o] += g * (b2![e * d + o]! + hidden.reduce((a, v, j) => a + v * w2![(e * units + j) * d + o]!, 0));
      }
    }
    assert.ok(maxAbsDiff(got, want) < 1e-4, `max abs diff ${maxAbsDiff(got, want)}`);
  });

  test('mixture_of_experts adds its load-balancing loss to calculateLosses() in training only', () => {
    const model = oneLayer(engine, [[3]], { type: 'mixture_of_experts', experts: 4, units: 5, top_k: 1, load_balance: 0.5 });
    const x = rand(engine, [8, 3], 18);
    model.apply(x, { training: false });
    assert.equal(model.calculateLosses()[0]!.dataSync()[0], 0, 'no loss outside training');
    model.apply(x, { training: true });
    const losses = model.calculateLosses();
    assert.equal(losses.length, 1);
    // Switch loss 0.5 · N · Σ fᵢ Pᵢ, with top_k 1: between 0.5·N·(1/N)·... ; its value for these weights, recomputed:
    const [gate] = weightsOf(model) as Float64Array[];
    const xs = data(x);
    const f = new Float64Array(4);
    const P = new Float64Array(4);
    for (let b = 0; b < 8; b++) {
      const logits = [0, 1, 2, 3].map((e) => [0, 1, 2].reduce((a, i) => a + xs[b * 3 + i]! * gate![i * 4 + e]!, 0));
      const m = Math.max(...logits);
      const z = logits.reduce((a, l) => a + Math.exp(l - m), 0);
      logits.forEach((l, e) => (P[e] += Math.exp(l - m) / z / 8));
      f[logits.indexOf(m)] += 1 / 8;
    }
    const want = 0.5 * 4 * f.reduce((a, v, e) => a + v * P[e]!, 0);
    assert.ok(Math.abs(losses[0]!.dataSync()[0]! - want) < 1e-5, `load-balancing loss ${losses[0]!.dataSync()[0]} vs ${want}`);
  });
});

describe('finite-difference gradient checks of every custom layer', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine('cpu');
  });

  const cases: [string, number[][], Layer][] = [
    ['multi_head_attention (causal, cross)', [[3, 4], [4, 3]], { type: 'multi_head_attention', heads: 2, key_dim: 2, causal: true }],
    ['attention', [[3, 4], [4, 4]], { type: 'attention', use_scale: true }],
    ['transformer_encoder', [[3, 4]], { type: 'transformer_encoder', heads: 2, ff_units: 5 }],
    ['transformer_decoder', [[3, 4], [2, 4]], { type: 'transformer_decoder', heads: 2, ff_units: 3, norm_first: true }],
    ['positional_encoding', [[3, 4]], { type: 'positional_encoding' }],
    ['positional_embedding', [[3, 4]], { type: 'positional_embedding', max_length: 5 }],
    ['group_norm', [[2, 2, 4]], { type: 'group_norm', groups: 2 }],
    ['adaptive_avg_pool2d', [[5, 3, 2]], { type: 'adaptive_avg_pool2d', output_size: [2, 2] }],
    ['adaptive_max_pool2d', [[5, 3, 2]], { type: 'adaptive_max_pool2d', output_size: [2, 2] }],
    ['mixture_of_experts', [[3]], { type: 'mixture_of_experts', experts: 3, units: 4, top_k: 2 }],
  ];

  for (const [label, shapes, layer] of cases) {
    test(label, () => {
      const { tf } = engine;
      const model = oneLayer(engine, shapes, layer);
      // Max pooling is not differentiable at ties: give it distinct values 0.1 apart (≫ h), shuffled.
      const distinct = (shape: number[]) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const v = Array.from({ length: n }, (_, i) => ((i * 7919) % n) * 0.1 - n * 0.05);
        return tf.tensor(v, shape);
      };
      const xs = shapes.map((s, i) => (layer.type === 'adaptive_max_pool2d' ? distinct([2, ...s]) : rand(engine, [2, ...s], 30 + i)));
      const outShape = model.outputs[0]!.shape.map((d) => d ?? 2);
      const r = rand(engine, outShape, 40);
      // f(inputs) = Σ output · r, a scalar that depends on every output.
      const f = (ins: Tensor[]) => tf.sum(tf.mul(model.apply(ins.length === 1 ? ins[0]! : ins) as Tensor, r));
      // float32 central differences with h = 1e-2: error ~ h² · f''' plus rounding ~ 1e-7 · |f| / h.
      const close = (num: Float32Array, ana: ArrayLike<number>, what: string) => {
        for (let i = 0; i < num.length; i++) {
          const tol = 1e-2 + 2e-2 * Math.abs(ana[i]!);
          assert.ok(Math.abs(num[i]! - ana[i]!) <= tol, `${what}[${i}]: numeric ${num[i]} vs analytic ${ana[i]}`);
        }
      };
      xs.forEach((x, i) => {
        const ana = tf.grad((xi: Tensor) => f(xs.map((o, j) => (j === i ? xi : o))))(x);
        close(numericGrad(engine, (xi) => f(xs.map((o, j) => (j === i ? xi : o))), x), ana.dataSync(), `d/d input ${i}`);
      });
      // And the first weight of the layer, through a variable.
      const l = model.getLayer('l');
      if (l.trainableWeights.length > 0) {
        const v = l.trainableWeights[0]!.read() as import('@tensorflow/tfjs-core').Variable;
        const { grads } = tf.variableGrads(() => f(xs) as import('@tensorflow/tfjs-core').Scalar, [v]);
        const ana = grads[v.name]!.dataSync();
        const w0 = v.clone();
        const num = numericGrad(
          engine,
          (w) => {
            v.assign(w);
            return f(xs);
          },
          w0,
        );
        v.assign(w0);
        close(num, ana, `d/d ${v.name}`);
      }
      model.dispose();
    });
  }
});

test('registerStrataLayers() can be called again, with or without the modules', async () => {
  const { registerStrataLayers } = await import('../../src/index.js');
  const engine = await loadEngine('cpu');
  registerStrataLayers();
  registerStrataLayers(engine);
  const map = engine.tf.serialization.SerializationMap.getMap().classNameMap;
  for (const name of ['strata>MultiHeadAttention', 'strata>TransformerEncoder', 'strata>MixtureOfExperts', 'strata.leakyrelu']) assert.ok(name in map, name);
});
