/**
 * A recurrent layer's state carried from one batch to the next (truncated
 * backpropagation through time, Keras's `stateful`, but owned by the training
 * loop rather than saved with the model). Row b of a batch continues row b of
 * the batch before; the state enters the next batch as a constant, so no
 * gradient flows back across the boundary.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TfCore } from '../../tf-types.js';

export interface CarriedState {
  /** The state for a batch of `rows` rows (the first `rows` of the carried ones), or null to start from zeros. */
  take(rows: number): Tensor[] | null;
  /** Keep a batch's final state (h, or h and c) for the next batch. */
  put(states: Tensor[]): void;
}

/** What a layer that can carry its state between calls exposes. */
export interface CarryingLayer {
  carried: CarriedState | undefined;
}

export function canCarryState(layer: object): layer is CarryingLayer {
  return 'carried' in layer;
}

/** One layer's carried state: kept out of every tidy scope, replaced by each batch, dropped by reset. */
export class StateSlot implements CarriedState {
  private states: Tensor[] | null = null;

  constructor(private readonly tf: TfCore) {}

  take(rows: number): Tensor[] | null {
    const s = this.states;
    if (!s || s[0]!.shape[0]! < rows) return null;
    return s[0]!.shape[0] === rows ? s : s.map((t) => this.tf.slice(t, [0, 0], [rows, t.shape[1]!]));
  }

  put(states: Tensor[]): void {
    const next = states.map((t) => this.tf.keep(t.clone()));
    this.reset();
    this.states = next;
  }

  reset(): void {
    if (this.states) this.tf.dispose(this.states);
    this.states = null;
  }

  /** The carried tensors themselves (not copies), or null. */
  get current(): readonly Tensor[] | null {
    return this.states;
  }
}
