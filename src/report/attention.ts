/**
 * Attention maps for the report: the attention weights of every attention
 * layer (strata's attention layers and transformer blocks, which give them
 * through `attentionMaps()`) on one sample input, per head.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import type { Dataset } from '../data/types.js';
import { hasAttentionMaps } from '../layers/custom/attention.js';
import type { LayersModel } from '../tf-types.js';

/** The steps drawn on an axis of `n` steps: the sample's tokens before padding when the axis is the input sequence, at most `maxSteps`. */
export function drawnSteps(a: AttentionReport, n: number): number {
  const content = a.tokens && n === a.tokens.length ? (a.content ?? n) : n;
  return Math.min(a.maxSteps, content);
}

/** One head's weights: [query step][key step], every row summing to 1. */
export interface AttentionHead {
  /** 0-based. */
  head: number;
  weights: number[][];
}

/** One attention of one layer on the sample. */
export interface LayerAttention {
  layer: string;
  /** `attention`, or `self-attention` / `cross-attention` in a decoder block. */
  part: string;
  /** The layer's number of heads (1 for dot-product attention). */
  heads: number;
  queries: number;
  keys: number;
  /** The first `maxHeads` heads, with every step (the drawing shows fewer). */
  shown: AttentionHead[];
}

export interface AttentionReport {
  /** The index of the sample in its split. */
  example: number;
  /** The sample's tokens, one per input step, when the dataset has a vocabulary. */
  tokens?: string[];
  /** With tokens: how many come before the trailing padding (all of them when there is none). */
  content?: number;
  /** How many heads and steps per axis the report draws. */
  maxHeads: number;
  maxSteps: number;
  maps: LayerAttention[];
}

export interface AttentionOptions {
  /** The most heads kept per attention (default 4). */
  maxHeads?: number;
  /** The most steps drawn per axis (default 48). */
  maxSteps?: number;
}

/**
 * The attention maps of every attention layer of `model` on `x` (one example,
 * [1, ...inputShape]), or undefined when the model has none.
 */
export function collectAttention(engine: Engine, model: LayersModel, x: Tensor, dataset: Dataset, example: number, o: AttentionOptions = {}): AttentionReport | undefined {
  const { tf, tfl } = engine;
  const layers = model.layers.filter(hasAttentionMaps);
  if (layers.length === 0) return undefined;
  const maxHeads = o.maxHeads ?? 4;
  const maxSteps = o.maxSteps ?? 48;
  type Sym = ReturnType<typeof tfl.input>;
  const inputsOf = layers.map((l) => {
    const i = l.input as Sym | Sym[];
    return Array.isArray(i) ? i : [i];
  });
  // The tensors each attention layer receives, from a probe model (inputs of the model itself are `x`).
  const modelInputs = new Set<Sym>(model.inputs);
  const wanted = [...new Set(inputsOf.flat().filter((s) => !modelInputs.has(s)))];
  const maps: LayerAttention[] = [];
  tf.tidy(() => {
    const values = new Map<Sym, Tensor>(model.inputs.map((s) => [s, x]));
    if (wanted.length > 0) {
      const probe = tfl.model({ inputs: model.inputs, outputs: wanted });
      const outs = probe.predict(x) as Tensor | Tensor[];
      (Array.isArray(outs) ? outs : [outs]).forEach((t, i) => values.set(wanted[i]!, t));
    }
    layers.forEach((l, li) => {
      const ins = inputsOf[li]!.map((s) => values.get(s)!);
      for (const m of l.attentionMaps(ins.length === 1 ? ins[0]! : ins)) {
        const [, heads, queries, keys] = m.weights.shape as number[];
        const kept = tf.slice(m.weights, [0, 0, 0, 0], [1, Math.min(heads!, maxHeads), queries!, keys!]).arraySync() as number[][][][];
        m.weights.dispose();
        const shown = kept[0]!.map((weights, head) => ({ head, weights }));
        maps.push({ layer: l.name, part: m.part, heads: heads!, queries: queries!, keys: keys!, shown });
      }
    });
  });
  const report: AttentionReport = { example, maxHeads, maxSteps, maps };
  const vocab = dataset.vocabulary;
  if (vocab && dataset.inputShape.length === 1 && dataset.inputDtype === 'int32') {
    const ids = Array.from(x.dataSync());
    report.tokens = ids.map((id) => vocab[id] ?? `#${id}`);
    let content = ids.length;
    if (vocab[0] === '<pad>') while (content > 1 && ids[content - 1] === 0) content--;
    report.content = content;
  }
  return report;
}
