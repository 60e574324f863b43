/**
 * Learning-rate schedules. Each is a pure function of the step (and the
 * run's length), so a resumed run lands on the same rate; reduce-on-plateau
 * also carries a small state that is saved with checkpoints.
 */

export interface ScheduleSpec {
  type: 'constant' | 'step' | 'exponential' | 'cosine' | 'one_cycle' | 'reduce_on_plateau';
  /** Linear warmup from 0 over this many epochs (fractions allowed) ... */
  warmup_epochs?: number;
  /** ... or this many steps. */
  warmup_steps?: number;
  /** step: decay every this many epochs. */
  step_size?: number;
  /** step, exponential: the factor per decay (exponential: per epoch). */
  gamma?: number;
  /** cosine: the rate at the end. */
  min_learning_rate?: number;
  /** one_cycle: the peak rate (default 10 × learning_rate). */
  max_learning_rate?: number;
  /** one_cycle: the fraction of the run spent rising. */
  pct_start?: number;
  /** reduce_on_plateau: the metric watched, its direction, the factor, patience and threshold. */
  monitor?: string;
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  min_delta?: number;
}

export interface PlateauState {
  scale: number;
  best: number | null;
  wait: number;
}

export interface ScheduleContext {
  base: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

/** The learning rate at optimizer step `step` (0-based). */
export function learningRateAt(s: ScheduleSpec | undefined, step: number, c: ScheduleContext, plateau?: PlateauState): number {
  const base = c.base;
  const epoch = step / c.stepsPerEpoch;
  const warmup = s?.warmup_steps ?? Math.round((s?.warmup_epochs ?? 0) * c.stepsPerEpoch);
  let lr: number;
  switch (s?.type ?? 'constant') {
    case 'constant':
      lr = base;
      break;
    case 'step':
      lr = base * (s!.gamma ?? 0.1) ** Math.floor(epoch / (s!.step_size ?? 10));
      break;
    case 'exponential':
      lr = base * (s!.gamma ?? 0.95) ** epoch;
      break;
    case 'cosine': {
      const min = s!.min_learning_rate ?? 0;
      const span = Math.max(1, c.totalSteps - warmup);
      const t = Math.min(1, Math.max(0, step - warmup) / span);
      lr = min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * t));
      break;
    }
    case 'one_cycle': {
      // Rise from max/25 to max over pct_start of the run, then anneal (cosine) to max/1e4.
      const max = s!.max_learning_rate ?? base * 10;
      const rise = Math.max(1, Math.round((s!.pct_start ?? 0.3) * c.totalSteps));
      const start = max / 25;
      const end = max / 1e4;
      const cos = (from: number, to: number, t: number) => to + 0.5 * (from - to) * (1 + Math.cos(Math.PI * Math.min(1, t)));
      lr = step < rise ? cos(start, max, step / rise) : cos(max, end, (step - rise) / Math.max(1, c.totalSteps - rise));
      return lr; // one_cycle has its own warmup
    }
    case 'reduce_on_plateau':
      lr = Math.max(base * (plateau?.scale ?? 1), s!.min_learning_rate ?? 0);
      break;
  }
  if (warmup > 0 && step < warmup) lr *= (step + 1) / warmup;
  return lr;
}

/** Update reduce-on-plateau's state with an epoch's monitored value. */
export function plateauStep(s: ScheduleSpec, state: PlateauState, value: number): PlateauState {
  const mode = s.mode ?? (/acc|auc|f1|precision|recall/.test(s.monitor ?? 'val_loss') ? 'max' : 'min');
  const delta = s.min_delta ?? 1e-4;
  const better = state.best === null || (mode === 'min' ? value < state.best - delta : value > state.best + delta);
  if (better) return { ...state, best: value, wait: 0 };
  const wait = state.wait + 1;
  if (wait >= (s.patience ?? 10)) {
    return { scale: state.scale * (s.factor ?? 0.1), best: state.best, wait: 0 };
  }
  return { ...state, wait };
}
