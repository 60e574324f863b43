/**
 * The `train` section of a spec, typed, with the defaults of the training
 * registry (train-registry/section.ts for the section's own keys, each entry
 * for its settings) filled in.
 */
import type { Direction, Entry, LossDef, MetricDef, OptimizerDef, ScheduleDef, Settings } from '../train-registry/entry.js';
import { settingsOf, withDefaults } from '../train-registry/entry.js';
import { directionOf, trainRegistry } from '../train-registry/catalog.js';
import type { LossName, MetricName, OptimizerName, ScheduleName } from '../train-registry/catalog.js';
import { checkpointKeys, defaultMonitor, earlyStoppingKeys, trainKeys } from '../train-registry/section.js';
import { distillKeys } from '../train-registry/distill.js';
import type { EngineName } from '../train-registry/section.js';

export interface EarlyStoppingSpec {
  monitor: string;
  mode?: Direction;
  patience: number;
  min_delta: number;
  restore_best: boolean;
}

export interface CheckpointSpec {
  /** How many of the most recent checkpoints to keep (the best is always kept). */
  keep_last: number;
  /** The metric that decides the best checkpoint, and its direction. */
  monitor: string;
  mode?: Direction;
}

/** A registry entry with its settings from the spec. */
export interface Chosen<D, N extends string> {
  type: N;
  def: D;
  settings: Settings;
}

export interface TrainConfig {
  /** `train.engine`: what trains the model (the command line's --engine overrides it). */
  engine: EngineName;
  epochs: number;
  batch_size: number;
  optimizer: Chosen<OptimizerDef, OptimizerName>;
  loss: Chosen<LossDef, LossName>;
  metrics: MetricName[];
  top_k: number;
  schedule?: Chosen<ScheduleDef, ScheduleName>;
  clip_norm?: number;
  clip_value?: number;
  label_smoothing: number;
  class_weights?: Record<string, number>;
  early_stopping?: EarlyStoppingSpec;
  checkpoint: CheckpointSpec;
  /** Stop each epoch after this many batches (for quick trials). */
  steps_per_epoch?: number;
  /** Carry recurrent states from batch to batch over consecutive windows (carry-state.ts). */
  carry_state: boolean;
  /** `train.pruning` as given (train-registry/pruning.ts turns it into a plan once the steps per epoch are known). */
  pruning?: Record<string, unknown>;
  /** `train.distill` with its defaults; `teacher` as written (relative to the spec file). */
  distill?: DistillSpec;
}

export interface DistillSpec {
  teacher: string;
  temperature: number;
  alpha: number;
}

/** Whether larger is better for a logged name such as `val_accuracy`: the mode given, else the metric's own direction. */
export function metricMode(name: string, mode?: Direction): Direction {
  return mode ?? directionOf(name) ?? 'min';
}

/** The metric entries of a config, in its order. */
export function metricDefs(names: readonly string[]): MetricDef[] {
  return names.map((n) => trainRegistry.metrics.must(n));
}

function choose<D extends Entry, N extends string>(catalog: { must(name: string): D }, value: unknown): Chosen<D, N> {
  const given = typeof value === 'string' ? { type: value } : (value as Record<string, unknown>);
  const def = catalog.must(String(given.type));
  return { type: def.name as N, def, settings: settingsOf(def, given) };
}

/** A schedule that watches a metric (reduce_on_plateau) with its monitor resolved, as early stopping's and the checkpoint's are. */
function watching(s: Chosen<ScheduleDef, ScheduleName>, monitor: string): Chosen<ScheduleDef, ScheduleName> {
  return s.def.plateauStep ? { ...s, settings: { monitor, ...s.settings } } : s;
}

export function trainConfig(raw: Record<string, unknown> | undefined, hasValidation: boolean): TrainConfig {
  const t = withDefaults(trainKeys(), raw);
  const monitor = defaultMonitor(hasValidation);
  const early = t.early_stopping ? withDefaults(earlyStoppingKeys, t.early_stopping as Record<string, unknown>) : undefined;
  const checkpoint = withDefaults(checkpointKeys, t.checkpoint as Record<string, unknown> | undefined);
  return {
    engine: t.engine as EngineName,
    epochs: t.epochs as number,
    batch_size: t.batch_size as number,
    optimizer: choose(trainRegistry.optimizers, t.optimizer),
    loss: choose(trainRegistry.losses, t.loss),
    metrics: t.metrics as MetricName[],
    top_k: t.top_k as number,
    ...(t.schedule ? { schedule: watching(choose<ScheduleDef, ScheduleName>(trainRegistry.schedules, t.schedule), monitor) } : {}),
    ...(t.clip_norm !== undefined ? { clip_norm: t.clip_norm as number } : {}),
    ...(t.clip_value !== undefined ? { clip_value: t.clip_value as number } : {}),
    label_smoothing: t.label_smoothing as number,
    ...(t.class_weights ? { class_weights: t.class_weights as Record<string, number> } : {}),
    ...(early ? { early_stopping: { ...(early as unknown as EarlyStoppingSpec), monitor: (early.monitor as string | undefined) ?? monitor } } : {}),
    checkpoint: { ...(checkpoint as unknown as CheckpointSpec), monitor: (checkpoint.monitor as string | undefined) ?? monitor },
    ...(t.steps_per_epoch !== undefined ? { steps_per_epoch: t.steps_per_epoch as number } : {}),
    carry_state: t.carry_state as boolean,
    ...(t.pruning ? { pruning: t.pruning as Record<string, unknown> } : {}),
    ...(t.distill ? { distill: withDefaults(distillKeys, t.distill as Record<string, unknown>) as unknown as DistillSpec } : {}),
  };
}
