/** The training registry: every optimizer, loss, learning-rate schedule and metric strata knows. */
import { Catalog } from './entry.js';
import type { Direction, LossDef, MetricDef, OptimizerDef, ScheduleDef, TrainRegistry } from './entry.js';
import { lossEntries } from './losses.js';
import { metricEntries } from './metrics.js';
import { optimizerEntries } from './optimizers.js';
import { scheduleEntries } from './schedules.js';

export type OptimizerName = (typeof optimizerEntries)[number]['name'];
export type LossName = (typeof lossEntries)[number]['name'];
export type ScheduleName = (typeof scheduleEntries)[number]['name'];
export type MetricName = (typeof metricEntries)[number]['name'];

export const trainRegistry: TrainRegistry = {
  optimizers: new Catalog<OptimizerDef>('optimizer', optimizerEntries),
  losses: new Catalog<LossDef>('loss', lossEntries),
  schedules: new Catalog<ScheduleDef>('schedule', scheduleEntries),
  metrics: new Catalog<MetricDef>('metric', metricEntries),
};

/** The logged name of the loss; it and every metric may be monitored, as is or with `val_` for the validation split. */
export const LOSS_KEY = 'loss';
export const VALIDATION_PREFIX = 'val_';

/** Whether a smaller or larger value is better for a logged name such as `val_accuracy` or `loss` (undefined for names no entry logs). */
export function directionOf(name: string, registry: TrainRegistry = trainRegistry): Direction | undefined {
  const base = name.startsWith(VALIDATION_PREFIX) ? name.slice(VALIDATION_PREFIX.length) : name;
  if (base === LOSS_KEY) return 'min';
  return registry.metrics.get(base)?.direction;
}
