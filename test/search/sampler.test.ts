/**
 * The samplers of `strata search`: TPE finds better values than random search
 * on a synthetic objective of four mixed parameters (and two broken TPEs do
 * not, which shows the comparison can fail); its Parzen estimators are
 * distributions with Optuna's bandwidths and weights; the grid holds every combination
 * once, conditions included, and refuses what it cannot enumerate; random and
 * TPE repeat themselves for a seed and stay in their spaces; conditional
 * parameters appear exactly when their condition holds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activeParameters, gridSampler, randomSampler, sampleOne, tpeSampler } from '../../src/search/index.js';
import type { Assignment, Observation, Parameter, Sampler } from '../../src/search/index.js';
import { fitCategorical, fitNumeric, numericLogDensity, observationWeights } from '../../src/search/parzen.js';
import { canonicalJson, checkParameters, numericLine } from '../../src/search/space.js';
import { Rng } from '../../src/rng.js';

/** Draw `n` trials from `sampler`, scoring each with `objective`; the history it saw. */
function runSearch(sampler: Sampler, n: number, objective: (a: Assignment) => number): Observation[] {
  const history: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.next(history);
    assert.ok(params !== undefined, 'the sampler ran out');
    history.push({ params, value: objective(params) });
  }
  return history;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

describe('TPE against random search', () => {
  // A training run's shape in miniature: a learning rate best at 0.02 (log10 −1.7, not the middle of
  // its log range, −3), dropout best at 0.2 (not 0.45), 4 layers out of 1..12 (not 6.5), one activation
  // best, and the learning rate's best depending a little on the depth. None of the optima sits where
  // TPE's prior kernel is centred.
  const PARAMS: Parameter[] = [
    { path: 'lr', space: { kind: 'loguniform', low: 1e-6, high: 1 } },
    { path: 'dropout', space: { kind: 'uniform', low: 0, high: 0.9 } },
    { path: 'layers', space: { kind: 'int', low: 1, high: 12 } },
    { path: 'activation', space: { kind: 'choice', values: ['relu', 'tanh', 'sigmoid', 'gelu', 'linear'] } },
  ];
  const ACTIVATION: Record<string, number> = { gelu: 0, relu: 0.15, tanh: 0.4, sigmoid: 0.8, linear: 1.2 };
  const objective = (a: Assignment) => {
    const lr = Math.log10(a.lr as number) + 1.7;
    const dropout = (a.dropout as number) - 0.2;
    const layers = ((a.layers as number) - 4) / 4;
    return 0.5 * lr * lr + 4 * dropout * dropout + layers * layers + 0.3 * lr * layers + ACTIVATION[a.activation as string]!;
  };
  const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
  const TRIALS = 30;
  /** The median over the seeds of the best value after TRIALS trials; `flip` hands the sampler the objective negated. */
  const medianBest = (make: (seed: number) => Sampler, flip = false) =>
    median(
      SEEDS.map((seed) => {
        const history = runSearch(make(seed), TRIALS, (a) => (flip ? -objective(a) : objective(a)));
        return Math.min(...history.map((o) => (flip ? -o.value : o.value)));
      }),
    );

  const random = medianBest((seed) => randomSampler(PARAMS, seed));

  test('TPE: a better median best value after 30 trials than random over 20 seeds', (t) => {
    const tpe = medianBest((seed) => tpeSampler(PARAMS, seed));
    t.diagnostic(`median best after ${TRIALS} trials over ${SEEDS.length} seeds: tpe ${tpe.toFixed(4)}, random ${random.toFixed(4)} (optimum 0)`);
    assert.ok(tpe < random, `tpe ${tpe} is not below random ${random}`);
  });

  test('a TPE without a good/bad split (gamma 1), or chasing the worst trials, does not beat random', (t) => {
    const noSplit = medianBest((seed) => tpeSampler(PARAMS, seed, { gamma: 1 }));
    // Handed the objective negated, the good set is the worst trials: l and g swapped.
    const swapped = medianBest((seed) => tpeSampler(PARAMS, seed), true);
    t.diagnostic(`median best: gamma 1 ${noSplit.toFixed(4)}, l and g swapped ${swapped.toFixed(4)}, random ${random.toFixed(4)}`);
    assert.ok(noSplit >= random, `gamma 1 ${noSplit} beats random ${random}`);
    assert.ok(swapped >= random, `swapped ${swapped} beats random ${random}`);
  });
});

describe('Parzen estimators', () => {
  test('are distributions: a continuous one integrates to 1 on its interval, int masses and categorical probabilities sum to 1', () => {
    const e = fitNumeric(-3, 2, [0.1, 1.9, -2.9, 0.15], observationWeights(4));
    // Optuna's bandwidths: the larger gap to a neighbour (the prior's middle, −0.5, among them), the outermost looking
    // inward only, at least the width / (kernels + 1) = 5/6; the prior kernel the whole width.
    assert.deepEqual(e.sigmas, [5 / 6, 1.75, 2.4, 1.75, 5]);
    const N = 20000;
    let integral = 0;
    for (let i = 0; i < N; i++) integral += (Math.exp(numericLogDensity(e, -3 + ((i + 0.5) * 5) / N)) * 5) / N;
    assert.ok(Math.abs(integral - 1) < 1e-4, `integral ${integral}`);

    const line = numericLine({ kind: 'int', low: 3, high: 512, step: 3, log: true })!;
    const ints = fitNumeric(line.low, line.high, [9, 300, 3].map(line.toLine), observationWeights(3));
    let mass = 0;
    for (let v = 3; v <= 510; v += 3) mass += Math.exp(numericLogDensity(ints, line.toLine(v), line.bin!(v)));
    assert.ok(Math.abs(mass - 1) < 1e-9, `int mass ${mass}`);

    const p = fitCategorical(4, [0, 0, 2], [1, 1, 1]);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(p[0]! > p[2]! && p[2]! > p[1]! && p[1] === p[3]);
  });

  test('older observations weigh less past 25 (Optuna\'s default_weights)', () => {
    assert.deepEqual(observationWeights(3), [1, 1, 1]);
    const w = observationWeights(27);
    assert.deepEqual(w.slice(0, 2), [1 / 27, 1]);
    assert.deepEqual(w.slice(2), new Array(25).fill(1));
  });
});

describe('grid', () => {
  const drain = (sampler: Sampler) => {
    const out: Assignment[] = [];
    for (let a = sampler.next(out.map((params) => ({ params, value: 0 }))); a !== undefined; a = sampler.next([])) out.push(a);
    return out;
  };

  test('every combination exactly once, the first parameter varying slowest', () => {
    const params: Parameter[] = [
      { path: 'optimizer', space: { kind: 'grid', values: ['adam', 'sgd'] } },
      { path: 'units', space: { kind: 'int', low: 16, high: 64, step: 16 } },
      {
        path: 'layers',
        space: {
          kind: 'choice',
          values: [[{ type: 'dense', units: 8 }], [{ type: 'dense', units: 8 }, { type: 'dropout', rate: 0.1 }], { blocks: 2 }],
        },
      },
    ];
    const all = drain(gridSampler(params));
    assert.equal(all.length, 2 * 4 * 3);
    assert.equal(new Set(all.map(canonicalJson)).size, all.length);
    assert.deepEqual(all[0], { optimizer: 'adam', units: 16, layers: [{ type: 'dense', units: 8 }] });
    assert.deepEqual(all.slice(0, 12).map((a) => a.optimizer), new Array(12).fill('adam'));
    assert.deepEqual(all.slice(0, 3).map((a) => a.units), [16, 16, 16]);
  });

  test('a conditional parameter varies only where its condition holds', () => {
    const params: Parameter[] = [
      { path: 'optimizer', space: { kind: 'grid', values: ['adam', 'sgd', 'rmsprop'] } },
      { path: 'momentum', space: { kind: 'grid', values: [0, 0.9] }, when: { path: 'optimizer', is: ['sgd'] } },
      { path: 'nesterov', space: { kind: 'choice', values: [false, true] }, when: { path: 'momentum', is: [0.9] } },
      { path: 'beta_2', space: { kind: 'grid', values: [0.99, 0.999] }, when: { path: 'optimizer', is: ['adam', 'rmsprop'] } },
    ];
    const all = drain(gridSampler(params));
    // adam: 2 (beta_2); sgd: momentum 0 (1) + momentum 0.9 × nesterov (2); rmsprop: 2.
    assert.equal(all.length, 2 + 3 + 2);
    assert.equal(new Set(all.map(canonicalJson)).size, all.length);
    assert.ok(all.some((a) => a.optimizer === 'sgd' && a.momentum === 0 && !('nesterov' in a)));
    for (const a of all) {
      assert.equal('momentum' in a, a.optimizer === 'sgd', JSON.stringify(a));
      assert.equal('beta_2' in a, a.optimizer !== 'sgd', JSON.stringify(a));
      assert.equal('nesterov' in a, a.momentum === 0.9, JSON.stringify(a));
    }
  });

  test('combinations already in the history are passed over (a resumed search)', () => {
    const params: Parameter[] = [{ path: 'units', space: { kind: 'grid', values: [8, 16, 32] } }];
    const sampler = gridSampler(params);
    assert.deepEqual(sampler.next([{ params: { units: 8 }, value: 1 }]), { units: 16 });
    assert.deepEqual(sampler.next([]), { units: 32 });
    assert.equal(sampler.next([]), undefined);
  });

  test('refuses a continuous space and an int space of more than 1000 values, naming the parameter', () => {
    const grid: Parameter = { path: 'units', space: { kind: 'grid', values: [8, 16] } };
    assert.throws(() => gridSampler([grid, { path: 'train.lr', space: { kind: 'loguniform', low: 1e-4, high: 1e-1 } }]), /"train\.lr".*loguniform space is continuous/);
    assert.throws(() => gridSampler([{ path: 'dropout', space: { kind: 'uniform', low: 0, high: 0.5 } }]), /"dropout".*uniform space is continuous/);
    assert.throws(() => gridSampler([{ path: 'seq', space: { kind: 'int', low: 1, high: 1001 } }]), /"seq".*more than 1000 values/);
    assert.equal(drain(gridSampler([{ path: 'seq', space: { kind: 'int', low: 1, high: 2000, step: 2 } }])).length, 1000);
  });
});

describe('random and TPE: determinism and bounds', () => {
  const PARAMS: Parameter[] = [
    { path: 'lr', space: { kind: 'loguniform', low: 1e-5, high: 0.3 } },
    { path: 'momentum', space: { kind: 'uniform', low: 0.5, high: 0.99 } },
    { path: 'units', space: { kind: 'int', low: 8, high: 100, step: 4 } },
    { path: 'heads', space: { kind: 'int', low: 1, high: 64, log: true } },
    { path: 'batch', space: { kind: 'int', low: 3, high: 512, step: 3, log: true } },
    { path: 'act', space: { kind: 'choice', values: ['relu', { type: 'leaky_relu', alpha: 0.1 }] } },
  ];
  // Values that vary with every parameter, and a failed trial now and then.
  const objective = (a: Assignment) => {
    const units = a.units as number;
    if (units % 20 === 0) return NaN;
    return Math.abs(Math.log10(a.lr as number) + 3) + (a.momentum as number) + units / 100 + (a.heads as number) / 64 + (a.batch as number) / 512 + (a.act === 'relu' ? 0 : 0.2);
  };
  const samplers: [string, (seed: number) => Sampler][] = [
    ['random', (seed) => randomSampler(PARAMS, seed)],
    ['tpe', (seed) => tpeSampler(PARAMS, seed, { startup: 5 })],
  ];

  for (const [name, make] of samplers) {
    test(`${name}: the same seed gives the same trials, another seed others`, () => {
      const a = runSearch(make(7), 40, objective);
      const b = runSearch(make(7), 40, objective);
      const c = runSearch(make(8), 40, objective);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a.map((o) => o.params), c.map((o) => o.params));
    });

    test(`${name}: every value inside its space, ints on their step`, () => {
      for (const seed of [1, 2, 3]) {
        for (const { params } of runSearch(make(seed), 60, objective)) {
          const lr = params.lr as number;
          assert.ok(lr >= 1e-5 && lr <= 0.3, `lr ${lr}`);
          const momentum = params.momentum as number;
          assert.ok(momentum >= 0.5 && momentum <= 0.99, `momentum ${momentum}`);
          const units = params.units as number;
          assert.ok(Number.isInteger(units) && units >= 8 && units <= 100 && (units - 8) % 4 === 0, `units ${units}`);
          const heads = params.heads as number;
          assert.ok(Number.isInteger(heads) && heads >= 1 && heads <= 64, `heads ${heads}`);
          const batch = params.batch as number;
          assert.ok(Number.isInteger(batch) && batch >= 3 && batch <= 510 && batch % 3 === 0, `batch ${batch}`);
          assert.ok(['"relu"', '{"alpha":0.1,"type":"leaky_relu"}'].includes(canonicalJson(params.act)), `act ${JSON.stringify(params.act)}`);
        }
      }
    });
  }

  test('sampleOne reaches both ends of an int space, and spreads a log space evenly over its decades', () => {
    const rng = new Rng(3);
    const u = () => rng.next();
    const ints = Array.from({ length: 2000 }, () => sampleOne({ kind: 'int', low: 1, high: 5 }, u) as number);
    assert.deepEqual([...new Set(ints)].sort(), [1, 2, 3, 4, 5]);
    const logs = Array.from({ length: 2000 }, () => sampleOne({ kind: 'loguniform', low: 1e-4, high: 1 }, u) as number);
    const below = logs.filter((x) => x < 1e-2).length / logs.length;
    assert.ok(below > 0.4 && below < 0.6, `${below} of the draws below 1e-2`);
  });
});

describe('conditional parameters', () => {
  const PARAMS: Parameter[] = [
    { path: 'model.kind', space: { kind: 'choice', values: ['mlp', 'cnn'] } },
    { path: 'model.filters', space: { kind: 'int', low: 8, high: 64, log: true }, when: { path: 'model.kind', is: ['cnn'] } },
    { path: 'model.kernel', space: { kind: 'choice', values: [3, 5] }, when: { path: 'model.filters', is: [8, 9, 10, 11, 12, 13, 14, 15, 16] } },
    { path: 'model.units', space: { kind: 'uniform', low: 16, high: 256 }, when: { path: 'model.kind', is: ['mlp'] } },
  ];
  const objective = (a: Assignment) => (a['model.kind'] === 'cnn' ? (a['model.filters'] as number) / 64 : (a['model.units'] as number) / 256);

  for (const [name, make] of [
    ['random', (seed: number) => randomSampler(PARAMS, seed)],
    ['tpe', (seed: number) => tpeSampler(PARAMS, seed, { startup: 4 })],
  ] as const) {
    test(`${name}: present exactly when the condition holds, and both branches drawn`, () => {
      const trials = runSearch(make(11), 60, objective).map((o) => o.params);
      for (const a of trials) {
        const cnn = a['model.kind'] === 'cnn';
        assert.equal('model.filters' in a, cnn, JSON.stringify(a));
        assert.equal('model.units' in a, !cnn, JSON.stringify(a));
        assert.equal('model.kernel' in a, cnn && (a['model.filters'] as number) <= 16, JSON.stringify(a));
        assert.deepEqual(
          activeParameters(PARAMS, a).map((p) => p.path),
          Object.keys(a),
        );
      }
      assert.ok(trials.some((a) => a['model.kind'] === 'cnn') && trials.some((a) => a['model.kind'] === 'mlp'));
      assert.ok(trials.some((a) => 'model.kernel' in a));
    });
  }

  test('activeParameters compares values as JSON', () => {
    const params: Parameter[] = [
      { path: 'layers', space: { kind: 'choice', values: [[{ type: 'dense', units: 8 }], []] } },
      { path: 'rate', space: { kind: 'uniform', low: 0, high: 1 }, when: { path: 'layers', is: [[{ units: 8, type: 'dense' }]] } },
    ];
    assert.deepEqual(activeParameters(params, { layers: [{ type: 'dense', units: 8 }] }).map((p) => p.path), ['layers', 'rate']);
    assert.deepEqual(activeParameters(params, { layers: [] }).map((p) => p.path), ['layers']);
  });

  test('a condition on an unknown or later parameter, or a cycle, is refused', () => {
    const a: Parameter = { path: 'a', space: { kind: 'choice', values: [1, 2] } };
    assert.throws(() => randomSampler([a, { path: 'b', space: { kind: 'choice', values: [1] }, when: { path: 'nope', is: [1] } }], 1), /"b".*"nope", which is not a search parameter/);
    assert.throws(() => tpeSampler([{ path: 'b', space: { kind: 'choice', values: [1] }, when: { path: 'a', is: [1] } }, a], 1), /"b".*"a", which is listed after it; list "a" first/);
    assert.throws(
      () =>
        checkParameters([
          { path: 'x', space: { kind: 'choice', values: [1] }, when: { path: 'y', is: [1] } },
          { path: 'y', space: { kind: 'choice', values: [1] }, when: { path: 'x', is: [1] } },
        ]),
      /"x": the conditions form a cycle: x → y → x/,
    );
    assert.throws(() => checkParameters([{ path: 's', space: { kind: 'choice', values: [1] }, when: { path: 's', is: [1] } }]), /cycle: s → s/);
    assert.throws(() => gridSampler([a, a]), /"a": is listed twice/);
    assert.throws(() => randomSampler([{ path: 'lr', space: { kind: 'loguniform', low: 0, high: 1 } }], 1), /"lr": loguniform needs low > 0/);
  });
});
