/**
 * Stopping bad trials early, from their per-epoch objective (the search's
 * `scheduler:`). Both rules look only at the trial's curve so far and the
 * curves of the trials before it, so a resumed search decides as the
 * uninterrupted one did. Values are losses here: lower is better (the runner
 * negates a metric to maximize).
 *
 * - median (as Optuna's MedianPruner): after `grace` epochs, and once
 *   `minTrials` trials have run, stop a trial whose best value so far is
 *   worse than the median of the earlier trials' best values at the same
 *   epoch.
 * - asha (asynchronous successive halving, Li et al. 2020; as Optuna's
 *   SuccessiveHalvingPruner): rungs at grace·reduction^k epochs; at a rung a
 *   trial goes on only if its best value so far is among the best
 *   1/reduction of the values recorded at that rung by it and the trials
 *   before it (the best one when fewer than `reduction` have reached it).
 */

export type SchedulerKind = 'none' | 'median' | 'asha';

export interface SchedulerOptions {
  kind: SchedulerKind;
  /** Epochs before any stop (median), the first rung (asha). */
  grace: number;
  /** asha: the reduction factor η. */
  reduction: number;
  /** median: trials that must have run before any stop. */
  minTrials: number;
}

/** The best (lowest) of a curve's first `epochs` values; undefined when it has fewer. */
function bestUpTo(curve: readonly number[], epochs: number): number | undefined {
  if (curve.length < epochs) return undefined;
  let best = Infinity;
  for (let i = 0; i < epochs; i++) if (curve[i]! < best) best = curve[i]!;
  return best;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Whether the trial whose objective so far is `curve` (one value per finished epoch,
 * NaN for none) should stop now, given the curves of the trials before it.
 */
export function shouldStop(o: SchedulerOptions, curve: readonly number[], earlier: readonly (readonly number[])[]): boolean {
  const e = curve.length;
  if (o.kind === 'none' || e < o.grace) return false;
  const mine = bestUpTo(curve, e)!;
  if (!Number.isFinite(mine)) return true;
  if (o.kind === 'median') {
    if (earlier.length < o.minTrials) return false;
    const others = earlier.map((c) => bestUpTo(c, e)).filter((v): v is number => v !== undefined && Number.isFinite(v));
    return others.length > 0 && mine > median(others);
  }
  // asha: only at a rung.
  let rung = o.grace;
  while (rung < e) rung *= o.reduction;
  if (rung !== e) return false;
  const competing = [mine, ...earlier.map((c) => bestUpTo(c, e)).filter((v): v is number => v !== undefined && Number.isFinite(v))].sort((a, b) => a - b);
  const keep = Math.max(1, Math.floor(competing.length / o.reduction));
  return mine > competing[keep - 1]!;
}
