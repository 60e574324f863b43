/**
 * ONNX writers of the recurrent layers as ONNX's LSTM, GRU and RNN ops.
 * Keras's LSTM gates are ordered i, f, c, o and ONNX's i, o, f, c; GRU gates
 * z, r, h in both. Keras's `reset_after` GRU is ONNX's `linear_before_reset`.
 * ONNX runs time-major ([steps, batch, features]), so the input is transposed.
 */
import { GRU_RESET_AFTER } from '../../layers/custom/recurrent-fast.js';
import { floats, int, str, strs } from './graph.js';
import { need, NotExportable, permute, recurrentActivation, transpose } from './emit.js';
import type { Emit, Weight, Writer } from './emit.js';

/** The gate blocks of the last axis of `w` (each `units` wide) in the order `order`. */
function reorder(w: Weight, units: number, order: readonly number[]): Weight {
  const cols = w.shape[w.shape.length - 1]!;
  const rows = w.data.length / cols;
  const out = new Float32Array(w.data.length);
  for (let r = 0; r < rows; r++) {
    order.forEach((gate, k) => out.set(w.data.subarray(r * cols + gate * units, r * cols + (gate + 1) * units), r * cols + k * units));
  }
  return { data: out, shape: w.shape };
}

function rnn(e: Emit, op: 'LSTM' | 'GRU' | 'RNN', gates: number, order: readonly number[]): string {
  const { g, config: c, name } = e;
  if (c.stateful === true || c.returnState === true) throw new NotExportable('stateful layers and returned states have no ONNX form here');
  const units = Number(c.units);
  const w = (x: Weight) => {
    const t = permute(reorder(x, units, order), [1, 0]);
    return g.weight(t.data, [1, ...t.shape], `${name}/${op}`);
  };
  const W = w(need(e, 'kernel'));
  const R = w(need(e, 'recurrent_kernel'));
  const bias = e.values('bias');
  const B = new Float32Array(2 * gates * units);
  const resetAfter = c.resetAfter === true;
  if (bias) {
    if (resetAfter) {
      // Row 0 is the input's bias, row 1 the state's: ONNX's Wb and Rb.
      const [inB, recB] = [0, 1].map((r) => reorder({ data: bias.data.subarray(r * gates * units, (r + 1) * gates * units), shape: [gates * units] }, units, order));
      B.set(inB!.data, 0);
      B.set(recB!.data, gates * units);
    } else {
      B.set(reorder(bias, units, order).data, 0);
    }
  }
  const acts = op === 'RNN' ? [String(c.activation)] : op === 'GRU' ? [String(c.recurrentActivation), String(c.activation)] : [String(c.recurrentActivation), String(c.activation), String(c.activation)];
  const onnxActs = acts.map(recurrentActivation);
  const attrs = [int('hidden_size', units), strs('activations', onnxActs.map((a) => a.name)), str('direction', 'forward')];
  if (onnxActs.some((a) => a.alpha !== undefined)) {
    // alpha and beta are listed for the activations that take them, in order.
    attrs.push(floats('activation_alpha', onnxActs.filter((a) => a.alpha !== undefined).map((a) => a.alpha!)));
    attrs.push(floats('activation_beta', onnxActs.filter((a) => a.beta !== undefined).map((a) => a.beta!)));
  }
  if (op === 'GRU') attrs.push(int('linear_before_reset', resetAfter ? 1 : 0));
  let x = e.inputs[0]!;
  // go_backwards reads the steps last to first and returns its outputs in that order, as Keras does.
  if (c.goBackwards === true) x = g.op('Slice', [x, g.int64([-1]), g.int64([-(2 ** 62)]), g.int64([1]), g.int64([-1])], name);
  const [Y, Yh] = g.node(op, [transpose(g, x, [1, 0, 2], name), W, R, g.weight(B, [1, B.length], `${name}/B`)], name, attrs, 2);
  if (c.returnSequences === true) return transpose(g, g.op('Squeeze', [Y!, g.int64([1])], name), [1, 0, 2], name);
  return g.op('Squeeze', [Yh!, g.int64([0])], name);
}

export const recurrentWriters: Writer[] = [
  { types: ['lstm'], classes: ['LSTM'], emit: (e) => rnn(e, 'LSTM', 4, [0, 3, 1, 2]) },
  { types: ['gru'], classes: ['GRU', GRU_RESET_AFTER.className], emit: (e) => rnn(e, 'GRU', 3, [0, 1, 2]) },
  { types: ['simple_rnn'], classes: ['SimpleRNN'], emit: (e) => rnn(e, 'RNN', 1, [0]) },
];
