/** The `train` section of a spec, typed, with defaults filled in. */
import type { LossName } from './losses.js';
import type { MetricName } from './metrics.js';
import type { OptimizerName, OptimizerSpec } from './optimizers.js';
import type { ScheduleSpec } from './schedules.js';

export interface EarlyStoppingSpec {
  monitor: string;
  mode?: 'min' | 'max';
  patience: number;
  min_delta: number;
  restore_best: boolean;
}

export interface CheckpointSpec {
  /** How many of the most recent checkpoints to keep (the best is always kept). */
  keep_last: number;
  /** The metric that decides the best checkpoint, and its direction. */
  monitor: string;
  mode?: 'min' | 'max';
}

export interface TrainConfig {
  epochs: number;
  batch_size: number;
  optimizer: OptimizerSpec;
  loss: LossName;
  metrics: MetricName[];
  top_k: number;
  schedule?: ScheduleSpec;
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
}

/** Whether larger is better for a metric name such as `val_accuracy`. */
export function metricMode(name: string, mode?: 'min' | 'max'): 'min' | 'max' {
  if (mode) return mode;
  return /(accuracy|auc|f1|precision|recall)$/.test(name) ? 'max' : 'min';
}

export function trainConfig(raw: Record<string, unknown> | undefined, hasValidation: boolean): TrainConfig {
  const t = (raw ?? {}) as Partial<Omit<TrainConfig, 'optimizer' | 'early_stopping' | 'checkpoint'>> & {
    optimizer?: OptimizerSpec | OptimizerName;
    early_stopping?: Partial<EarlyStoppingSpec>;
    checkpoint?: Partial<CheckpointSpec>;
  };
  const monitor = hasValidation ? 'val_loss' : 'loss';
  const opt = t.optimizer ?? 'adam';
  return {
    epochs: t.epochs ?? 10,
    batch_size: t.batch_size ?? 32,
    optimizer: typeof opt === 'string' ? { type: opt } : opt,
    loss: t.loss ?? 'categorical_crossentropy',
    metrics: t.metrics ?? [],
    top_k: t.top_k ?? 5,
    ...(t.schedule ? { schedule: t.schedule } : {}),
    ...(t.clip_norm !== undefined ? { clip_norm: t.clip_norm } : {}),
    ...(t.clip_value !== undefined ? { clip_value: t.clip_value } : {}),
    label_smoothing: t.label_smoothing ?? 0,
    ...(t.class_weights ? { class_weights: t.class_weights } : {}),
    ...(t.early_stopping
      ? {
          early_stopping: {
            monitor: t.early_stopping.monitor ?? monitor,
            ...(t.early_stopping.mode ? { mode: t.early_stopping.mode } : {}),
            patience: t.early_stopping.patience ?? 5,
            min_delta: t.early_stopping.min_delta ?? 0,
            restore_best: t.early_stopping.restore_best ?? true,
          },
        }
      : {}),
    checkpoint: { keep_last: t.checkpoint?.keep_last ?? 3, monitor: t.checkpoint?.monitor ?? monitor, ...(t.checkpoint?.mode ? { mode: t.checkpoint.mode } : {}) },
    ...(t.steps_per_epoch !== undefined ? { steps_per_epoch: t.steps_per_epoch } : {}),
    carry_state: t.carry_state ?? false,
  };
}

/** How class labels reach the loss: as ids for the sparse loss, one-hot otherwise. */
export function labelModeFor(loss: LossName): 'sparse' | 'one_hot' {
  return loss === 'sparse_categorical_crossentropy' ? 'sparse' : 'one_hot';
}
