/**
 * LSTM and GRU subclasses of TensorFlow.js's own that run the common case
 * (zero initial state, no mask, tanh and sigmoid, no dropout while training,
 * not stateful, no returned state) as one sequence operation with a
 * hand-written gradient (rnn-sequence.ts); anything else goes to the built-in.
 * While the training loop carries their state from batch to batch
 * (train.carry_state, carried-state.ts), they start from it instead of zeros.
 * They keep the built-ins' class names, configs and weights, so a saved model
 * is an ordinary Keras / TensorFlow.js LSTM or GRU.
 *
 * The GRU also takes `resetAfter: true` (Keras `reset_after=True`, Keras 2/3's
 * default and PyTorch nn.GRU's form: the reset gate applied after the recurrent
 * product, bias [2, 3·units]), which TensorFlow.js's own GRU refuses. strata
 * builds such layers as `GRU_RESET_AFTER`, saved under a strata class name with
 * `reset_after: true` in its config, so that TensorFlow.js without strata's
 * classes names the missing class rather than failing on the setting. The class
 * registered as `GRU` takes `reset_after: true` as well, so that a Keras file's
 * GRU loads with strata's classes registered.
 */
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import { single } from './base.js';
import type { CarriedState } from './carried-state.js';
import { extendedBuiltIn, fixedBuiltIn } from './define.js';
import type { Env } from './env.js';
import type { Layer, TfCore } from '../../tf-types.js';
import { gruSequence, gruSequenceResetAfter, lstmSequence } from './rnn-sequence.js';
import { withCellLosses } from './recurrent-losses.js';
import type { RegularizerFn } from '@tensorflow/tfjs-layers/dist/types.js';

/** The fields of tfjs-layers' RNN layers and cells the subclasses read. */
interface RnnFields {
  cell: {
    units: number;
    useBias: boolean;
    kernel: LayerVariable;
    recurrentKernel: LayerVariable;
    bias: LayerVariable | null;
    activation: object;
    recurrentActivation: object;
    dropout: number;
    recurrentDropout: number;
    /** Only on strata's reset-after cell. */
    resetAfter?: boolean;
  };
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
}

const activationName = (a: object): string => (a.constructor as { className?: string }).className ?? '';

/** Whether the sequence operation computes what the built-in would for this call. */
function fastPathFits(layer: RnnFields, kwargs: Kwargs | undefined): boolean {
  const { cell } = layer;
  const training = kwargs?.['training'] === true;
  return (
    kwargs?.['mask'] == null &&
    kwargs?.['initialState'] == null &&
    !layer.stateful &&
    !layer.returnState &&
    activationName(cell.activation) === 'tanh' &&
    activationName(cell.recurrentActivation) === 'sigmoid' &&
    !(training && (cell.dropout > 0 || cell.recurrentDropout > 0))
  );
}

type Ctor = new (args: object) => Layer;

type SequenceOp = (tf: TfCore, x: Tensor3D, kernel: Tensor2D, recurrent: Tensor2D, bias: Tensor, returnSequences: boolean, carried?: CarriedState) => Tensor;

/** `biasShape`: the bias's shape, for the zeros that stand in for it when the layer has none. */
function sequence(tf: TfCore, layer: Layer, inputs: Tensor | Tensor[], biasShape: number[], op: SequenceOp, carried: CarriedState | undefined): Tensor {
  const f = layer as unknown as RnnFields;
  return tf.tidy(() => {
    let x = single(inputs) as Tensor3D;
    if (f.goBackwards) x = tf.reverse(x, 1);
    const bias = f.cell.useBias && f.cell.bias ? f.cell.bias.read() : tf.zeros(biasShape);
    return op(tf, x, f.cell.kernel.read() as Tensor2D, f.cell.recurrentKernel.read() as Tensor2D, bias, f.returnSequences, carried);
  });
}

/** The built-in cannot start from a carried state; the spec check (spec/check-data.ts) keeps such layers out of carry_state. */
function checkCarry(layer: Layer & { carried: CarriedState | undefined }, kwargs: Kwargs): void {
  if (layer.carried && (layer as unknown as RnnFields).goBackwards) throw new Error(`${layer.name}: a state cannot be carried into a layer that reads its sequence backwards`);
  if (layer.carried && !fastPathFits(layer as unknown as RnnFields, kwargs)) throw new Error(`${layer.name}: a carried state needs tanh and sigmoid activations and no dropout of the layer's own`);
}

export const LSTM = fixedBuiltIn('LSTM', (env) => {
  const { tf, tfl } = env;
  // The built-in class is not exported by name; a throwaway instance gives it.
  return class LSTM extends (tfl.layers.lstm({ units: 1 }).constructor as Ctor) {
    /** Set by the training loop while it carries this layer's state (never saved). */
    carried: CarriedState | undefined = undefined;
    /** With its cell's weight penalties (recurrent-losses.ts). */
    override get losses(): RegularizerFn[] {
      return withCellLosses(super.losses, this);
    }
    /**
     * The built-in's `unit_forget_bias` initializer leaves its 4 intermediate tensors
     * behind; built in a scope they are freed (the weights are variables, which a scope
     * keeps). A stateful layer keeps state tensors from build, so it is built as it is.
     */
    override build(inputShape: Parameters<Layer['build']>[0]): void {
      if ((this as unknown as RnnFields).stateful) return super.build(inputShape);
      tf.tidy(() => super.build(inputShape));
    }
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      checkCarry(this, kwargs);
      if (!fastPathFits(this as unknown as RnnFields, kwargs)) return super.call(inputs, kwargs);
      return sequence(tf, this, inputs, [4 * (this as unknown as RnnFields).cell.units], lstmSequence as SequenceOp, this.carried);
    }
  };
});

/** The fields of tfjs-layers' GRUCell the reset-after cell reads and sets. */
interface CellFields {
  units: number;
  useBias: boolean;
  kernel: LayerVariable;
  recurrentKernel: LayerVariable;
  bias: LayerVariable | null;
  activation: { apply(x: Tensor): Tensor };
  recurrentActivation: { apply(x: Tensor): Tensor };
  dropout: number;
  recurrentDropout: number;
  dropoutMask: Tensor | Tensor[] | null;
  recurrentDropoutMask: Tensor | Tensor[] | null;
  built: boolean;
  addWeight(name: string, shape: number[], dtype: null, initializer: unknown, regularizer: unknown, trainable: boolean, constraint: unknown): LayerVariable;
  [key: string]: unknown;
}

type CellCtor = new (args: object) => Layer;

/**
 * TensorFlow.js's GRUCell computing Keras's `reset_after=True` step (the built-in loop's
 * step, for what the sequence operation does not cover: other activations, dropout
 * while training, masks, initial states). Keras's implementation 2: one product for
 * the input and one for the state, dropout masks [0] of each.
 */
const resetAfterCell = (env: Env): CellCtor => {
  const { tf, tfl } = env;
  return class GRUCellResetAfter extends (tfl.layers.gruCell({ units: 1 }).constructor as CellCtor) {
    readonly resetAfter = true;
    constructor(args: object) {
      super({ ...args, resetAfter: false });
    }
    override build(inputShape: Parameters<Layer['build']>[0]): void {
      const c = this as unknown as CellFields;
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
      const inputDim = shape[shape.length - 1]!;
      const u = c.units;
      c.kernel = c.addWeight('kernel', [inputDim, 3 * u], null, c['kernelInitializer'], c['kernelRegularizer'], true, c['kernelConstraint']);
      c.recurrentKernel = c.addWeight('recurrent_kernel', [u, 3 * u], null, c['recurrentInitializer'], c['recurrentRegularizer'], true, c['recurrentConstraint']);
      // Row 0 is added to the input's product, row 1 to the state's.
      c.bias = c.useBias ? c.addWeight('bias', [2, 3 * u], null, c['biasInitializer'], c['biasRegularizer'], true, c['biasConstraint']) : null;
      c.built = true;
    }
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor[] {
      const c = this as unknown as CellFields;
      return tf.tidy(() => {
        const [input, state] = inputs as Tensor[];
        let x = input!;
        let h = state!;
        const training = kwargs?.['training'] === true;
        const mask = (rate: number, like: Tensor) => tf.keep(training ? tf.dropout(tf.onesLike(like), rate) : tf.onesLike(like));
        if (c.dropout > 0 && c.dropout < 1) {
          if (c.dropoutMask == null) c.dropoutMask = [mask(c.dropout, x)];
          x = tf.mul(x, (c.dropoutMask as Tensor[])[0]!);
        }
        const hPrev = h;
        if (c.recurrentDropout > 0 && c.recurrentDropout < 1) {
          if (c.recurrentDropoutMask == null) c.recurrentDropoutMask = [mask(c.recurrentDropout, h)];
          h = tf.mul(h, (c.recurrentDropoutMask as Tensor[])[0]!);
        }
        let mx: Tensor = tf.matMul(x as Tensor2D, c.kernel.read() as Tensor2D);
        let mh: Tensor = tf.matMul(h as Tensor2D, c.recurrentKernel.read() as Tensor2D);
        if (c.useBias && c.bias) {
          const [bIn, bRec] = tf.unstack(c.bias.read(), 0);
          mx = tf.add(mx, bIn!);
          mh = tf.add(mh, bRec!);
        }
        const [xZ, xR, xH] = tf.split(mx, 3, 1);
        const [hZ, hR, hH] = tf.split(mh, 3, 1);
        const z = c.recurrentActivation.apply(tf.add(xZ!, hZ!));
        const r = c.recurrentActivation.apply(tf.add(xR!, hR!));
        const hh = c.activation.apply(tf.add(xH!, tf.mul(r, hH!)));
        const out = tf.add(tf.mul(z, hPrev), tf.mul(tf.sub(1, z), hh));
        return [out, out];
      });
    }
    override getConfig() {
      return { ...super.getConfig(), resetAfter: true };
    }
  };
};

/** TensorFlow.js's GRU, with the sequence operation and `resetAfter`. */
const gruClass = (env: Env) => {
  const { tf, tfl } = env;
  const ResetAfterCell = resetAfterCell(env);
  return class GRU extends (tfl.layers.gru({ units: 1 }).constructor as Ctor) {
    /** Set by the training loop while it carries this layer's state (never saved). */
    carried: CarriedState | undefined = undefined;
    /** With its cell's weight penalties (recurrent-losses.ts). */
    override get losses(): RegularizerFn[] {
      return withCellLosses(super.losses, this);
    }
    constructor(args: object) {
      const { resetAfter, ...rest } = args as { resetAfter?: boolean };
      // The built-in's constructor refuses resetAfter and puts its cell into the arguments it is given.
      super({ ...rest });
      if (resetAfter === true) (this as unknown as { cell: Layer }).cell = new ResetAfterCell(rest);
    }
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      checkCarry(this, kwargs);
      if (!fastPathFits(this as unknown as RnnFields, kwargs)) return super.call(inputs, kwargs);
      const { units, resetAfter } = (this as unknown as RnnFields).cell;
      if (resetAfter) return sequence(tf, this, inputs, [2, 3 * units], gruSequenceResetAfter, this.carried);
      return sequence(tf, this, inputs, [3 * units], gruSequence as SequenceOp, this.carried);
    }
  };
};

export const GRU = fixedBuiltIn('GRU', gruClass);

/** The GRU with `reset_after: true`, as strata builds it (see the top of this file). */
export const GRU_RESET_AFTER = extendedBuiltIn('strata>GRU', (env) => class GRUResetAfter extends GRU.of(env) {});
