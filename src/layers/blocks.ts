/**
 * Blocks made of other layers: `residual` and `dense_block` take a nested
 * `layers:` list and expand, when the model is built, into those layers
 * (named after the block, such as res_1_conv2d) plus the merges that join
 * them, so they save and reload as ordinary layers. `mixture_of_experts` is
 * one custom layer.
 */
import { buildCustom } from './custom/build.js';
import { MixtureOfExperts } from './custom/moe.js';
import { act } from './core.js';
import { activation, int, num } from './params.js';
import type { ActivationName, Param } from './params.js';
import { defineLayer } from './registry.js';
import type { SymbolicTensor } from '../tf-types.js';
import type { BuildContext, LayerParams, LayerRegistry } from './registry.js';
import { formatShape, knownLast, ShapeProblem } from './shape.js';
import type { Shape } from './shape.js';
import { weightParams } from './weights.js';

type Inner = LayerParams & { type: string };
type BlockP = LayerParams & { layers: Inner[]; activation: ActivationName };

/** Layer types allowed inside a block: those of the registry in use that take one input. */
const innerTypes = { key: 'layers', list: true, types: 'one-input' } as const;

function layersParam(what: string): Param {
  return { schema: { type: 'array', description: `${what} Any layer types that take one input, blocks included.` }, required: true };
}

/** Run the inner layers' shape rules in order; a problem names the inner layer. */
function innerShapes(x: Shape, layers: readonly Inner[], registry: LayerRegistry): Shape[] {
  const out: Shape[] = [];
  let s = x;
  layers.forEach((l, i) => {
    try {
      s = registry.get(l.type)!.outputShape([s], l, registry);
    } catch (e) {
      if (!(e instanceof ShapeProblem)) throw e;
      const why = e.expects !== undefined ? `expects input ${e.expects} but receives ${formatShape(s)}` : e.message;
      throw new ShapeProblem(`its layers[${i}] (${l.type}) ${why}${e.hint ? `; ${e.hint}` : ''}`);
    }
    out.push(s);
  });
  return out;
}

const apply = (c: BuildContext, l: Inner, i: number, x: SymbolicTensor) => c.applyNested(l, `${i + 1}_${l.type}`, [x]);

const residual = defineLayer<BlockP>({
  type: 'residual',
  keras: 'Add (of a block and its input)',
  category: 'block',
  description:
    "Runs its `layers:` in order, then adds the block's input to their output (a ResNet skip connection), then applies `activation`. When the output's shape differs from the input's, the input first goes through a learned 1×1 projection (dense, or conv2d with the matching stride for images).",
  params: {
    layers: layersParam('The layers of the block, run in order, such as [{type: conv2d, filters: 16, kernel_size: 3, padding: same}].'),
    activation: activation('Applied after the addition (ResNet uses relu).', 'linear'),
    ...weightParams('projection', 'glorot_uniform'),
  },
  nested: innerTypes,
  arity: 'one',
  outputShape: ([x], p, registry) => {
    const shapes = innerShapes(x!, p.layers, registry);
    const y = shapes[shapes.length - 1]!;
    if (y.length !== x!.length) {
      throw new ShapeProblem(`its layers turn ${formatShape(x!)} into ${formatShape(y)}, which has a different rank, so the input cannot be added back; keep the rank inside the block`);
    }
    knownLast(y, 'number of output features');
    if (x!.length === 3) {
      x!.slice(0, 2).forEach((n, i) => {
        const m = y[i];
        if (n !== null && m !== null && m !== undefined && n !== m && n % m !== 0) {
          throw new ShapeProblem(`its layers turn ${formatShape(x!)} into ${formatShape(y)}; ${n} is not a multiple of ${m}, so no strided projection can match them; use padding: same, or strides that divide the size`);
        }
      });
    } else if (x!.slice(0, -1).some((n, i) => n !== y[i])) {
      throw new ShapeProblem(`its layers turn ${formatShape(x!)} into ${formatShape(y)}; only the last dimension may change inside a residual block`);
    }
    return y;
  },
  build: () => {
    throw new Error('residual blocks are expanded with expand(), not built');
  },
  expand: (p, c, [x]) => {
    let y = x!;
    p.layers.forEach((l, i) => {
      y = apply(c, l, i, y);
    });
    let skip = x!;
    const xs = x!.shape;
    const ys = y.shape;
    if (xs.some((n, i) => n !== ys[i])) {
      const kernelInitializer = c.initializer(p.projection_initializer, 'projection');
      const kernelRegularizer = c.regularizer(p.projection_regularizer);
      if (xs.length === 4) {
        const strides = [1, 2].map((i) => (xs[i] && ys[i] ? xs[i]! / ys[i]! : 1)) as [number, number];
        skip = c.tf.layers.conv2d({ name: `${c.name}_projection`, filters: ys[3]!, kernelSize: 1, strides, kernelInitializer, kernelRegularizer }).apply(x!) as SymbolicTensor;
      } else {
        skip = c.tf.layers.dense({ name: `${c.name}_projection`, units: ys[ys.length - 1]!, kernelInitializer, kernelRegularizer }).apply(x!) as SymbolicTensor;
      }
    }
    const sum = c.tf.layers.add({ name: p.activation === 'linear' ? c.name : `${c.name}_add` }).apply([y, skip]) as SymbolicTensor;
    if (p.activation === 'linear') return sum;
    return c.tf.layers.activation({ name: c.name, activation: act(p.activation) as 'linear' }).apply(sum) as SymbolicTensor;
  },
  example: { inputs: [[6]], params: { layers: [{ type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 4 }], activation: 'relu' }, kerasParams: 76 },
});

const denseBlock = defineLayer<BlockP>({
  type: 'dense_block',
  keras: 'Concatenate (DenseNet block)',
  category: 'block',
  description:
    'A DenseNet block: each of its `layers:` takes the concatenation (on the last axis) of the block input and every earlier layer output, and the block outputs the concatenation of all of them. The growth rate is the number of features each inner layer makes (filters or units).',
  params: {
    layers: layersParam('The inner layers, such as two of {type: conv2d, filters: 12, kernel_size: 3, padding: same, activation: relu}.'),
  },
  nested: innerTypes,
  arity: 'one',
  outputShape: ([x], p, registry) => {
    let channels = knownLast(x!, 'number of features');
    let s: Shape = x!;
    p.layers.forEach((l, i) => {
      const [y] = innerShapes([...x!.slice(0, -1), channels], [l], registry);
      if (y!.length !== x!.length || y!.slice(0, -1).some((n, j) => n !== x![j])) {
        throw new ShapeProblem(`its layers[${i}] (${l.type}) turns ${formatShape(s)} into ${formatShape(y!)}; inner layers must keep every dimension but the last (use padding: same and stride 1)`);
      }
      channels += knownLast(y!, 'number of output features');
      s = [...x!.slice(0, -1), channels];
    });
    return s;
  },
  build: () => {
    throw new Error('dense blocks are expanded with expand(), not built');
  },
  expand: (p, c, [x]) => {
    const features: SymbolicTensor[] = [x!];
    p.layers.forEach((l, i) => {
      const input = features.length === 1 ? x! : (c.tf.layers.concatenate({ name: `${c.name}_concat_${i}` }).apply([...features]) as SymbolicTensor);
      features.push(apply(c, l, i, input));
    });
    return c.tf.layers.concatenate({ name: c.name }).apply([...features]) as SymbolicTensor;
  },
  example: {
    inputs: [[6, 6, 4]],
    params: { layers: [{ type: 'conv2d', filters: 3, kernel_size: 3, padding: 'same' }, { type: 'conv2d', filters: 3, kernel_size: 3, padding: 'same' }] },
    kerasParams: 303,
  },
});

type MoeP = LayerParams & { experts: number; top_k: number; units: number; output_units?: number; activation: ActivationName; load_balance: number };

const mixtureOfExperts = defineLayer<MoeP>({
  type: 'mixture_of_experts',
  keras: 'none (strata only)',
  category: 'block',
  description:
    "N expert feed-forward networks (dense units → activation → dense output_units) and a softmax gate that sends each example, or each step of a sequence, to its top_k experts; their outputs are mixed by the gate's weights renormalized over those k. With load_balance > 0, training adds the Switch Transformer load-balancing loss load_balance · N · Σ fᵢ·Pᵢ, which pushes the gate to use all experts. All experts are computed (fine for small N).",
  params: {
    experts: int('The number of experts.', { min: 2, required: true }),
    top_k: int('How many experts each input is sent to.', { min: 1, default: 2 }),
    units: int("The hidden size of each expert's feed-forward network.", { min: 1, required: true }),
    output_units: int('The output size (default: the input features).', { min: 1 }),
    activation: activation('The activation of the experts’ hidden layer.', 'relu'),
    load_balance: num('The weight of the load-balancing loss added in training; 0 turns it off.', { min: 0, default: 0.01 }),
    ...weightParams('gate', 'glorot_uniform'),
    ...weightParams('kernel', 'glorot_uniform'),
  },
  arity: 'one',
  outputShape: ([x], p) => {
    const d = knownLast(x!, 'number of features');
    if (p.top_k > p.experts) throw new ShapeProblem(`top_k (${p.top_k}) is larger than the number of experts (${p.experts}); use top_k ≤ ${p.experts}`);
    return [...x!.slice(0, -1), p.output_units ?? d];
  },
  build: (p, c) =>
    buildCustom(c, MixtureOfExperts, p, {
      gate: { init: 'gate_initializer', reg: 'gate_regularizer' },
      kernel: { init: 'kernel_initializer', reg: 'kernel_regularizer' },
      bias: { init: 'zeros' },
    }),
  example: { inputs: [[6]], params: { experts: 4, units: 8, top_k: 2 }, kerasParams: 464 },
});

export const blockLayers = [residual, denseBlock, mixtureOfExperts];
