/**
 * Metrics computed on the device as running sums of sufficient statistics
 * (counts, confusion matrices, score histograms), so training never waits on
 * a read per batch: the sums are read once, when results are wanted.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TfCore } from '../backend/select.js';

export type MetricName = 'accuracy' | 'top_k_accuracy' | 'precision' | 'recall' | 'f1' | 'auc' | 'mae' | 'rmse' | 'mape' | 'perplexity' | 'bits_per_character';

/** How targets are encoded, which decides how a prediction is scored. */
export type TargetKind = 'one_hot' | 'sparse' | 'binary' | 'regression';

export interface MetricContext {
  kind: TargetKind;
  /** Number of classes (last dimension of the predictions). */
  classes: number;
  /** k for top_k_accuracy. */
  topK: number;
}

const AUC_BUCKETS = 200;
const EPS = 1e-7;

interface MetricDef {
  /** The length of this metric's statistics vector. */
  size(c: MetricContext): number;
  /** Statistics of one batch, to be summed over batches. */
  stats(tf: TfCore, yTrue: Tensor, yPred: Tensor, c: MetricContext): Tensor;
  /** The metric from the summed statistics. */
  result(s: Float64Array, c: MetricContext): number;
}

/** Class ids of targets and predictions, flattened over batch and steps. */
function classIds(tf: TfCore, yTrue: Tensor, yPred: Tensor, c: MetricContext): { t: Tensor; p: Tensor } {
  if (c.kind === 'binary') {
    return { t: tf.cast(tf.greaterEqual(tf.reshape(yTrue, [-1]), 0.5), 'int32'), p: tf.cast(tf.greaterEqual(tf.reshape(yPred, [-1]), 0.5), 'int32') };
  }
  const p = tf.reshape(tf.argMax(yPred, -1), [-1]);
  const t = c.kind === 'sparse' ? tf.cast(tf.reshape(yTrue, [-1]), 'int32') : tf.reshape(tf.argMax(yTrue, -1), [-1]);
  return { t, p };
}

function confusion(tf: TfCore, yTrue: Tensor, yPred: Tensor, c: MetricContext): Tensor {
  const k = c.kind === 'binary' ? 2 : c.classes;
  const { t, p } = classIds(tf, yTrue, yPred, c);
  // float32: the wasm backend multiplies no int32 matrices.
  return tf.reshape(tf.matMul(tf.cast(tf.oneHot(t, k), 'float32'), tf.cast(tf.oneHot(p, k), 'float32'), true, false), [-1]);
}

function perClass(s: Float64Array, c: MetricContext, which: 'precision' | 'recall' | 'f1'): number {
  const k = c.kind === 'binary' ? 2 : c.classes;
  let sum = 0;
  let used = 0;
  for (let i = 0; i < k; i++) {
    const tp = s[i * k + i]!;
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += s[j * k + i]!;
      actual += s[i * k + j]!;
    }
    if (actual === 0 && predicted === 0) continue; // a class absent from targets and predictions
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = actual > 0 ? tp / actual : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    sum += which === 'precision' ? precision : which === 'recall' ? recall : f1;
    used++;
  }
  return used > 0 ? sum / used : 0;
}

/** Per-token cross-entropy in nats, summed, and the token count. */
function crossEntropyStats(tf: TfCore, yTrue: Tensor, yPred: Tensor, c: MetricContext): Tensor {
  const k = c.classes;
  const onehot = c.kind === 'sparse' ? tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), k) : tf.reshape(yTrue, [-1, k]);
  const p = tf.reshape(yPred, [-1, k]);
  const nll = tf.neg(tf.sum(tf.mul(onehot, tf.log(tf.clipByValue(p, EPS, 1))), -1));
  return tf.stack([tf.sum(nll), tf.scalar(nll.shape[0]!)]);
}

const count = (t: Tensor, tf: TfCore) => tf.scalar(t.size);

export const METRICS: Record<MetricName, MetricDef> = {
  accuracy: {
    size: () => 2,
    stats: (tf, y, p, c) => {
      const { t, p: q } = classIds(tf, y, p, c);
      return tf.stack([tf.sum(tf.cast(tf.equal(t, q), 'float32')), count(t, tf)]);
    },
    result: (s) => s[0]! / Math.max(1, s[1]!),
  },
  top_k_accuracy: {
    size: () => 2,
    stats: (tf, y, p, c) => {
      const k = c.classes;
      const flat = tf.reshape(p, [-1, k]);
      const t = c.kind === 'sparse' ? tf.cast(tf.reshape(y, [-1]), 'int32') : tf.cast(tf.argMax(tf.reshape(y, [-1, k]), -1), 'int32');
      // The target is in the top k when fewer than k classes score higher than it.
      const targetScore = tf.sum(tf.mul(flat, tf.oneHot(t, k)), -1, true);
      const higher = tf.sum(tf.cast(tf.greater(flat, targetScore), 'float32'), -1);
      return tf.stack([tf.sum(tf.cast(tf.less(higher, Math.min(c.topK, k)), 'float32')), tf.scalar(t.size)]);
    },
    result: (s) => s[0]! / Math.max(1, s[1]!),
  },
  precision: { size: (c) => (c.kind === 'binary' ? 4 : c.classes ** 2), stats: confusion, result: (s, c) => perClass(s, c, 'precision') },
  recall: { size: (c) => (c.kind === 'binary' ? 4 : c.classes ** 2), stats: confusion, result: (s, c) => perClass(s, c, 'recall') },
  f1: { size: (c) => (c.kind === 'binary' ? 4 : c.classes ** 2), stats: confusion, result: (s, c) => perClass(s, c, 'f1') },
  auc: {
    size: () => 2 * AUC_BUCKETS,
    stats: (tf, y, p, c) => {
      // Score of the positive class, bucketed; histograms of positives and negatives.
      const score = c.kind === 'binary' ? tf.reshape(p, [-1]) : tf.reshape(tf.slice(tf.reshape(p, [-1, c.classes]), [0, c.classes - 1], [-1, 1]), [-1]);
      const label = c.kind === 'binary' ? tf.reshape(y, [-1]) : c.kind === 'sparse' ? tf.cast(tf.equal(tf.reshape(y, [-1]), c.classes - 1), 'float32') : tf.reshape(tf.slice(tf.reshape(y, [-1, c.classes]), [0, c.classes - 1], [-1, 1]), [-1]);
      const bucket = tf.oneHot(tf.cast(tf.clipByValue(tf.floor(tf.mul(score, AUC_BUCKETS)), 0, AUC_BUCKETS - 1), 'int32'), AUC_BUCKETS);
      const pos = tf.sum(tf.mul(bucket, tf.expandDims(label, 1)), 0);
      const neg = tf.sum(tf.mul(bucket, tf.expandDims(tf.sub(1, label), 1)), 0);
      return tf.concat([pos, neg]);
    },
    result: (s) => {
      // Area under the ROC curve from the histograms: P(score_pos > score_neg), ties counted half.
      let negBelow = 0;
      let area = 0;
      let totalPos = 0;
      let totalNeg = 0;
      for (let b = 0; b < AUC_BUCKETS; b++) {
        const pos = s[b]!;
        const neg = s[AUC_BUCKETS + b]!;
        area += pos * (negBelow + neg / 2);
        negBelow += neg;
        totalPos += pos;
        totalNeg += neg;
      }
      return totalPos > 0 && totalNeg > 0 ? area / (totalPos * totalNeg) : 0;
    },
  },
  mae: {
    size: () => 2,
    stats: (tf, y, p) => tf.stack([tf.sum(tf.abs(tf.sub(p, y))), tf.scalar(y.size)]),
    result: (s) => s[0]! / Math.max(1, s[1]!),
  },
  rmse: {
    size: () => 2,
    stats: (tf, y, p) => tf.stack([tf.sum(tf.square(tf.sub(p, y))), tf.scalar(y.size)]),
    result: (s) => Math.sqrt(s[0]! / Math.max(1, s[1]!)),
  },
  mape: {
    size: () => 2,
    stats: (tf, y, p) => tf.stack([tf.sum(tf.div(tf.abs(tf.sub(p, y)), tf.maximum(tf.abs(y), EPS))), tf.scalar(y.size)]),
    result: (s) => (100 * s[0]!) / Math.max(1, s[1]!),
  },
  perplexity: { size: () => 2, stats: crossEntropyStats, result: (s) => Math.exp(s[0]! / Math.max(1, s[1]!)) },
  bits_per_character: { size: () => 2, stats: crossEntropyStats, result: (s) => s[0]! / Math.max(1, s[1]!) / Math.LN2 },
};

/**
 * Running sums for a set of metrics plus the loss. `update` adds one batch on
 * the device; `read` reads everything once.
 */
export class MetricAccumulator {
  private sums: Tensor | undefined;
  private readonly offsets: number[] = [];
  private readonly total: number;

  constructor(
    private readonly tf: TfCore,
    readonly names: readonly MetricName[],
    private readonly ctx: MetricContext,
  ) {
    let o = 2; // [loss sum, example count]
    for (const n of names) {
      this.offsets.push(o);
      o += METRICS[n].size(ctx);
    }
    this.total = o;
  }

  /** Add a batch: its mean loss (a scalar), example count, targets and predictions. Keeps no references to them. */
  update(meanLoss: Tensor, examples: number, yTrue: Tensor, yPred: Tensor): void {
    const tf = this.tf;
    const next = tf.tidy(() => {
      const parts = [tf.reshape(tf.mul(meanLoss, examples), [1]), tf.tensor1d([examples]), ...this.names.map((n) => tf.reshape(METRICS[n].stats(tf, yTrue, yPred, this.ctx), [-1]))];
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
    const s = Float64Array.from(await this.sums.data());
    const out: Record<string, number> = { loss: s[0]! / Math.max(1, s[1]!) };
    this.names.forEach((n, i) => {
      out[n] = METRICS[n].result(s.subarray(this.offsets[i]!, this.offsets[i]! + METRICS[n].size(this.ctx)), this.ctx);
    });
    return out;
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

  /** The summed statistics of one metric (for a confusion matrix, say). */
  async raw(name: MetricName): Promise<Float64Array | undefined> {
    const i = this.names.indexOf(name);
    if (i < 0 || !this.sums) return undefined;
    const s = Float64Array.from(await this.sums.data());
    return s.subarray(this.offsets[i]!, this.offsets[i]! + METRICS[name].size(this.ctx));
  }

  get length(): number {
    return this.total;
  }

  dispose(): void {
    this.sums?.dispose();
    this.sums = undefined;
  }
}
