/**
 * Running sums of the metrics' sufficient statistics (train-registry/metrics.ts
 * says what each sums), kept on the device, so that training never waits on a
 * read per batch: the sums are read once, when results are wanted.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { MetricContext, MetricDef } from '../train-registry/entry.js';
import { LOSS_KEY } from '../train-registry/catalog.js';
import { confusionStats } from '../train-registry/metrics.js';
import type { TfCore } from '../tf-types.js';

export type { MetricContext, TargetKind } from '../train-registry/entry.js';

/**
 * The mean loss and each metric from summed statistics laid out as the accumulator
 * keeps them: [loss × examples, examples, then each metric's `stats`]. The torch
 * engine sums the same layout in Python and reads it here.
 */
export function metricsFromSums(metrics: readonly MetricDef[], ctx: MetricContext, s: Float64Array): Record<string, number> {
  const out: Record<string, number> = { [LOSS_KEY]: s[0]! / Math.max(1, s[1]!) };
  let o = 2;
  for (const m of metrics) {
    const n = m.size(ctx);
    out[m.name] = m.result(s.subarray(o, o + n), ctx);
    o += n;
  }
  return out;
}

/**
 * Running sums for a set of metrics plus the loss. `update` adds one batch on
 * the device; `read` reads everything once.
 */
export class MetricAccumulator {
  private sums: Tensor | undefined;
  private readonly total: number;
  private readonly confusionAt: number | undefined;

  /** `confusion`: also sum the confusion matrix (classifiers), for `confusionCounts()`. */
  constructor(
    private readonly tf: TfCore,
    readonly metrics: readonly MetricDef[],
    private readonly ctx: MetricContext,
    private readonly confusion = false,
  ) {
    let o = 2; // [loss sum, example count]
    for (const m of metrics) {
      o += m.size(ctx);
    }
    this.confusionAt = confusion ? o : undefined;
    this.total = o + (confusion ? this.confusionSize : 0);
  }

  private get confusionSize(): number {
    const k = this.ctx.kind === 'binary' ? 2 : this.ctx.classes;
    return k * k;
  }

  /** Add a batch: its mean loss (a scalar), example count, targets and predictions. Keeps no references to them. */
  update(meanLoss: Tensor, examples: number, yTrue: Tensor, yPred: Tensor): void {
    const tf = this.tf;
    const next = tf.tidy(() => {
      const parts = [tf.reshape(tf.mul(meanLoss, examples), [1]), tf.tensor1d([examples]), ...this.metrics.map((m) => tf.reshape(m.stats(tf, yTrue, yPred, this.ctx), [-1]))];
      if (this.confusion) parts.push(confusionStats(tf, yTrue, yPred, this.ctx));
      const batch = tf.concat(parts.map((t) => tf.cast(t, 'float32')));
      return this.sums ? tf.add(this.sums, batch) : batch;
    });
    this.sums?.dispose();
    // Kept: update() may run inside a caller's tidy().
    this.sums = tf.keep(next);
  }

  /** The mean loss and each metric. */
  async read(): Promise<Record<string, number>> {
    if (!this.sums) return {};
    return metricsFromSums(this.metrics, this.ctx, Float64Array.from(await this.sums.data()));
  }

  /** Every running sum, to carry an interrupted epoch's statistics over to its resumption. */
  async sumsSoFar(): Promise<number[]> {
    return this.sums ? Array.from(await this.sums.data()) : [];
  }

  /** Start from sums `sumsSoFar` returned (ignored unless they fit these metrics). */
  resumeFrom(sums: readonly number[]): void {
    if (sums.length !== this.total) return;
    this.sums?.dispose();
    this.sums = this.tf.keep(this.tf.tensor1d(sums as number[], 'float32'));
  }

  /** The summed confusion matrix, counts[true * k + predicted] (when made with `confusion`). */
  async confusionCounts(): Promise<Float64Array | undefined> {
    if (this.confusionAt === undefined || !this.sums) return undefined;
    const s = Float64Array.from(await this.sums.data());
    return s.subarray(this.confusionAt, this.confusionAt + this.confusionSize);
  }

  get length(): number {
    return this.total;
  }

  dispose(): void {
    this.sums?.dispose();
    this.sums = undefined;
  }
}
