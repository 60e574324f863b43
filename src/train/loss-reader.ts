/**
 * Batch losses read from the device a few times a second instead of after
 * every batch: each stays on the device until the next check, and one read
 * then covers all of them; the first non-finite one among them names the
 * batch, as a read per batch would have.
 */
import type { Scalar } from '@tensorflow/tfjs-core';
import type { TfCore } from '../tf-types.js';

/** How often (ms of wall time) the loop reads the losses of the batches since the last read. */
export const READ_EVERY_MS = 150;

export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  samples: number;
  /** This batch's mean loss. */
  loss: number;
}

export class LossReader {
  private pending: { loss: Scalar; batch: number; samples: number }[] = [];
  private lastRead = performance.now();

  constructor(
    private readonly tf: TfCore,
    private readonly onBatch?: (p: BatchProgress) => void,
  ) {}

  /** Keep a batch's loss (0-based `batch`; `samples` so far in the epoch) until the next check. */
  add(loss: Scalar, batch: number, samples: number): void {
    this.pending.push({ loss, batch, samples });
  }

  /** Whether it is time to read. */
  due(): boolean {
    return performance.now() - this.lastRead > READ_EVERY_MS;
  }

  /** Restart the clock of `due`. */
  markRead(): void {
    this.lastRead = performance.now();
  }

  /** Read the kept losses, report each finite one in order, and return the first batch whose loss is not finite (-1 for none). */
  async check(epoch: number, batches: number): Promise<number> {
    if (this.pending.length === 0) return -1;
    const losses = this.pending;
    this.pending = [];
    const stacked = this.tf.stack(losses.map((p) => p.loss));
    const values = await stacked.data();
    this.tf.dispose([stacked, ...losses.map((p) => p.loss)]);
    for (let i = 0; i < losses.length; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value)) return losses[i]!.batch;
      this.onBatch?.({ epoch, batch: losses[i]!.batch + 1, batches, samples: losses[i]!.samples, loss: value });
    }
    return -1;
  }

  dispose(): void {
    this.tf.dispose(this.pending.map((p) => p.loss));
    this.pending = [];
  }
}
