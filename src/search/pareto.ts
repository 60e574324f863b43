/**
 * Several objectives at once: which trials dominate which, the Pareto front
 * (the trials no other trial dominates), the non-domination ranks that split
 * a multi-objective history for TPE (as Optuna's MOTPE), and NSGA-II's
 * crowding distance, which breaks ties within a rank in favour of the trials
 * in sparse parts of the front. Every vector here is of losses: lower is
 * better in each coordinate (a metric to maximize is negated by the caller);
 * a coordinate that is not finite counts as the worst.
 */

const finite = (v: number) => (Number.isFinite(v) ? v : Infinity);

/** Whether `a` dominates `b`: no worse in every coordinate and better in one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let k = 0; k < a.length; k++) {
    const x = finite(a[k]!);
    const y = finite(b[k]!);
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/** The indices of the vectors no other vector dominates, in their order. */
export function paretoFront(points: readonly (readonly number[])[]): number[] {
  return points.map((_, i) => i).filter((i) => !points.some((q, j) => j !== i && dominates(q, points[i]!)));
}

/** Each vector's non-domination rank: 0 for the front, 1 for the front of the rest, and so on. */
export function nondominationRanks(points: readonly (readonly number[])[]): number[] {
  const ranks = new Array<number>(points.length).fill(-1);
  let left = points.map((_, i) => i);
  for (let rank = 0; left.length > 0; rank++) {
    const front = left.filter((i) => !left.some((j) => j !== i && dominates(points[j]!, points[i]!)));
    for (const i of front) ranks[i] = rank;
    const inFront = new Set(front);
    left = left.filter((i) => !inFront.has(i));
  }
  return ranks;
}

/**
 * NSGA-II's crowding distance of each of `members` (indices into `points`, one rank's vectors):
 * the sum over coordinates of the gap between its neighbours, normalized by the coordinate's
 * range; the two ends of each coordinate get Infinity.
 */
export function crowdingDistances(points: readonly (readonly number[])[], members: readonly number[]): Map<number, number> {
  const distance = new Map(members.map((i) => [i, 0]));
  const dims = members.length ? points[members[0]!]!.length : 0;
  for (let k = 0; k < dims; k++) {
    const sorted = [...members].sort((a, b) => finite(points[a]![k]!) - finite(points[b]![k]!) || a - b);
    const lo = finite(points[sorted[0]!]![k]!);
    const hi = finite(points[sorted[sorted.length - 1]!]![k]!);
    distance.set(sorted[0]!, Infinity);
    distance.set(sorted[sorted.length - 1]!, Infinity);
    const span = hi - lo;
    if (!(span > 0) || !Number.isFinite(span)) continue;
    for (let s = 1; s < sorted.length - 1; s++) {
      const gap = (finite(points[sorted[s + 1]!]![k]!) - finite(points[sorted[s - 1]!]![k]!)) / span;
      distance.set(sorted[s]!, distance.get(sorted[s]!)! + (Number.isFinite(gap) ? gap : 0));
    }
  }
  return distance;
}

/**
 * The `n` best of `points` by non-domination rank, the last rank that does not fit whole cut
 * by crowding distance (largest first; then by index): the "good" trials of a multi-objective TPE.
 */
export function bestByRank(points: readonly (readonly number[])[], n: number): number[] {
  const ranks = nondominationRanks(points);
  const chosen: number[] = [];
  for (let rank = 0; chosen.length < n; rank++) {
    const members = ranks.map((r, i) => (r === rank ? i : -1)).filter((i) => i >= 0);
    if (members.length === 0) break;
    if (chosen.length + members.length <= n) {
      chosen.push(...members);
      continue;
    }
    const d = crowdingDistances(points, members);
    members.sort((a, b) => d.get(b)! - d.get(a)! || a - b);
    chosen.push(...members.slice(0, n - chosen.length));
  }
  return chosen.sort((a, b) => a - b);
}
