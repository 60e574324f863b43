/** Recurrent layers (simple_rnn, lstm, gru) and the bidirectional wrapper. */
import { act } from './core.js';
import { buildFixedBuiltIn } from './custom/build.js';
import { GRU, GRU_RESET_AFTER, LSTM } from './custom/recurrent-fast.js';
import { Bidirectional, SimpleRNN } from './custom/recurrent-losses.js';
import { activation, bool, choice, int, num, ref } from './params.js';
import type { ActivationName } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerDef, LayerExample, LayerParams } from './registry.js';
import { expectRank, knownLast, ShapeProblem } from './shape.js';
import type { Shape } from './shape.js';
import { biasArgs, biasParams, weightArgs, weightParams } from './weights.js';

type RnnP = LayerParams & {
  units: number;
  activation: ActivationName;
  recurrent_activation?: ActivationName;
  dropout: number;
  recurrent_dropout: number;
  return_sequences: boolean;
  go_backwards: boolean;
  unit_forget_bias?: boolean;
  reset_after?: boolean;
};


function rnnOutput(x: Shape, p: RnnP): Shape {
  expectRank(x, [2], '[batch, steps, features]', (r) =>
    r === 1
      ? 'add a reshape layer before it, such as target_shape: [-1, 1], or an embedding layer for token ids'
      : 'add a reshape layer before it that makes [steps, features]',
  );
  knownLast(x, 'number of features');
  return p.return_sequences ? [x[0]!, p.units] : [p.units];
}

function recurrent(type: 'simple_rnn' | 'lstm' | 'gru', keras: string, description: string, kerasParams: number, variants: LayerExample[] = []): LayerDef {
  const gated = type !== 'simple_rnn';
  return defineLayer<RnnP>({
    type,
    keras,
    category: 'recurrent',
    description,
    params: {
      units: int('The size of the hidden state and of the output.', { min: 1, required: true }),
      activation: activation('The activation of the candidate state.', 'tanh'),
      ...(gated ? { recurrent_activation: activation('The activation of the gates.', 'sigmoid') } : {}),
      return_sequences: bool('Return the output of every step ([batch, steps, units]) instead of the last one ([batch, units]).', false),
      go_backwards: bool('Read the sequence from the end.', false),
      dropout: num('Fraction of the inputs dropped while training.', { min: 0, exclusiveMax: 1, default: 0 }),
      recurrent_dropout: num('Fraction of the recurrent state dropped while training.', { min: 0, exclusiveMax: 1, default: 0 }),
      ...weightParams('kernel', 'glorot_uniform'),
      ...weightParams('recurrent', 'orthogonal'),
      ...biasParams(),
      ...(type === 'lstm' ? { unit_forget_bias: bool('Add 1 to the forget-gate bias at the start (Jozefowicz et al.).', true) } : {}),
      ...(type === 'gru'
        ? {
            reset_after: bool(
              "Apply the reset gate after the recurrent matrix product, with separate input and recurrent biases (bias [2, 3 × units]). Keras's default is true (its GRU and PyTorch's nn.GRU compute this form); strata's is false, TensorFlow.js's GRU, which keeps the weights of older runs. The torch engine runs true on nn.GRU (fast) and false on its own cell. A model with true is saved as the class strata>GRU, which TensorFlow.js loads after registerStrataLayers.",
              false,
            ),
          }
        : {}),
    },
    arity: 'one',
    outputShape: ([x], p) => rnnOutput(x!, p),
    weights: ([x], p) => {
      const gates = type === 'lstm' ? 4 : type === 'gru' ? 3 : 1;
      // reset_after: a second bias vector, for the recurrent product.
      const biases = p.reset_after ? 2 : 1;
      return [gates * p.units * (x![x!.length - 1] ?? 1), gates * p.units * p.units, biases * gates * p.units];
    },
    build: (p, c) => {
      const args = {
        name: c.name,
        units: p.units,
        activation: act(p.activation) as 'tanh',
        ...(gated ? { recurrentActivation: act(p.recurrent_activation) as 'sigmoid' } : {}),
        returnSequences: p.return_sequences,
        goBackwards: p.go_backwards,
        dropout: p.dropout,
        recurrentDropout: p.recurrent_dropout,
        ...weightArgs(p, c, 'kernel'),
        ...weightArgs(p, c, 'recurrent'),
        ...biasArgs(p, c),
        ...(type === 'lstm' ? { unitForgetBias: p.unit_forget_bias } : {}),
      };
      // LSTM and GRU: strata's subclasses, which run the whole sequence as one operation where they can (custom/recurrent-fast.ts).
      if (type === 'lstm') return buildFixedBuiltIn(c, LSTM, args);
      if (type === 'gru') return p.reset_after ? buildFixedBuiltIn(c, GRU_RESET_AFTER, { ...args, resetAfter: true }) : buildFixedBuiltIn(c, GRU, args);
      return buildFixedBuiltIn(c, SimpleRNN, args);
    },
    example: { inputs: [[5, 3]], params: { units: 4 }, kerasParams },
    ...(variants.length > 0 ? { variants } : {}),
  });
}

const simpleRnn = recurrent('simple_rnn', 'SimpleRNN', 'A fully connected recurrent layer: the output of each step is fed back with the next input.', 32);
const lstm = recurrent('lstm', 'LSTM', 'Long short-term memory (Hochreiter & Schmidhuber, 1997). Parameters: 4 × (units × (features + units) + units).', 128);
const gru = recurrent(
  'gru',
  'GRU',
  'Gated recurrent unit (Cho et al., 2014). By default the reset gate is applied before the recurrent matrix product (Keras `reset_after=False`, the form TensorFlow.js implements); `reset_after: true` applies it after, with two bias vectors (Keras\'s default, and PyTorch nn.GRU\'s form). Parameters: 3 × (units × (features + units) + units), or 3 × (units × (features + units) + 2 × units) with `reset_after: true`.',
  96,
  // 3 × (4 × (3 + 4) + 2 × 4)
  [{ inputs: [[5, 3]], params: { units: 4, reset_after: true }, kerasParams: 108 }],
);

const RECURRENT: Record<string, LayerDef> = { simple_rnn: simpleRnn, lstm, gru };

type BiP = LayerParams & { layer: RnnP & { type: string }; merge_mode: 'concat' | 'sum' | 'mul' | 'ave' };

const bidirectional = defineLayer<BiP>({
  type: 'bidirectional',
  keras: 'Bidirectional',
  category: 'recurrent',
  description: 'Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges their outputs.',
  params: {
    layer: ref('The recurrent layer to run both ways (simple_rnn, lstm or gru), such as {type: lstm, units: 64}.', 'nested_recurrent', { required: true }),
    merge_mode: choice('How the two directions are merged: concat doubles the units.', ['concat', 'sum', 'mul', 'ave'], { default: 'concat' }),
  },
  arity: 'one',
  nested: { key: 'layer', types: Object.keys(RECURRENT) },
  outputShape: ([x], p, registry) => {
    const inner = RECURRENT[p.layer.type];
    if (!inner) throw new ShapeProblem(`layer.type must be one of ${Object.keys(RECURRENT).join(', ')}`);
    const out = inner.outputShape([x!], p.layer, registry);
    if (p.merge_mode !== 'concat') return out;
    return [...out.slice(0, -1), out[out.length - 1]! * 2];
  },
  weights: ([x], p) => {
    const one = RECURRENT[p.layer.type]?.weights?.([x!], p.layer) ?? [];
    return [...one, ...one];
  },
  build: (p, c) =>
    buildFixedBuiltIn(c, Bidirectional, {
      name: c.name,
      layer: c.nested(p.layer, 'layer'),
      mergeMode: p.merge_mode,
    }),
  example: { inputs: [[5, 3]], params: { layer: { type: 'lstm', units: 4 } }, kerasParams: 256 },
  variants: [{ inputs: [[5, 3]], params: { layer: { type: 'gru', units: 4, reset_after: true } }, kerasParams: 216 }],
});

export const recurrentLayers = [simpleRnn, lstm, gru, bidirectional];
