/** ONNX writers of the core, activation, merge and embedding layers. */
import { PositionalEmbedding, PositionalEncoding } from '../../layers/custom/position.js';
import { float, int } from './graph.js';
import { activation, dense, need, NotExportable, put } from './emit.js';
import type { Emit, Writer } from './emit.js';

const one = (e: Emit) => e.inputs[0]!;

const MERGE: Record<string, string> = { Add: 'Sum', Average: 'Mean', Maximum: 'Max', Minimum: 'Min' };

/** Positions 0..T−1 of a table [max_length, d], for x [B, T, d], T read from x when it runs. */
function firstRows(e: Emit, table: string, x: string): string {
  const { g, name } = e;
  const steps = g.op('Slice', [g.op('Shape', [x], name), g.int64([1]), g.int64([2])], name);
  return g.op('Slice', [table, g.int64([0]), steps, g.int64([0])], name);
}

/** The [steps, depth] sinusoids strata's positional_encoding adds (src/layers/custom/position.ts), computed in float64 and stored. */
function sinusoids(steps: number, depth: number, maxWavelength: number): Float32Array {
  const out = new Float32Array(steps * depth);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < depth; i++) {
      const angle = t * Math.pow(1 / maxWavelength, (2 * Math.floor(i / 2)) / depth);
      out[t * depth + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

export const coreWriters: Writer[] = [
  {
    types: ['dense'],
    classes: ['Dense'],
    emit: (e) => activation(e.g, String(e.config.activation), dense(e.g, one(e), need(e, 'kernel'), e.values('bias'), e.name), e.name),
  },
  { types: ['activation'], classes: ['Activation'], emit: (e) => activation(e.g, String(e.config.activation), one(e), e.name) },
  { types: ['dropout'], classes: ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'], emit: (e) => e.g.op('Identity', [one(e)], e.name) },
  { types: ['flatten'], classes: ['Flatten'], emit: (e) => e.g.op('Flatten', [one(e)], e.name, [int('axis', 1)]) },
  {
    types: ['reshape'],
    classes: ['Reshape'],
    emit: (e) => e.g.op('Reshape', [one(e), e.g.int64([0, ...(e.config.targetShape as number[])])], e.name),
  },
  {
    types: ['relu'],
    classes: ['ReLU'],
    emit: (e) => {
      const max = e.config.maxValue;
      if (max === null || max === undefined) return e.g.op('Relu', [one(e)], e.name);
      return e.g.op('Clip', [one(e), e.g.scalar(0), e.g.scalar(Number(max))], e.name);
    },
  },
  { types: ['leaky_relu'], classes: ['LeakyReLU'], emit: (e) => e.g.op('LeakyRelu', [one(e)], e.name, [float('alpha', Number(e.config.alpha ?? 0.3))]) },
  { types: ['elu'], classes: ['ELU'], emit: (e) => e.g.op('Elu', [one(e)], e.name, [float('alpha', Number(e.config.alpha ?? 1))]) },
  { types: ['softmax'], classes: ['Softmax'], emit: (e) => e.g.op('Softmax', [one(e)], e.name, [int('axis', Number(e.config.axis ?? -1))]) },
  { types: ['prelu'], classes: ['PReLU'], emit: (e) => e.g.op('PRelu', [one(e), put(e.g, need(e, 'alpha'), `${e.name}/alpha`)], e.name) },
  {
    types: ['add', 'average', 'maximum', 'minimum', 'multiply'],
    classes: ['Add', 'Average', 'Maximum', 'Minimum', 'Multiply'],
    emit: (e) => {
      const op = MERGE[e.layer.getClassName()];
      if (op) return e.g.op(op, e.inputs, e.name);
      return e.inputs.slice(1).reduce((acc, x) => e.g.op('Mul', [acc, x], e.name), e.inputs[0]!);
    },
  },
  { types: ['concatenate'], classes: ['Concatenate'], emit: (e) => e.g.op('Concat', e.inputs, e.name, [int('axis', Number(e.config.axis ?? -1))]) },
  {
    types: ['embedding'],
    classes: ['Embedding'],
    emit: (e) => {
      if (e.config.maskZero === true) throw new NotExportable('mask_zero: the mask has no ONNX form here');
      // TensorFlow.js casts the ids to int32 (truncating floats); ONNX Gather takes int32 ids.
      const ids = e.g.op('Cast', [one(e)], e.name, [int('to', 6)]);
      return e.g.op('Gather', [put(e.g, need(e, 'embeddings'), `${e.name}/embeddings`), ids], e.name, [int('axis', 0)]);
    },
  },
  {
    types: ['positional_embedding'],
    classes: [PositionalEmbedding.className],
    emit: (e) => e.g.op('Add', [one(e), firstRows(e, put(e.g, need(e, 'embeddings'), `${e.name}/embeddings`), one(e))], e.name),
  },
  {
    types: ['positional_encoding'],
    classes: [PositionalEncoding.className],
    emit: (e) => {
      const [, steps, depth] = e.shapes[0]!;
      if (steps === null || depth === null) throw new NotExportable('the input needs a fixed number of steps and features');
      const table = e.g.weight(sinusoids(steps!, depth!, Number(e.p.max_wavelength)), [steps!, depth!], `${e.name}/sinusoids`);
      return e.g.op('Add', [one(e), table], e.name);
    },
  },
];
