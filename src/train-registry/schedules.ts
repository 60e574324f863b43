/**
 * Learning-rate schedules. Each is a pure function of the step (and the
 * run's length), so a resumed run lands on the same rate; reduce-on-plateau
 * also carries a small state that is saved with checkpoints.
 */
import { int, num } from '../document/json-schema.js';
import type { Param } from '../document/json-schema.js';
import { defineSchedule } from './entry.js';
import { modeParam, monitorParam } from './monitor.js';
import type { PlateauState, ScheduleContext, ScheduleDef, Settings } from './entry.js';

/** Linear warmup, which every schedule but one_cycle (it rises by itself) takes. */
const warmupKeys: Record<string, Param> = {
  warmup_epochs: num('Rise linearly from 0 to the rate over this many epochs first (fractions allowed).', { min: 0 }),
  warmup_steps: int('Rise linearly from 0 to the rate over this many steps first (instead of warmup_epochs).', { min: 0 }),
};

function warmupSteps(s: Settings, c: ScheduleContext): number {
  return (s.warmup_steps as number | undefined) ?? Math.round(((s.warmup_epochs as number | undefined) ?? 0) * c.stepsPerEpoch);
}

/** `rate` with the linear warmup of `warmupKeys` in front. */
function warmed(rate: (s: Settings, step: number, c: ScheduleContext, plateau?: PlateauState) => number): ScheduleDef['rate'] {
  return (s, step, c, plateau) => {
    const lr = rate(s, step, c, plateau);
    const warmup = warmupSteps(s, c);
    return warmup > 0 && step < warmup ? (lr * (step + 1)) / warmup : lr;
  };
}

const minRate = (what: string) => num(what, { min: 0, default: 0 });
const cosineBetween = (from: number, to: number, t: number) => to + 0.5 * (from - to) * (1 + Math.cos(Math.PI * Math.min(1, t)));

export const scheduleEntries = [
  defineSchedule({
    name: 'constant',
    description: 'The optimizer’s learning_rate throughout (after any warmup).',
    params: { ...warmupKeys },
    rate: warmed((_s, _step, c) => c.base),
  }),
  defineSchedule({
    name: 'step',
    description: 'Multiply the rate by gamma every step_size epochs.',
    params: {
      ...warmupKeys,
      step_size: num('Epochs between reductions.', { exclusiveMin: 0, default: 10 }),
      gamma: num('The factor applied at each reduction.', { exclusiveMin: 0, max: 1, default: 0.1 }),
    },
    rate: warmed((s, step, c) => c.base * (s.gamma as number) ** Math.floor(step / c.stepsPerEpoch / (s.step_size as number))),
  }),
  defineSchedule({
    name: 'exponential',
    description: 'Multiply the rate by gamma every epoch, smoothly (step by step).',
    params: { ...warmupKeys, gamma: num('The factor per epoch.', { exclusiveMin: 0, max: 1, default: 0.95 }) },
    rate: warmed((s, step, c) => c.base * (s.gamma as number) ** (step / c.stepsPerEpoch)),
  }),
  defineSchedule({
    name: 'cosine',
    description: 'Anneal from the rate to min_learning_rate along half a cosine over the run (after the warmup).',
    params: { ...warmupKeys, min_learning_rate: minRate('The rate reached at the end.') },
    rate: warmed((s, step, c) => {
      const warmup = warmupSteps(s, c);
      const min = s.min_learning_rate as number;
      const t = Math.min(1, Math.max(0, step - warmup) / Math.max(1, c.totalSteps - warmup));
      return cosineBetween(c.base, min, t);
    }),
  }),
  defineSchedule({
    name: 'one_cycle',
    description: 'The one-cycle policy: rise (cosine) from max_learning_rate/25 to max_learning_rate over pct_start of the run, then anneal to max_learning_rate/10⁴.',
    params: {
      max_learning_rate: num('The peak rate (default: 10 × the optimizer’s learning_rate).', { exclusiveMin: 0 }),
      pct_start: num('The fraction of the run spent rising.', { exclusiveMin: 0, exclusiveMax: 1, default: 0.3 }),
    },
    rate: (s, step, c) => {
      const max = (s.max_learning_rate as number | undefined) ?? c.base * 10;
      const rise = Math.max(1, Math.round((s.pct_start as number) * c.totalSteps));
      return step < rise ? cosineBetween(max / 25, max, step / rise) : cosineBetween(max, max / 1e4, (step - rise) / Math.max(1, c.totalSteps - rise));
    },
  }),
  defineSchedule({
    name: 'reduce_on_plateau',
    description: 'Multiply the rate by factor when the monitored metric has not improved by min_delta for patience epochs.',
    params: {
      ...warmupKeys,
      monitor: monitorParam('watched'),
      mode: modeParam,
      factor: num('The factor applied on a plateau.', { exclusiveMin: 0, exclusiveMax: 1, default: 0.1 }),
      patience: int('Epochs without improvement before reducing.', { min: 1, default: 10 }),
      min_delta: num('The smallest change that counts as an improvement.', { min: 0, default: 1e-4 }),
      min_learning_rate: minRate('The lowest rate.'),
    },
    rate: warmed((s, _step, c, plateau) => Math.max(c.base * (plateau?.scale ?? 1), s.min_learning_rate as number)),
    plateauStep: (s, state, value, direction) => {
      const delta = s.min_delta as number;
      const better = state.best === null || (direction === 'min' ? value < state.best - delta : value > state.best + delta);
      if (better) return { ...state, best: value, wait: 0 };
      const wait = state.wait + 1;
      if (wait >= (s.patience as number)) return { scale: state.scale * (s.factor as number), best: state.best, wait: 0 };
      return { ...state, wait };
    },
  }),
];
