/**
 * The weight penalties of recurrent layers. TensorFlow.js keeps an RNN layer's weights on
 * its cell, and their regularizers among the cell's losses, which neither the layer nor a
 * Bidirectional over it reports: model.calculateLosses() never saw a recurrent layer's
 * `kernel_regularizer`, `recurrent_regularizer` or `bias_regularizer`, and a spec that asked
 * for one trained without it. strata's recurrent classes report their cell's losses with
 * their own: LSTM and GRU (recurrent-fast.ts) through `withCellLosses`, SimpleRNN here; and
 * Bidirectional reports its two directions' (TensorFlow.js's reports those of the layer it
 * was given, which it copies for each direction and never builds).
 */
import type { RegularizerFn } from '@tensorflow/tfjs-layers/dist/types.js';
import { classOf, fixedBuiltIn } from './define.js';
import type { Layer } from '../../tf-types.js';

/** A recurrent layer's own losses and its cell's. */
export function withCellLosses(own: RegularizerFn[], layer: object): RegularizerFn[] {
  const { cell } = layer as { cell?: Layer };
  return cell ? [...own, ...cell.losses] : own;
}

export const SimpleRNN = fixedBuiltIn('SimpleRNN', (env) => {
  return class SimpleRNN extends classOf(env.tfl.layers.simpleRNN({ units: 1 })) {
    override get losses(): RegularizerFn[] {
      return withCellLosses(super.losses, this);
    }
  };
});

export const Bidirectional = fixedBuiltIn('Bidirectional', (env) => {
  const { tfl } = env;
  return class Bidirectional extends classOf(tfl.layers.bidirectional({ layer: tfl.layers.simpleRNN({ units: 1 }) })) {
    override get losses(): RegularizerFn[] {
      const { forwardLayer, backwardLayer } = this as unknown as { forwardLayer: Layer; backwardLayer: Layer };
      return [...forwardLayer.losses, ...backwardLayer.losses];
    }
  };
});
