/**
 * A search's objectives: one metric to maximize or minimize, or several, whose
 * trials make a Pareto front. A metric is one the trials log at each epoch
 * (val_accuracy, val_loss) or `params`, the trial model's parameter count. A
 * trial is judged at its best epoch by the first logged metric (the primary
 * objective, which the scheduler watches and each trial's best checkpoint
 * keeps); the other objectives are read at that same epoch, so every point of
 * the front is a checkpoint that can be evaluated.
 */
import { paretoFront } from './pareto.js';

export type Goal = 'maximize' | 'minimize';

export interface Objective {
  metric: string;
  goal: Goal;
}

/** The objective that is the trial model's parameter count (every weight, as strata summary's total). */
export const PARAMS = 'params';

/** The objective the scheduler and each trial's checkpoint follow: the first that is a logged metric. */
export function primaryObjective(objectives: readonly Objective[]): Objective | undefined {
  return objectives.find((o) => o.metric !== PARAMS);
}

/** What a search needs of a trial to place it: its objectives' values, when it counted. */
export interface Judged {
  values?: Record<string, number>;
}

/** A trial's objectives as losses (lower is better; a missing or non-finite value is the worst). */
export function lossVector(t: Judged, objectives: readonly Objective[]): number[] {
  return objectives.map((o) => {
    const v = t.values?.[o.metric];
    return v !== undefined && Number.isFinite(v) ? (o.goal === 'maximize' ? -v : v) : Infinity;
  });
}

/** The trials on the Pareto front of `objectives`, in their order (the ones with every value only). */
export function frontOf<T extends Judged>(trials: readonly T[], objectives: readonly Objective[]): T[] {
  const judged = trials.filter((t) => objectives.every((o) => t.values?.[o.metric] !== undefined && Number.isFinite(t.values[o.metric])));
  return paretoFront(judged.map((t) => lossVector(t, objectives))).map((i) => judged[i]!);
}
