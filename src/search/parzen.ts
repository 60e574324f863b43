/**
 * The Parzen estimators of the TPE sampler, one per parameter, as Optuna's
 * TPESampler builds them by default: on a numeric line, a Gaussian kernel at
 * each observation plus a prior kernel (the interval's middle, its width as
 * sigma), each kernel truncated to the interval, the observations' sigmas the
 * larger gap to a neighbour (the prior's middle counted among them), clipped
 * to [width / min(100, kernels + 1), width] ("magic clip"); over a list of
 * values, each observation a kernel that puts weight 1 on its value and the
 * prior weight spread over all, mixed with a uniform prior kernel. Older
 * observations weigh less past 25 (Optuna's default_weights).
 */
import { normalLogMass, normalLogPdf, truncatedNormal } from './normal.js';

/** The weight of the prior kernel, against 1 for an observation. */
export const PRIOR_WEIGHT = 1;

/** Weights of n observations in trial order: 1 each, and past the newest 25 a ramp from 1/n up (Optuna's default_weights). */
export function observationWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

/** A mixture of normals truncated to [low, high]. */
export interface NumericEstimator {
  low: number;
  high: number;
  weights: number[];
  mus: number[];
  sigmas: number[];
  /** Each kernel's mass inside [low, high], logged. */
  logMass: number[];
}

/** Fit on points `xs` of the line [low, high] with weights `ws`. */
export function fitNumeric(low: number, high: number, xs: readonly number[], ws: readonly number[]): NumericEstimator {
  const width = high - low;
  const prior = 0.5 * (low + high);
  const n = xs.length;
  const sigmas = new Array<number>(n);
  if (n > 0) {
    const all = [...xs, prior];
    const order = all.map((_, i) => i).sort((a, b) => all[a]! - all[b]! || a - b);
    const ends = [low, ...order.map((i) => all[i]!), high];
    const k = order.length;
    for (let j = 0; j < k; j++) {
      let s = Math.max(ends[j + 1]! - ends[j]!, ends[j + 2]! - ends[j + 1]!);
      // The outermost kernels look only inward, not at the interval's ends.
      if (j === 0) s = ends[2]! - ends[1]!;
      if (j === k - 1) s = ends[k]! - ends[k - 1]!;
      if (order[j]! < n) sigmas[order[j]!] = s;
    }
    const minSigma = width / Math.min(100, n + 2);
    for (let i = 0; i < n; i++) sigmas[i] = Math.min(width, Math.max(minSigma, sigmas[i]!));
  }
  const mus = [...xs, prior];
  const allSigmas = [...sigmas, width];
  const raw = [...ws, PRIOR_WEIGHT];
  const total = raw.reduce((a, b) => a + b, 0);
  return {
    low,
    high,
    weights: raw.map((w) => w / total),
    mus,
    sigmas: allSigmas,
    logMass: mus.map((mu, i) => normalLogMass(low, high, mu, allSigmas[i]!)),
  };
}

/** Index drawn with probability proportional to `weights` (which sum to 1). */
function pick(weights: readonly number[], u: () => number): number {
  let r = u();
  for (let i = 0; i < weights.length - 1; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

export function sampleNumeric(e: NumericEstimator, u: () => number): number {
  const k = pick(e.weights, u);
  return truncatedNormal(e.mus[k]!, e.sigmas[k]!, e.low, e.high, u);
}

function logSumExp(terms: readonly number[]): number {
  const m = Math.max(...terms);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
}

/** The log density at x, or with `bin` the log mass of the stretch [bin[0], bin[1]] (an int value). */
export function numericLogDensity(e: NumericEstimator, x: number, bin?: readonly [number, number]): number {
  return logSumExp(
    e.mus.map((mu, k) => {
      const sigma = e.sigmas[k]!;
      const own = bin === undefined ? normalLogPdf(x, mu, sigma) : normalLogMass(bin[0], bin[1], mu, sigma);
      return Math.log(e.weights[k]!) + own - e.logMass[k]!;
    }),
  );
}

/** Probabilities of `count` values fitted on observed value indices `idx` with weights `ws`. */
export function fitCategorical(count: number, idx: readonly number[], ws: readonly number[]): number[] {
  const total = ws.reduce((a, b) => a + b, 0) + PRIOR_WEIGHT;
  const kernels = idx.length + 1;
  const spread = PRIOR_WEIGHT / kernels;
  const kernelTotal = 1 + count * spread;
  const p = new Array<number>(count).fill(PRIOR_WEIGHT / total / count);
  idx.forEach((c, i) => {
    const w = ws[i]! / total / kernelTotal;
    for (let j = 0; j < count; j++) p[j] += w * spread;
    p[c] += w;
  });
  return p;
}

export function sampleCategorical(p: readonly number[], u: () => number): number {
  return pick(p, u);
}
