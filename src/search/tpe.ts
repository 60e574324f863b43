/**
 * The Tree-structured Parzen Estimator (Bergstra et al. 2011), after Optuna's
 * TPESampler with its defaults: the first `startup` trials are random; after
 * that the history is split into the best ceil(gamma·n) trials, l, and the
 * rest, g (a failed trial, whose value is not finite, is among the worst);
 * each active parameter gets two Parzen estimators (parzen.ts), fitted on the
 * trials of l and of g that have it, draws `candidates` values from l's and
 * keeps the one with the largest l(x)/g(x). Parameters are sampled
 * independently of each other, parents before their conditional children.
 * Trial k draws from its own stream, seeded by the search's seed and k.
 */
import { mixSeed, Rng } from '../rng.js';
import { fitCategorical, fitNumeric, numericLogDensity, observationWeights, sampleCategorical, sampleNumeric } from './parzen.js';
import { randomAssignment } from './random.js';
import { bestByRank } from './pareto.js';
import { assignInOrder, checkParameters, jsonEqual, numericLine } from './space.js';
import type { Observation, Parameter, Sampler } from './space.js';

export interface TpeOptions {
  /** Random trials before the estimators take over (default 10). */
  startup?: number;
  /** Values drawn from l per parameter, of which the best by l/g is kept (default 24). */
  candidates?: number;
  /** The fraction of trials that make up the good set l (default 0.25). */
  gamma?: number;
}

/** Sort key of a trial's value: a failed trial's (NaN, ±Infinity) is the worst. */
const score = (o: Observation) => (Number.isFinite(o.value) ? o.value : Infinity);

/** The history split into the best ceil(gamma·n) trials and the rest, each in trial order. */
function splitHistory(history: readonly Observation[], gamma: number): { good: Observation[]; bad: Observation[] } {
  const n = history.length;
  const nGood = Math.min(n, Math.max(1, Math.ceil(gamma * n)));
  // Several objectives (as Optuna's MOTPE): the best by non-domination rank, the last rank cut by crowding distance.
  const isGood = new Set(history.every((o) => o.losses && o.losses.length > 1) ? bestByRank(history.map((o) => o.losses!), nGood) : history.map((o, i) => i).sort((a, b) => score(history[a]!) - score(history[b]!) || a - b).slice(0, nGood));
  return { good: history.filter((_, i) => isGood.has(i)), bad: history.filter((_, i) => !isGood.has(i)) };
}

/** The observed values of `path` in `trials` (trial order), where present. */
function observed(trials: readonly Observation[], path: string): unknown[] {
  return trials.filter((o) => Object.prototype.hasOwnProperty.call(o.params, path)).map((o) => o.params[path]);
}

/** One value of `param` by TPE from the good and bad trials. */
function sampleParameter(param: Parameter, good: readonly Observation[], bad: readonly Observation[], candidates: number, u: () => number): unknown {
  const space = param.space;
  if (space.kind === 'choice' || space.kind === 'grid') {
    const fit = (trials: readonly Observation[]) => {
      const idx = observed(trials, param.path)
        .map((v) => space.values.findIndex((c) => jsonEqual(c, v)))
        .filter((i) => i >= 0);
      return fitCategorical(space.values.length, idx, observationWeights(idx.length));
    };
    const l = fit(good);
    const g = fit(bad);
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < candidates; i++) {
      const c = sampleCategorical(l, u);
      const s = Math.log(l[c]!) - Math.log(g[c]!);
      if (best < 0 || s > bestScore) [best, bestScore] = [c, s];
    }
    return structuredClone(space.values[best]);
  }
  const line = numericLine(space)!;
  const fit = (trials: readonly Observation[]) => {
    const xs = observed(trials, param.path)
      .filter((v): v is number => typeof v === 'number')
      .map((v) => line.toLine(v))
      .filter((x) => Number.isFinite(x)) // a value a log line cannot hold (≤ 0) is passed over
      .map((x) => Math.min(line.high, Math.max(line.low, x)));
    return fitNumeric(line.low, line.high, xs, observationWeights(xs.length));
  };
  const l = fit(good);
  const g = fit(bad);
  let best = NaN;
  let bestScore = -Infinity;
  for (let i = 0; i < candidates; i++) {
    const value = line.toValue(sampleNumeric(l, u));
    const at = line.toLine(value);
    const bin = line.bin?.(value);
    const s = numericLogDensity(l, at, bin) - numericLogDensity(g, at, bin);
    if (Number.isNaN(best) || s > bestScore) [best, bestScore] = [value, s];
  }
  return best;
}

export function tpeSampler(params: readonly Parameter[], seed: number, options: TpeOptions = {}): Sampler {
  checkParameters(params);
  const startup = options.startup ?? 10;
  const candidates = options.candidates ?? 24;
  const gamma = options.gamma ?? 0.25;
  if (!Number.isInteger(startup) || startup < 0) throw new Error(`tpe: startup must be a whole number ≥ 0 (got ${startup})`);
  if (!Number.isInteger(candidates) || candidates < 1) throw new Error(`tpe: candidates must be a whole number ≥ 1 (got ${candidates})`);
  if (!(gamma > 0 && gamma <= 1)) throw new Error(`tpe: gamma must be in (0, 1] (got ${gamma})`);
  let calls = 0;
  return {
    next(history) {
      const rng = new Rng(mixSeed(seed, calls++));
      const u = () => rng.next();
      if (history.length < Math.max(1, startup)) return randomAssignment(params, u);
      const { good, bad } = splitHistory(history, gamma);
      return assignInOrder(params, (p) => sampleParameter(p, good, bad, candidates, u));
    },
  };
}
