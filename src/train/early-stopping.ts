/**
 * Early stopping: after each epoch, whether the monitored metric improved by
 * min_delta; stop after `patience` epochs without; with restore_best, keep the
 * best epoch's weights (allocated up front, so the tensor count stays flat)
 * and end with them.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel, TfCore } from '../tf-types.js';
import { metricMode } from './config.js';
import type { EarlyStoppingSpec } from './config.js';

/** Early stopping's part of a run's state, saved with checkpoints. */
export interface EarlyState {
  best: number | null;
  wait: number;
  /** The epoch of the best value. */
  epoch: number;
}

export class EarlyStopping {
  private readonly best: Tensor[] | undefined;
  private bestCaptured = -1;

  constructor(
    private readonly tf: TfCore,
    private readonly model: LayersModel,
    private readonly spec: EarlyStoppingSpec,
  ) {
    this.best = spec.restore_best ? model.getWeights().map((w) => tf.keep(w.clone())) : undefined;
  }

  /** The state after an epoch whose log is `log` (epoch `epoch`, 1-based), and whether to stop. */
  update(log: Record<string, number>, epoch: number, prev: EarlyState | undefined): { state: EarlyState | undefined; stop: boolean } {
    const value = log[this.spec.monitor];
    if (value === undefined) return { state: prev, stop: false };
    const mode = metricMode(this.spec.monitor, this.spec.mode);
    const p = prev ?? { best: null, wait: 0, epoch: 0 };
    const improved = p.best === null || (mode === 'min' ? value < p.best - this.spec.min_delta : value > p.best + this.spec.min_delta);
    const state = improved ? { best: value, wait: 0, epoch } : { ...p, wait: p.wait + 1 };
    if (improved && this.best) {
      this.model.getWeights().forEach((w, i) => {
        this.best![i]!.dispose();
        this.best![i] = this.tf.keep(w.clone());
      });
      this.bestCaptured = epoch;
    }
    return { state, stop: state.wait >= this.spec.patience };
  }

  /**
   * restore_best: put back the best epoch's weights, when this process saw that epoch and it
   * is not the last (after a resume, an earlier best lives in the run's `best` checkpoint
   * instead). Returns the epoch restored, or undefined.
   */
  restore(state: EarlyState | undefined, lastEpoch: number): number | undefined {
    if (!this.best || !state || this.bestCaptured !== state.epoch || this.bestCaptured === lastEpoch) return undefined;
    this.model.setWeights(this.best);
    return this.bestCaptured;
  }

  dispose(): void {
    if (this.best) this.tf.dispose(this.best);
  }
}
