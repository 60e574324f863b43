/**
 * The training registry's entry types: one entry per optimizer, loss,
 * learning-rate schedule and metric, holding everything about it — its keys
 * in a spec (schema, description and default, which become the `train:`
 * section's schema and docs/training.md), its implementation on TensorFlow.js,
 * and, for metrics, whether higher is better. Lists of names anywhere in
 * strata are derived from here, as layer types are from the layer registry.
 */
import type { Optimizer, Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { TfCore } from '../tf-types.js';
import type { Param } from '../document/json-schema.js';

/** An entry's keys from the spec, defaults filled in. */
export type Settings = Readonly<Record<string, unknown>>;

export interface Entry {
  /** The name a spec uses (`adam`, `huber`, `cosine`, `val_` + a metric name). */
  name: string;
  description: string;
  /** The entry's own keys beside `type` (optimizers and schedules; losses and metrics have none). */
  params: Record<string, Param>;
}

export interface OptimizerDef extends Entry {
  /** The Keras class it corresponds to. */
  keras: string;
  /** The TensorFlow.js optimizer for these settings (`learning_rate` included). */
  make(tf: TfCore, s: Settings): Optimizer;
  /** The decoupled weight decay it applies before each step (AdamW's), 0 for none. */
  weightDecay?(s: Settings): number;
}

/** How a loss wants its targets: class ids, one-hot (or probability) rows, a 0/1 column, or values. */
export type LossTargets = 'sparse' | 'one_hot' | 'binary' | 'values';

export interface LossOptions {
  /** Mix one-hot targets with the uniform distribution by this much (cross-entropy losses). */
  labelSmoothing: number;
}

/** A loss computed from a softmax's logits (LossDef.fromLogits). */
export interface LogitsLoss {
  /** softmax(logits). */
  probabilities: Tensor;
  /** The examples' mean loss, as the loss's function gives it from the probabilities. */
  meanLoss: Scalar;
  /** The gradient of the examples' mean loss with respect to the logits. */
  meanGradient: Tensor;
}

/** A loss as a function of (targets, predictions) returning one value per example. */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

export interface LossDef extends Entry {
  keras: string;
  targets: LossTargets;
  /** Whether `label_smoothing` applies. */
  smoothing: boolean;
  make(tf: TfCore, o: LossOptions): LossFn;
  /**
   * For a loss of a softmax's probabilities: from the logits, the softmax, the examples' mean
   * loss (as `make`'s function gives it from the probabilities, clip included) and the mean
   * loss's gradient with respect to the logits in closed form. A step that has the logits
   * (train/step.ts, train/stack-gradients.ts) uses it instead of differentiating through the
   * softmax and the clipped log, as Keras differentiates cross-entropy for a softmax output.
   */
  fromLogits?(tf: TfCore, o: LossOptions): (yTrue: Tensor, logits: Tensor) => LogitsLoss;
}

export interface ScheduleContext {
  /** The optimizer's learning rate. */
  base: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

/** reduce_on_plateau's running state, saved with checkpoints. */
export interface PlateauState {
  scale: number;
  best: number | null;
  wait: number;
}

export interface ScheduleDef extends Entry {
  /** The learning rate at optimizer step `step` (0-based). */
  rate(s: Settings, step: number, c: ScheduleContext, plateau?: PlateauState): number;
  /** For schedules driven by a monitored metric: the state update after each epoch, given whether the metric improved enough. */
  plateauStep?(s: Settings, state: PlateauState, value: number, direction: Direction): PlateauState;
}

/** How targets are encoded, which decides how a prediction is scored. */
export type TargetKind = 'one_hot' | 'sparse' | 'binary' | 'regression';

export interface MetricContext {
  kind: TargetKind;
  /** Number of classes (last dimension of the predictions). */
  classes: number;
  /** k for top_k_accuracy. */
  topK: number;
}

/** Whether a smaller or a larger value of a metric is better. */
export type Direction = 'min' | 'max';

export interface MetricDef extends Entry {
  direction: Direction;
  /** The length of this metric's statistics vector. */
  size(c: MetricContext): number;
  /** Statistics of one batch, to be summed over batches. */
  stats(tf: TfCore, yTrue: Tensor, yPred: Tensor, c: MetricContext): Tensor;
  /** The metric from the summed statistics. */
  result(s: Float64Array, c: MetricContext): number;
}

/** Check an entry against its kind and keep its name's literal type (so `MetricName` and the like derive from the entries). */
export const defineOptimizer = <const N extends string>(def: OptimizerDef & { name: N }): OptimizerDef & { name: N } => def;
export const defineLoss = <const N extends string>(def: LossDef & { name: N }): LossDef & { name: N } => def;
export const defineSchedule = <const N extends string>(def: ScheduleDef & { name: N }): ScheduleDef & { name: N } => def;
export const defineMetric = <const N extends string>(def: MetricDef & { name: N }): MetricDef & { name: N } => def;

/** The entries of one kind, by name; a second entry under the same name is an error. */
export class Catalog<T extends Entry> implements Iterable<T> {
  private readonly byName = new Map<string, T>();

  constructor(
    /** What the entries are, for messages: 'optimizer', 'loss', ... */
    readonly kind: string,
    defs: Iterable<T>,
  ) {
    for (const def of defs) {
      if (this.byName.has(def.name)) throw new Error(`${kind} '${def.name}' is registered twice`);
      this.byName.set(def.name, def);
    }
  }

  get(name: string): T | undefined {
    return this.byName.get(name);
  }

  /** The entry of a name the schema has already checked. */
  must(name: string): T {
    const def = this.byName.get(name);
    if (!def) throw new Error(`no ${this.kind} '${name}'`);
    return def;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  [Symbol.iterator](): Iterator<T> {
    return this.byName.values();
  }
}

export interface TrainRegistry {
  optimizers: Catalog<OptimizerDef>;
  losses: Catalog<LossDef>;
  schedules: Catalog<ScheduleDef>;
  metrics: Catalog<MetricDef>;
}

/** The keys given over the keys' defaults (copied, so a default list is never shared); `type` is left out. */
export function withDefaults(params: Record<string, Param>, given: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(params)) if (p.default !== undefined) out[key] = structuredClone(p.default);
  for (const [key, v] of Object.entries(given ?? {})) if (key !== 'type' && v !== undefined) out[key] = v;
  return out;
}

/** An entry's settings: the spec's keys over the entry's defaults. */
export function settingsOf(def: Entry, given: Record<string, unknown> | undefined): Settings {
  return withDefaults(def.params, given);
}
