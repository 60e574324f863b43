/** Merges of two or more inputs: add, multiply, average, maximum, minimum, concatenate. */
import { int } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerDef, LayerParams } from './registry.js';
import { formatShape, ShapeProblem } from './shape.js';
import { buildFixedBuiltIn } from './custom/build.js';
import { Concatenate } from './custom/concatenate.js';
import type { Shape } from './shape.js';

const dimsMatch = (a: number | null, b: number | null) => a === null || b === null || a === b;

function sameShape(inputs: readonly Shape[], type: string): Shape {
  const first = inputs[0]!;
  for (let i = 1; i < inputs.length; i++) {
    const s = inputs[i]!;
    if (s.length !== first.length || s.some((d, k) => !dimsMatch(d, first[k]!))) {
      throw new ShapeProblem(`${type} needs inputs of the same shape`, { pair: [0, i] });
    }
  }
  return first.map((d, k) => d ?? inputs.find((s) => s[k] !== null)?.[k] ?? null);
}

const ELEMENTWISE = [
  ['add', 'Add', 'add', 'Adds its inputs element by element (residual connections).'],
  ['multiply', 'Multiply', 'multiply', 'Multiplies its inputs element by element (gating).'],
  ['average', 'Average', 'average', 'Averages its inputs element by element.'],
  ['maximum', 'Maximum', 'maximum', 'Takes the element-wise maximum of its inputs.'],
  ['minimum', 'Minimum', 'minimum', 'Takes the element-wise minimum of its inputs.'],
] as const;

const elementwise: LayerDef[] = ELEMENTWISE.map(([type, keras, tfName, description]) =>
  defineLayer({
    type,
    keras,
    category: 'merge',
    description: `${description} All inputs must have the same shape; list them in \`inputs:\`.`,
    params: {},
    arity: 'many',
    outputShape: (inputs) => sameShape(inputs, type),
    build: (_p, c) => c.tf.layers[tfName]({ name: c.name }),
    example: { inputs: [[4], [4]], params: {}, kerasParams: 0 },
  }),
);

const concatenate = defineLayer<LayerParams & { axis: number }>({
  type: 'concatenate',
  keras: 'Concatenate',
  category: 'merge',
  description: 'Joins its inputs along `axis` (the last by default); all other dimensions must match.',
  params: { axis: int('The axis to join along, counting the batch as 0; -1 is the last.', { default: -1 }) },
  arity: 'many',
  outputShape: (inputs, p) => {
    const rank = inputs[0]!.length + 1;
    const axis = p.axis < 0 ? rank + p.axis : p.axis;
    if (axis < 1 || axis >= rank) {
      throw new ShapeProblem(`axis ${p.axis} is out of range for inputs of shape ${formatShape(inputs[0]!)}; use an axis from 1 to ${rank - 1}, or -1`);
    }
    const k = axis - 1;
    let total: number | null = 0;
    for (let i = 0; i < inputs.length; i++) {
      const s = inputs[i]!;
      if (s.length !== inputs[0]!.length || s.some((d, j) => j !== k && !dimsMatch(d, inputs[0]![j]!))) {
        throw new ShapeProblem(`concatenate along axis ${p.axis} needs all other dimensions to match`, { pair: [0, i] });
      }
      total = total === null || s[k] === null ? null : total + s[k]!;
    }
    return inputs[0]!.map((d, j) => (j === k ? total : d));
  },
  build: (p, c) => buildFixedBuiltIn(c, Concatenate, { name: c.name, axis: p.axis }),
  example: { inputs: [[4], [3]], params: {}, kerasParams: 0 },
});

export const mergeLayers = [...elementwise, concatenate];
