/**
 * LSTM and GRU subclasses of TensorFlow.js's own that run the common case
 * (zero initial state, no mask, tanh and sigmoid, no dropout while training,
 * not stateful, no returned state) as one sequence operation with a
 * hand-written gradient (rnn-sequence.ts); anything else goes to the built-in.
 * While the training loop carries their state from batch to batch
 * (train.carry_state, carried-state.ts), they start from it instead of zeros.
 * They keep the built-ins' class names, configs and weights, so a saved model
 * is an ordinary Keras / TensorFlow.js LSTM or GRU.
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import { single } from './base.js';
import type { CarriedState } from './carried-state.js';
import { fixedBuiltIn } from './define.js';
import type { Layer, TfCore } from '../../tf-types.js';
import { gruSequence, lstmSequence } from './rnn-sequence.js';

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

function sequence(tf: TfCore, layer: Layer, inputs: Tensor | Tensor[], gates: number, op: typeof lstmSequence, carried: CarriedState | undefined): Tensor {
  const f = layer as unknown as RnnFields;
  return tf.tidy(() => {
    let x = single(inputs) as Tensor3D;
    if (f.goBackwards) x = tf.reverse(x, 1);
    const bias = f.cell.useBias && f.cell.bias ? f.cell.bias.read() : tf.zeros([gates * f.cell.units]);
    return op(tf, x, f.cell.kernel.read() as Tensor2D, f.cell.recurrentKernel.read() as Tensor2D, bias as Tensor1D, f.returnSequences, carried);
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
      return sequence(tf, this, inputs, 4, lstmSequence, this.carried);
    }
  };
});

export const GRU = fixedBuiltIn('GRU', (env) => {
  const { tf, tfl } = env;
  return class GRU extends (tfl.layers.gru({ units: 1 }).constructor as Ctor) {
    /** Set by the training loop while it carries this layer's state (never saved). */
    carried: CarriedState | undefined = undefined;
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      checkCarry(this, kwargs);
      if (!fastPathFits(this as unknown as RnnFields, kwargs)) return super.call(inputs, kwargs);
      return sequence(tf, this, inputs, 3, gruSequence, this.carried);
    }
  };
});
