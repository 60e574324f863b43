/** ONNX writers of batch, layer and group normalization, decomposed into element-wise ops. */
import { GroupNormalization } from '../../layers/custom/group-norm.js';
import { need, NotExportable, normalize } from './emit.js';
import type { Emit, Weight, Writer } from './emit.js';

/** `w` shaped to broadcast along `axes` of a rank-`rank` tensor (the batch axis included). */
function along(e: Emit, w: Weight, axes: number[], rank: number, base: string): string {
  const shape = Array.from({ length: rank }, (_, i) => (axes.includes(i) ? e.shapes[0]![i]! : 1));
  if (shape.some((n) => n === null)) throw new NotExportable('the normalized axes need a fixed size');
  return e.g.weight(w.data, shape as number[], base);
}

const positive = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

export const normalizationWriters: Writer[] = [
  {
    types: ['batch_norm'],
    classes: ['BatchNormalization'],
    emit: (e) => {
      const rank = e.shapes[0]!.length;
      const axes = [positive(Number(e.config.axis ?? -1), rank)];
      const eps = Number(e.config.epsilon ?? 1e-3);
      const mean = need(e, 'moving_mean');
      const variance = need(e, 'moving_variance');
      const gamma = e.values('gamma');
      // (x − mean) · gamma / √(var + ε) + beta, as TensorFlow.js's batchNorm, with the factor computed once here.
      const factor = Float32Array.from(variance.data, (v, i) => (gamma ? gamma.data[i]! : 1) / Math.sqrt(v + eps));
      let y = e.g.op('Sub', [e.inputs[0]!, along(e, mean, axes, rank, `${e.name}/moving_mean`)], e.name);
      y = e.g.op('Mul', [y, along(e, { data: factor, shape: mean.shape }, axes, rank, `${e.name}/factor`)], e.name);
      const beta = e.values('beta');
      return beta ? e.g.op('Add', [y, along(e, beta, axes, rank, `${e.name}/beta`)], e.name) : y;
    },
  },
  {
    types: ['layer_norm'],
    classes: ['LayerNormalization'],
    emit: (e) => {
      const rank = e.shapes[0]!.length;
      const axes = (Array.isArray(e.config.axis) ? e.config.axis : [e.config.axis ?? -1]).map((a) => positive(Number(a), rank)).sort((a, b) => a - b);
      let y = normalize(e.g, e.inputs[0]!, axes, Number(e.config.epsilon ?? 1e-3), e.name);
      const gamma = e.values('gamma');
      const beta = e.values('beta');
      if (gamma) y = e.g.op('Mul', [y, along(e, gamma, axes, rank, `${e.name}/gamma`)], e.name);
      if (beta) y = e.g.op('Add', [y, along(e, beta, axes, rank, `${e.name}/beta`)], e.name);
      return y;
    },
  },
  {
    types: ['group_norm'],
    classes: [GroupNormalization.className],
    emit: (e) => {
      const shape = e.shapes[0]!;
      const rest = shape.slice(1);
      if (rest.some((n) => n === null)) throw new NotExportable('group normalization needs every dimension but the batch fixed');
      const groups = Number(e.p.groups);
      const C = rest[rest.length - 1]!;
      const grouped = e.g.op('Reshape', [e.inputs[0]!, e.g.int64([0, ...(rest.slice(0, -1) as number[]), groups, C / groups])], e.name);
      const axes = [...Array.from({ length: shape.length - 2 }, (_, i) => i + 1), shape.length];
      let y = e.g.op('Reshape', [normalize(e.g, grouped, axes, Number(e.p.epsilon), e.name), e.g.int64([0, ...(rest as number[])])], e.name);
      const gamma = e.values('gamma');
      const beta = e.values('beta');
      if (gamma) y = e.g.op('Mul', [y, e.g.weight(gamma.data, [C], `${e.name}/gamma`)], e.name);
      if (beta) y = e.g.op('Add', [y, e.g.weight(beta.data, [C], `${e.name}/beta`)], e.name);
      return y;
    },
  },
];
