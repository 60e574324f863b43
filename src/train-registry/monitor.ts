/**
 * Watching a logged metric: the keys a section that watches one takes
 * (`monitor`, `mode`), and the sections that do. Early stopping, checkpoints and
 * reduce_on_plateau share them.
 */
import { choice, str } from '../document/json-schema.js';
import type { Param } from '../document/json-schema.js';

/** The sections of `train:` that watch a metric, each with its own `monitor`. */
export const MONITORING_SECTIONS = ['early_stopping', 'checkpoint', 'schedule'] as const;

/** `monitor`: the metric `what`. */
export const monitorParam = (what: string): Param =>
  str(`The metric ${what}, such as val_loss or val_accuracy (default: val_loss, or loss without validation data).`);

/** `mode`: which way is better. */
export const modeParam: Param = choice('Whether lower or higher is better (default: the metric’s own direction: accuracy-like metrics are max, losses and errors min).', ['min', 'max']);
