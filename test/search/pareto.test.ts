/**
 * Several objectives: dominance, the Pareto front, non-domination ranks and
 * crowding distance on hand-checked points; and TPE handed a vector of losses
 * (as Optuna's MOTPE) reaches a larger hypervolume than random search on a
 * two-objective problem (ZDT1) over 20 seeds, and than TPE on the objectives'
 * sum, while the same TPE chasing the dominated trials does not, which shows
 * the comparison can fail.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomSampler, tpeSampler } from '../../src/search/index.js';
import type { Observation, Parameter, Sampler } from '../../src/search/index.js';
import { bestByRank, crowdingDistances, dominates, nondominationRanks, paretoFront } from '../../src/search/pareto.js';
import { frontOf, lossVector } from '../../src/search/objectives.js';

describe('dominance and the front', () => {
  test('dominates: no worse everywhere and better somewhere; a non-finite value is the worst', () => {
    assert.equal(dominates([1, 2], [2, 2]), true);
    assert.equal(dominates([1, 2], [1, 2]), false);
    assert.equal(dominates([1, 3], [2, 2]), false);
    assert.equal(dominates([5, 5], [1, Number.NaN]), false);
    assert.equal(dominates([5, 5], [5, Number.NaN]), true);
  });

  // (1,5) (2,3) (4,1) are the front; (3,4) is dominated by (2,3); (5,5) by everything but itself; (2,3) twice.
  const points = [[1, 5], [3, 4], [2, 3], [5, 5], [4, 1], [2, 3]];
  test('the front, ranks, crowding distances', () => {
    assert.deepEqual(paretoFront(points), [0, 2, 4, 5]);
    assert.deepEqual(nondominationRanks(points), [0, 1, 0, 2, 0, 0]);
    const d = crowdingDistances(points, [0, 2, 4, 5]);
    assert.equal(d.get(0), Infinity);
    assert.equal(d.get(4), Infinity);
    // The twins (2,3) sit between (1,5) and (4,1) in both coordinates, each with the other as one
    // neighbour: the first in order gets (2-1)/3 + (3-1)/4, the second (4-2)/3 + (5-3)/4.
    assert.ok(Math.abs(d.get(2)! - (1 / 3 + 2 / 4)) < 1e-12, String(d.get(2)));
    assert.ok(Math.abs(d.get(5)! - (2 / 3 + 2 / 4)) < 1e-12, String(d.get(5)));
  });

  test('bestByRank takes whole ranks, and cuts the last one by crowding distance', () => {
    assert.deepEqual(bestByRank(points, 4), [0, 2, 4, 5]);
    assert.deepEqual(bestByRank(points, 5), [0, 1, 2, 4, 5]);
    // Two of the front's four: its two ends (infinite distance).
    assert.deepEqual(bestByRank(points, 2), [0, 4]);
  });

  test('frontOf: trials by their objectives, goals respected, trials without every value left out', () => {
    const objectives = [{ metric: 'val_accuracy', goal: 'maximize' as const }, { metric: 'params', goal: 'minimize' as const }];
    const trials = [
      { trial: 1, values: { val_accuracy: 0.9, params: 100 } },
      { trial: 2, values: { val_accuracy: 0.95, params: 200 } },
      { trial: 3, values: { val_accuracy: 0.94, params: 300 } }, // dominated by 2
      { trial: 4, values: { val_accuracy: 0.99, params: Number.NaN } }, // no parameter count
      { trial: 5 },
    ];
    assert.deepEqual(frontOf(trials, objectives).map((t) => t.trial), [1, 2]);
    assert.deepEqual(lossVector(trials[1]!, objectives), [-0.95, 200]);
    assert.deepEqual(lossVector(trials[4]!, objectives), [Infinity, Infinity]);
  });
});

describe('TPE with two objectives against random search', () => {
  // ZDT1 on four parameters: f1 = x0, f2 = g·(1 − √(f1/g)) with g = 1 + 9·mean(x1..x3); the true
  // front is g = 1 (x1..x3 = 0), which random draws rarely come near.
  const PARAMS: Parameter[] = ['x0', 'x1', 'x2', 'x3'].map((path) => ({ path, space: { kind: 'uniform', low: 0, high: 1 } }));
  const zdt1 = (a: Record<string, unknown>): number[] => {
    const f1 = a.x0 as number;
    const g = 1 + (9 * ((a.x1 as number) + (a.x2 as number) + (a.x3 as number))) / 3;
    return [f1, g * (1 - Math.sqrt(f1 / g))];
  };
  /** The area dominated by the points' front and bounded by the reference point (1.1, 11). */
  const hypervolume = (pts: number[][]) => {
    const front = paretoFront(pts).map((i) => pts[i]!).sort((a, b) => a[0]! - b[0]!);
    let area = 0;
    let top = 11;
    for (const [x, y] of front) {
      if (x! >= 1.1 || y! >= top) continue;
      area += (1.1 - x!) * (top - y!);
      top = y!;
    }
    return area;
  };
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
  };
  /** The median hypervolume after 30 trials over 20 seeds; `flip` hands the sampler the losses negated, `sum` their sum alone. */
  const medianVolume = (make: (seed: number) => Sampler, flip = false, sum = false) =>
    median(
      Array.from({ length: 20 }, (_, s) => {
        const sampler = make(s + 1);
        const history: Observation[] = [];
        const seen: number[][] = [];
        for (let i = 0; i < 30; i++) {
          const params = sampler.next(history)!;
          const f = zdt1(params);
          seen.push(f);
          const losses = flip ? f.map((v) => -v) : f;
          history.push(sum ? { params, value: f[0]! + f[1]! } : { params, value: losses[0]!, losses });
        }
        return hypervolume(seen);
      }),
    );
  const random = medianVolume((seed) => randomSampler(PARAMS, seed));

  test('a larger median hypervolume than random and than TPE on the summed objectives, and not when it chases the dominated trials', (t) => {
    const tpe = medianVolume((seed) => tpeSampler(PARAMS, seed));
    const summed = medianVolume((seed) => tpeSampler(PARAMS, seed), false, true);
    const swapped = medianVolume((seed) => tpeSampler(PARAMS, seed), true);
    t.diagnostic(`median hypervolume after 30 trials over 20 seeds: tpe ${tpe.toFixed(3)}, random ${random.toFixed(3)}, tpe on f1 + f2 ${summed.toFixed(3)}, tpe chasing the worst ${swapped.toFixed(3)}`);
    assert.ok(tpe > random, `tpe ${tpe} is not above random ${random}`);
    // KerasTuner sums several objectives (keras-tuner#556); ranking by dominance does better.
    assert.ok(tpe > summed, `tpe ${tpe} is not above tpe on the sum ${summed}`);
    assert.ok(swapped <= random, `the swapped tpe ${swapped} beats random ${random}`);
  });
});
