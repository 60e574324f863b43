/**
 * A whole LSTM or GRU sequence as one differentiable operation, with the
 * gradient written out by hand (backpropagation through time), in the layout
 * of TensorFlow.js's (and Keras's) LSTM and GRU weights.
 *
 * TensorFlow.js runs a recurrent layer one step at a time through its general
 * `rnn()` loop, and its gradient replays every recorded operation of every
 * step: each step multiplies the inputs by the kernel on its own, and each
 * step's backward pass multiplies small transposed matrices for the weight
 * gradients (a GRU over 64 steps: about 8,000 kernels a training step). Here,
 * as cuDNN does it, the input projection of all steps is one matrix product
 * before the loop, the weight gradients are one product each after it
 * (sums over all steps), and the loop itself holds only the recurrent product
 * and the gates' element-wise arithmetic: one of strata's kernels where the
 * backend has it (the LSTM's and the reset-after GRU's; src/kernel-names.ts),
 * else the same arithmetic in plain ops, so it runs on every backend.
 *
 * Rows are time-major inside: row t·B + b is sample b at step t.
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { TfCore } from '../../tf-types.js';
import { GRU_CELL_GRAD_KERNEL, GRU_CELL_KERNEL, LSTM_CELL_GRAD_KERNEL, LSTM_CELL_KERNEL } from '../../kernel-names.js';
import { hasKernels } from '../../kernel-calls.js';
import type { CarriedState } from './carried-state.js';

/** Step t's rows of a time-major [T·B, n] matrix. */
function rowsOf(tf: TfCore, m: Tensor, t: number, batch: number): Tensor2D {
  return tf.slice(m as Tensor2D, [t * batch, 0], [batch, m.shape[1]!]);
}

/** [B, T, n] → time-major [T·B, n]. */
function timeMajor(tf: TfCore, x: Tensor): Tensor2D {
  const [b, t, n] = x.shape as [number, number, number];
  return tf.reshape(tf.transpose(x, [1, 0, 2]), [t * b, n]);
}

/** Time-major [T·B, n] → [B, T, n]. */
function batchMajor(tf: TfCore, m: Tensor, batch: number): Tensor3D {
  const [rows, n] = m.shape as [number, number];
  return tf.transpose(tf.reshape(m, [rows / batch, batch, n]), [1, 0, 2]);
}

/**
 * The transpose of the time-major rows of x [B, T, n]: [n, T·B]. Products for the
 * weight gradients take their left operand already transposed: the backend's
 * transpose of a tall [4096, 128] matrix costs more than the product itself.
 */
function timeMajorT(tf: TfCore, x: Tensor): Tensor2D {
  const [b, t, n] = x.shape as [number, number, number];
  return tf.reshape(tf.transpose(x, [2, 1, 0]), [n, t * b]);
}

/** Per-step [B, n] tensors side by side, transposed: [n, T·B] (small transposes, one concat). */
function stepsT(tf: TfCore, list: Tensor[]): Tensor2D {
  return tf.concat(list.map((m) => tf.transpose(m)), 1) as Tensor2D;
}

/**
 * A sequence op's gradients of x and of the input kernel w, from the time-major gradient of
 * the input projection (dProjected, [T·B, gates]), and of the recurrent kernel, from the
 * states each step started from (hs, [B, units] each) and the time-major gradient of the
 * recurrent projection (dInner; an LSTM's is dProjected itself).
 */
function weightGrads(tf: TfCore, x: Tensor3D, w: Tensor2D, hs: Tensor[], dProjected: Tensor2D, dInner: Tensor2D, batch: number): [Tensor, Tensor, Tensor] {
  return [batchMajor(tf, tf.matMul(dProjected, tf.transpose(w)), batch), tf.matMul(timeMajorT(tf, x), dProjected), tf.matMul(stepsT(tf, hs), dInner)];
}

/** The upstream gradient of step t's output h_t: from the layer's output and from step t + 1. */
function outputGrad(tf: TfCore, dyRows: Tensor2D | null, dy: Tensor, t: number, steps: number, batch: number, fromNext: Tensor | null): Tensor {
  const own = dyRows ? rowsOf(tf, dyRows, t, batch) : t === steps - 1 ? dy : null;
  if (own && fromNext) return tf.add(own, fromNext);
  return (own ?? fromNext)!;
}

/**
 * LSTM over x [B, T, D] from zero states (or from `carried`'s, which then
 * receives the final h and c), gates in Keras order (i, f, c, o),
 * sigmoid gates and tanh cell: kernel [D, 4H], recurrent [H, 4H], bias [4H].
 * Returns h of every step [B, T, H], or of the last [B, H]. Each step's gate
 * arithmetic is strata's kernel where the backend has it (units in fours;
 * kernel-names.ts: about 8 kernels a step where the plain ops take 30), else
 * the same arithmetic in plain ops (lstmCellOps, lstmCellGradOps).
 */
export function lstmSequence(tf: TfCore, x: Tensor3D, kernel: Tensor2D, recurrent: Tensor2D, bias: Tensor1D, returnSequences: boolean, carried?: CarriedState): Tensor {
  const [batch, steps] = x.shape;
  const units = recurrent.shape[0];
  const byKernel = units % 4 === 0 && hasKernels(tf, LSTM_CELL_KERNEL, LSTM_CELL_GRAD_KERNEL);
  const cell = (z: Tensor, c: Tensor): Tensor[] => (byKernel ? (tf.engine().runKernel(LSTM_CELL_KERNEL, { z, c }) as Tensor[]) : lstmCellOps(tf, z, c));
  const cellGrad = (dh: Tensor, dc: Tensor, a: Tensor, cp: Tensor, tc: Tensor): Tensor[] =>
    byKernel ? (tf.engine().runKernel(LSTM_CELL_GRAD_KERNEL, { dh, dc, a, cp, tc }) as Tensor[]) : lstmCellGradOps(tf, dh, dc, a, cp, tc);
  const run = tf.customGrad((...args) => {
    const [xIn, w, u, b] = args as [Tensor3D, Tensor2D, Tensor2D, Tensor1D];
    const save = args[4] as unknown as (t: Tensor[]) => void;
    const projected = tf.add(tf.matMul(timeMajor(tf, xIn), w), b);
    const start = carried?.take(batch);
    let h: Tensor = start?.[0] ?? tf.zeros([batch, units]);
    let c: Tensor = start?.[1] ?? tf.zeros([batch, units]);
    const kept: Tensor[] = [];
    const outputs: Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const z = tf.add(rowsOf(tf, projected, t, batch), tf.matMul(h, u));
      const [a, cNext, tc, hNext] = cell(z, c);
      kept.push(h, c, a!, tc!);
      h = hNext!;
      c = cNext!;
      outputs.push(h);
    }
    save([xIn, w, u, ...kept]);
    // After save: the starting state is among the kept tensors, and put frees it.
    carried?.put([h, c]);
    const value = returnSequences ? tf.stack(outputs, 1) : h;
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [savedX, sw, su, ...perStep] = saved as [Tensor3D, Tensor2D, Tensor2D, ...Tensor[]];
      const uT = tf.transpose(su);
      const dyRows = returnSequences ? timeMajor(tf, dy) : null;
      const dz: Tensor[] = new Array<Tensor>(steps);
      let dhNext: Tensor | null = null;
      let dc: Tensor = tf.zeros([batch, units]);
      for (let t = steps - 1; t >= 0; t--) {
        const [, cPrev, a, tc] = perStep.slice(4 * t, 4 * t + 4) as Tensor[];
        const dh = outputGrad(tf, dyRows, dy, t, steps, batch, dhNext);
        const [dzt, dcPrev] = cellGrad(dh, dc, a!, cPrev!, tc!);
        dz[t] = dzt!;
        dhNext = tf.matMul(dzt!, uT);
        dc = dcPrev!;
      }
      const dzRows = tf.concat(dz, 0) as Tensor2D;
      return [...weightGrads(tf, savedX, sw, perStep.filter((_, k) => k % 4 === 0), dzRows, dzRows, batch), tf.sum(dzRows, 0)];
    };
    return { value, gradFunc };
  });
  return run(x, kernel, recurrent, bias);
}

/**
 * One LSTM step in plain ops, what LSTM_CELL_KERNEL computes: from the gates' pre-activations
 * z [B, 4H] (i, f, c, o) and the cell state c, [a (σ(i), σ(f), tanh(g), σ(o)), next c, tanh(next c), next h].
 */
function lstmCellOps(tf: TfCore, z: Tensor, c: Tensor): Tensor[] {
  const [zi, zf, zg, zo] = tf.split(z, 4, 1) as [Tensor, Tensor, Tensor, Tensor];
  const [i, f, g, o] = [tf.sigmoid(zi), tf.sigmoid(zf), tf.tanh(zg), tf.sigmoid(zo)];
  const cNext = tf.add(tf.mul(f, c), tf.mul(i, g));
  const tc = tf.tanh(cNext);
  return [tf.concat([i, f, g, o], 1), cNext, tc, tf.mul(o, tc)];
}

/**
 * Its gradient in plain ops, what LSTM_CELL_GRAD_KERNEL computes: from dh (of h) and dc (of the
 * next c, from the step after), with the step's a, incoming c and tanh(next c), [dz, dc of the incoming c].
 */
function lstmCellGradOps(tf: TfCore, dh: Tensor, dc: Tensor, a: Tensor, cp: Tensor, tc: Tensor): Tensor[] {
  const [i, f, g, o] = tf.split(a, 4, 1) as [Tensor, Tensor, Tensor, Tensor];
  // h = o · tanh(c): into o, and into c on top of what c's next step sends back.
  const dcAll = tf.add(dc, tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tc))));
  // Into the gates' activations, then through σ' = σ(1 − σ) (tanh' = 1 − tanh² for the candidate).
  const sig = (s: Tensor) => tf.sub(s, tf.square(s));
  const dz = tf.concat([tf.mul(tf.mul(dcAll, g), sig(i)), tf.mul(tf.mul(dcAll, cp), sig(f)), tf.mul(tf.mul(dcAll, i), tf.sub(1, tf.square(g))), tf.mul(tf.mul(dh, tc), sig(o))], 1);
  return [dz, tf.mul(dcAll, f)];
}

/**
 * GRU over x [B, T, D] from a zero state (or `carried`'s, as for the LSTM), as TensorFlow.js computes it (Keras
 * `reset_after=False`): gates (z, r, h) in the kernel's columns, z and r
 * sigmoid, the candidate tanh of x·W_h + (r ⊙ h)·U_h, and h' = z ⊙ h + (1 − z) ⊙ candidate.
 */
export function gruSequence(tf: TfCore, x: Tensor3D, kernel: Tensor2D, recurrent: Tensor2D, bias: Tensor1D, returnSequences: boolean, carried?: CarriedState): Tensor {
  const [batch, steps] = x.shape;
  const units = recurrent.shape[0];
  const run = tf.customGrad((...args) => {
    const [xIn, w, u, b] = args as [Tensor3D, Tensor2D, Tensor2D, Tensor1D];
    const save = args[4] as unknown as (t: Tensor[]) => void;
    const rows = timeMajor(tf, xIn);
    const projected = tf.add(tf.matMul(rows, w), b);
    const [pGates, pCand] = tf.split(projected, [2 * units, units], 1);
    const [uGates, uCand] = tf.split(u, [2 * units, units], 1);
    let h: Tensor = carried?.take(batch)?.[0] ?? tf.zeros([batch, units]);
    const kept: Tensor[] = [];
    const outputs: Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const zr = tf.sigmoid(tf.add(rowsOf(tf, pGates!, t, batch), tf.matMul(h, uGates!)));
      const [z, r] = tf.split(zr, 2, 1);
      const rh = tf.mul(r!, h);
      const cand = tf.tanh(tf.add(rowsOf(tf, pCand!, t, batch), tf.matMul(rh, uCand!)));
      kept.push(h, zr, rh, cand);
      h = tf.add(cand, tf.mul(z!, tf.sub(h, cand)));
      outputs.push(h);
    }
    save([xIn, w, u, ...kept]);
    carried?.put([h]);
    const value = returnSequences ? tf.stack(outputs, 1) : h;
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [savedX, sw, su, ...perStep] = saved as [Tensor3D, Tensor2D, Tensor2D, ...Tensor[]];
      const [uGatesT, uCandT] = tf.split(su, [2 * units, units], 1).map((m) => tf.transpose(m));
      const dyRows = returnSequences ? timeMajor(tf, dy) : null;
      const dGates: Tensor[] = new Array<Tensor>(steps);
      const dCand: Tensor[] = new Array<Tensor>(steps);
      let dhNext: Tensor | null = null;
      for (let t = steps - 1; t >= 0; t--) {
        const [hPrev, zr, rh, cand] = perStep.slice(4 * t, 4 * t + 4) as Tensor[];
        const [z, r] = tf.split(zr!, 2, 1);
        const dh = outputGrad(tf, dyRows, dy, t, steps, batch, dhNext);
        // h' = cand + z ⊙ (h − cand)
        const dz = tf.mul(dh, tf.sub(hPrev!, cand!));
        const dc = tf.mul(tf.sub(dh, tf.mul(dh, z!)), tf.sub(1, tf.square(cand!)));
        const drh = tf.matMul(dc, uCandT!);
        const dr = tf.mul(drh, hPrev!);
        dGates[t] = tf.mul(tf.concat([dz, dr], 1), tf.mul(zr!, tf.sub(1, zr!)));
        dCand[t] = dc;
        dhNext = tf.addN([tf.mul(dh, z!), tf.mul(drh, r!), tf.matMul(dGates[t]!, uGatesT!)]);
      }
      const dGateRows = tf.concat(dGates, 0) as Tensor2D;
      const dCandRows = tf.concat(dCand, 0) as Tensor2D;
      const dProjected = tf.concat([dGateRows, dCandRows], 1) as Tensor2D;
      const hPrevT = stepsT(tf, perStep.filter((_, k) => k % 4 === 0));
      const rhT = stepsT(tf, perStep.filter((_, k) => k % 4 === 2));
      return [
        batchMajor(tf, tf.matMul(dProjected, tf.transpose(sw)), batch),
        tf.matMul(timeMajorT(tf, savedX), dProjected),
        tf.concat([tf.matMul(hPrevT, dGateRows), tf.matMul(rhT, dCandRows)], 1),
        tf.sum(dProjected, 0),
      ];
    };
    return { value, gradFunc };
  });
  return run(x, kernel, recurrent, bias);
}

/**
 * GRU over x [B, T, D] with the reset gate applied after the recurrent product (Keras
 * `reset_after=True`, the form of Keras 2/3's default and of PyTorch's nn.GRU and cuDNN):
 * bias [2, 3H], row 0 added to x·W and row 1 to h·U, gates (z, r, h) in the columns;
 * z and r = σ(x·W + b₀ + h·U + b₁) in their columns, the candidate tanh(x·W_h + b₀_h + r ⊙ (h·U_h + b₁_h)),
 * and h' = z ⊙ h + (1 − z) ⊙ candidate. From a zero state, or `carried`'s, as for the LSTM.
 */
export function gruSequenceResetAfter(tf: TfCore, x: Tensor3D, kernel: Tensor2D, recurrent: Tensor2D, bias: Tensor, returnSequences: boolean, carried?: CarriedState): Tensor {
  const [batch, steps] = x.shape;
  // Each step's gate arithmetic: strata's kernel where the backend has it (units in fours), else plain ops.
  const byKernel = recurrent.shape[0] % 4 === 0 && hasKernels(tf, GRU_CELL_KERNEL, GRU_CELL_GRAD_KERNEL);
  const cell = (p: Tensor, q: Tensor, h: Tensor): Tensor[] => (byKernel ? (tf.engine().runKernel(GRU_CELL_KERNEL, { p, q, h }) as Tensor[]) : gruCellOps(tf, p, q, h));
  const cellGrad = (dh: Tensor, h: Tensor, zr: Tensor, q: Tensor, cand: Tensor): Tensor[] =>
    byKernel ? (tf.engine().runKernel(GRU_CELL_GRAD_KERNEL, { dh, h, zr, q, cand }) as Tensor[]) : gruCellGradOps(tf, dh, h, zr, q, cand);
  const run = tf.customGrad((...args) => {
    const [xIn, w, u, b] = args as [Tensor3D, Tensor2D, Tensor2D, Tensor2D];
    const save = args[4] as unknown as (t: Tensor[]) => void;
    const [bIn, bRec] = tf.unstack(b, 0) as [Tensor1D, Tensor1D];
    const projected = tf.add(tf.matMul(timeMajor(tf, xIn), w), bIn);
    let h: Tensor = carried?.take(batch)?.[0] ?? tf.zeros([batch, recurrent.shape[0]]);
    const kept: Tensor[] = [];
    const outputs: Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const q = tf.add(tf.matMul(h, u), bRec);
      const [zr, cand, hNext] = cell(rowsOf(tf, projected, t, batch), q, h);
      kept.push(h, zr!, q, cand!);
      h = hNext!;
      outputs.push(h);
    }
    save([xIn, w, u, ...kept]);
    carried?.put([h]);
    const value = returnSequences ? tf.stack(outputs, 1) : h;
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [savedX, sw, su, ...perStep] = saved as [Tensor3D, Tensor2D, Tensor2D, ...Tensor[]];
      const uT = tf.transpose(su);
      const dyRows = returnSequences ? timeMajor(tf, dy) : null;
      const dProjected: Tensor[] = new Array<Tensor>(steps);
      const dInner: Tensor[] = new Array<Tensor>(steps);
      let dhNext: Tensor | null = null;
      for (let t = steps - 1; t >= 0; t--) {
        const [hPrev, zr, q, cand] = perStep.slice(4 * t, 4 * t + 4) as Tensor[];
        const dh = outputGrad(tf, dyRows, dy, t, steps, batch, dhNext);
        const [dp, dq, dhz] = cellGrad(dh, hPrev!, zr!, q!, cand!);
        dProjected[t] = dp!;
        dInner[t] = dq!;
        dhNext = tf.add(dhz!, tf.matMul(dq!, uT));
      }
      const dProjectedRows = tf.concat(dProjected, 0) as Tensor2D;
      const dInnerRows = tf.concat(dInner, 0) as Tensor2D;
      const hs = perStep.filter((_, k) => k % 4 === 0);
      return [...weightGrads(tf, savedX, sw, hs, dProjectedRows, dInnerRows, batch), tf.stack([tf.sum(dProjectedRows, 0), tf.sum(dInnerRows, 0)])];
    };
    return { value, gradFunc };
  });
  return run(x, kernel, recurrent, bias);
}

/**
 * One reset-after GRU step in plain ops, what GRU_CELL_KERNEL computes: from the step's input
 * projection p and recurrent projection q [B, 3H] (columns z, r, candidate) and the state h,
 * [zr, candidate, next h].
 */
function gruCellOps(tf: TfCore, p: Tensor, q: Tensor, h: Tensor): Tensor[] {
  const units = h.shape[1]!;
  const [pGates, pCand] = tf.split(p, [2 * units, units], 1);
  const [iGates, iCand] = tf.split(q, [2 * units, units], 1);
  const zr = tf.sigmoid(tf.add(pGates!, iGates!));
  const [z, r] = tf.split(zr, 2, 1);
  const cand = tf.tanh(tf.add(pCand!, tf.mul(r!, iCand!)));
  return [zr, cand, tf.add(cand, tf.mul(z!, tf.sub(h, cand)))];
}

/** Its gradient in plain ops, what GRU_CELL_GRAD_KERNEL computes: from dh and the step's h, zr, q and candidate, [dp, dq, dh·z]. */
function gruCellGradOps(tf: TfCore, dh: Tensor, h: Tensor, zr: Tensor, q: Tensor, cand: Tensor): Tensor[] {
  const units = h.shape[1]!;
  const [z, r] = tf.split(zr, 2, 1);
  const iCand = tf.split(q, [2 * units, units], 1)[1]!;
  // h' = cand + z ⊙ (h − cand); dc is the gradient of the candidate's pre-activation.
  const dz = tf.mul(dh, tf.sub(h, cand));
  const dc = tf.mul(tf.sub(dh, tf.mul(dh, z!)), tf.sub(1, tf.square(cand)));
  const dr = tf.mul(dc, iCand);
  const dGates = tf.mul(tf.concat([dz, dr], 1), tf.mul(zr, tf.sub(1, zr)));
  return [tf.concat([dGates, dc], 1), tf.concat([dGates, tf.mul(dc, r!)], 1), tf.mul(dh, z!)];
}
