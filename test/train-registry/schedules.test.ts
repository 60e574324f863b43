/**
 * Every learning-rate schedule against a reference formula of the rate it
 * documents, at the first step, during a warmup, at its last step, in the
 * middle and at the last step of the run, with the defaults, with each kind of
 * warmup and with non-default settings; and reduce_on_plateau's state update
 * against Keras's ReduceLROnPlateau, epoch by epoch. A new schedule fails here
 * until REFERENCES has its formula.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trainRegistry } from '../../src/train-registry/catalog.js';
import { settingsOf } from '../../src/train-registry/entry.js';
import type { Direction, PlateauState, ScheduleContext, ScheduleDef, Settings } from '../../src/train-registry/entry.js';
import { assertClose, assertNoStaleReferences, referenceFor } from '../helpers/references.js';

const FILE = 'test/train-registry/schedules.test.ts';

/** 30 epochs of 10 steps at a base rate of 0.1: long enough for the step schedule's default step_size of 10 epochs to act twice. */
const CTX: ScheduleContext = { base: 0.1, stepsPerEpoch: 10, totalSteps: 300 };
const STEPS = [0, 1, 150, 299];

interface ScheduleReference {
  /** Settings other than the defaults (beyond warmup) to check as well; empty only for a schedule with no keys of its own. */
  nonDefault: Record<string, unknown>[];
  /** The rate at `step` without warmup, `warmup` being the number of warmup steps (a schedule that anneals after it starts then). */
  rate(s: Settings, step: number, c: ScheduleContext, warmup: number, plateau?: PlateauState): number;
}

const num = (s: Settings, key: string) => s[key] as number;
/** Half a cosine from `from` (t = 0) to `to` (t = 1). */
const cosine = (from: number, to: number, t: number) => to + ((from - to) * (1 + Math.cos(Math.PI * t))) / 2;

const REFERENCES: Record<string, ScheduleReference> = {
  constant: { nonDefault: [], rate: (_s, _step, c) => c.base },
  // torch.optim.lr_scheduler.StepLR, counted in (fractional) epochs: base·γ^⌊epoch / step_size⌋.
  step: {
    nonDefault: [{ step_size: 4, gamma: 0.5 }, { step_size: 2.5 }],
    rate: (s, step, c) => c.base * num(s, 'gamma') ** Math.floor(step / c.stepsPerEpoch / num(s, 'step_size')),
  },
  // keras.optimizers.schedules.ExponentialDecay(decay_steps = one epoch, staircase=False): base·γ^(step / steps per epoch).
  exponential: {
    nonDefault: [{ gamma: 0.5 }],
    rate: (s, step, c) => c.base * num(s, 'gamma') ** (step / c.stepsPerEpoch),
  },
  // torch.optim.lr_scheduler.CosineAnnealingLR over the steps after the warmup (T_max = total − warmup, eta_min = min_learning_rate).
  cosine: {
    nonDefault: [{ min_learning_rate: 0.01 }],
    rate: (s, step, c, warmup) => cosine(c.base, num(s, 'min_learning_rate'), Math.max(0, step - warmup) / (c.totalSteps - warmup)),
  },
  // As documented: a cosine rise from max/25 to max over the first pct_start of the steps, then a
  // cosine fall towards max/10⁴ over the rest. (PyTorch's OneCycleLR, with its default
  // div_factor=25 and final_div_factor=1e4, ends at max/25/1e4 = max/2.5e5 and reaches the peak
  // and the end one step earlier; strata's documented end is max/1e4.)
  one_cycle: {
    nonDefault: [{ max_learning_rate: 0.5, pct_start: 0.25 }],
    rate(s, step, c) {
      const max = (s.max_learning_rate as number | undefined) ?? 10 * c.base;
      const rise = Math.round(num(s, 'pct_start') * c.totalSteps);
      return step < rise ? cosine(max / 25, max, step / rise) : cosine(max, max / 1e4, (step - rise) / (c.totalSteps - rise));
    },
  },
  // keras.callbacks.ReduceLROnPlateau: the rate is base·(the factors applied so far), never below min_lr.
  reduce_on_plateau: {
    nonDefault: [{ min_learning_rate: 0.02 }],
    rate: (s, _step, c, _w, plateau) => Math.max(c.base * (plateau?.scale ?? 1), num(s, 'min_learning_rate')),
  },
};

/** The warmup steps settings ask for. */
function warmupOf(s: Settings, c: ScheduleContext): number {
  if (s.warmup_steps !== undefined) return s.warmup_steps as number;
  return Math.round(((s.warmup_epochs as number | undefined) ?? 0) * c.stepsPerEpoch);
}

/** The documented warmup: a linear rise from 0, reaching the schedule's own rate at the warmup's last step ((step+1)/warmup of it). */
function expectedRate(ref: ScheduleReference, s: Settings, step: number, plateau?: PlateauState): number {
  const warmup = warmupOf(s, CTX);
  const lr = ref.rate(s, step, CTX, warmup, plateau);
  return step < warmup ? (lr * (step + 1)) / warmup : lr;
}

function checkRates(def: ScheduleDef, ref: ScheduleReference, given: Record<string, unknown>, steps: number[], plateau?: PlateauState): void {
  const s = settingsOf(def, given);
  const got = steps.map((step) => def.rate(s, step, CTX, plateau));
  const expected = steps.map((step) => expectedRate(ref, s, step, plateau));
  assertClose(got, expected, `${def.name} ${JSON.stringify(given)}${plateau ? ` plateau ${JSON.stringify(plateau)}` : ''} at steps ${steps.join(', ')}`, { abs: 1e-12, rel: 1e-9 });
}

describe('every schedule entry', () => {
  test('every reference case belongs to a registered schedule', () => {
    assertNoStaleReferences(REFERENCES, 'schedule', trainRegistry.schedules.names(), FILE);
  });

  for (const def of trainRegistry.schedules) {
    const warms = 'warmup_steps' in def.params;
    describe(`schedule ${def.name}`, () => {
      test('the rate at the first, a middle and the last step, with the defaults', () => {
        const ref = referenceFor(REFERENCES, 'schedule', def, FILE);
        checkRates(def, ref, {}, STEPS);
        // The run's rates stay positive and finite, and never rise above the peak the schedule documents.
        const s = settingsOf(def, {});
        for (let step = 0; step < CTX.totalSteps; step++) {
          const r = def.rate(s, step, CTX);
          assert.ok(Number.isFinite(r) && r > 0, `${def.name}: rate ${r} at step ${step}`);
        }
      });

      test('non-default settings', () => {
        const ref = referenceFor(REFERENCES, 'schedule', def, FILE);
        const own = Object.keys(def.params).filter((k) => !k.startsWith('warmup_'));
        const settable = own.filter((k) => def.params[k]!.schema.type === 'number' || def.params[k]!.schema.type === 'integer');
        if (settable.length > 0) assert.ok(ref.nonDefault.length > 0, `the reference case of '${def.name}' in ${FILE} lists no non-default settings; add one`);
        for (const given of ref.nonDefault) {
          for (const key of Object.keys(given)) assert.ok(key in def.params, `non-default setting '${key}' is not a key of ${def.name}`);
          checkRates(def, ref, given, STEPS);
        }
      });

      if (warms) {
        test('linear warmup, in steps and in (fractional) epochs, then the schedule', () => {
          const ref = referenceFor(REFERENCES, 'schedule', def, FILE);
          checkRates(def, ref, { warmup_steps: 5 }, [0, 2, 4, 5, 150, 299]);
          checkRates(def, ref, { warmup_epochs: 1.5 }, [0, 7, 14, 15, 150, 299]);
          for (const given of ref.nonDefault) checkRates(def, ref, { ...given, warmup_steps: 20 }, [0, 10, 19, 20, 150, 299]);
          // The warmup ends on the schedule's own rate and starts well below it.
          const s = settingsOf(def, { warmup_steps: 5 });
          assert.ok(def.rate(s, 0, CTX) < def.rate(s, 4, CTX), 'the rate rises during the warmup');
          // warmup_steps wins over warmup_epochs, as documented ("instead of").
          checkRates(def, ref, { warmup_steps: 5, warmup_epochs: 3 }, [0, 4, 5, 29]);
        });
      } else {
        test('takes no warmup keys (it rises by itself)', () => {
          assert.ok(!('warmup_epochs' in def.params));
        });
      }

      if (def.plateauStep) {
        test('the rate follows the plateau state', () => {
          const ref = referenceFor(REFERENCES, 'schedule', def, FILE);
          for (const plateau of [{ scale: 1, best: null, wait: 0 }, { scale: 0.01, best: 0.5, wait: 2 }, { scale: 1e-6, best: 0.5, wait: 0 }]) {
            checkRates(def, ref, {}, STEPS, plateau);
            for (const given of ref.nonDefault) checkRates(def, ref, given, STEPS, plateau);
          }
        });
      }
    });
  }
});

/**
 * keras.callbacks.ReduceLROnPlateau.on_epoch_end (cooldown 0): an epoch improves when its value
 * beats the best by more than min_delta (below it for min, above for max); otherwise wait counts
 * up, and at patience the rate becomes max(rate·factor, min_lr) and wait restarts.
 */
function kerasReduceOnPlateau(s: Settings, base: number, values: number[], direction: Direction): number[] {
  const delta = num(s, 'min_delta');
  let best = direction === 'min' ? Infinity : -Infinity;
  let wait = 0;
  let lr = base;
  return values.map((v) => {
    if (direction === 'min' ? v < best - delta : v > best + delta) {
      best = v;
      wait = 0;
    } else {
      wait++;
      if (wait >= num(s, 'patience')) {
        if (lr > num(s, 'min_learning_rate')) lr = Math.max(lr * num(s, 'factor'), num(s, 'min_learning_rate'));
        wait = 0;
      }
    }
    return lr;
  });
}

describe('reduce_on_plateau', () => {
  const def = trainRegistry.schedules.must('reduce_on_plateau');

  /** The rate for the epoch after each value, as the loop applies it: the state after the epoch, then the rate at a step past the warmup. */
  function rates(given: Record<string, unknown>, values: number[], direction: Direction): number[] {
    const s = settingsOf(def, given);
    let state: PlateauState = { scale: 1, best: null, wait: 0 };
    return values.map((v) => {
      state = def.plateauStep!(s, state, v, direction);
      return def.rate(s, 100, CTX, state);
    });
  }

  function check(given: Record<string, unknown>, values: number[], direction: Direction, expected: number[]): void {
    const got = rates(given, values, direction);
    assertClose(got, expected, `${JSON.stringify(given)} ${direction} on ${values.join(', ')}`, { abs: 1e-12, rel: 1e-9 });
    assertClose(got, kerasReduceOnPlateau(settingsOf(def, given), CTX.base, values, direction), 'against Keras’s ReduceLROnPlateau', { abs: 1e-12, rel: 1e-9 });
  }

  test('the defaults are Keras’s (factor 0.1, patience 10, min_delta 1e-4, min_lr 0): a flat metric reduces the rate every 10 epochs', () => {
    const flat = new Array<number>(25).fill(0.7);
    check({}, flat, 'min', [...new Array<number>(10).fill(0.1), ...new Array<number>(10).fill(0.01), ...new Array<number>(5).fill(0.001)]);
  });

  test('reduces after patience epochs without an improvement of more than min_delta over the best, and not below min_learning_rate', () => {
    // A slow slide of 0.001 an epoch never beats the best by min_delta = 0.01.
    const values = [1.0, 0.995, 0.992, 0.95, 0.949, 0.948, 0.947, 0.946, 0.945, 0.944];
    check({ patience: 2, factor: 0.5, min_delta: 0.01, min_learning_rate: 0.02 }, values, 'min', [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]);
  });

  test('a change of exactly min_delta is not an improvement (Keras: current < best − min_delta)', () => {
    check({ patience: 1, min_delta: 0.25 }, [1, 0.75, 0.5], 'min', [0.1, 0.01, 0.01]);
    check({ patience: 1, min_delta: 0.25 }, [0.25, 0.5, 0.75], 'max', [0.1, 0.01, 0.01]);
  });

  test('an improvement resets the wait', () => {
    check({ patience: 3, min_delta: 0 }, [1, 1, 1, 0.9, 1, 1, 1, 1], 'min', [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01]);
  });

  test('direction max: a rise is an improvement, an equal value is not', () => {
    const values = [0.5, 0.6, 0.6, 0.59, 0.7, 0.7, 0.7];
    check({ patience: 2, min_delta: 0 }, values, 'max', [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]);
    // The same rising accuracy read as a loss (min) is a plateau from the second epoch on.
    check({ patience: 2, min_delta: 0 }, values, 'min', [0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001]);
  });

  test('min_delta applies in direction max too', () => {
    check({ patience: 1, min_delta: 0.05 }, [0.5, 0.54, 0.56, 0.6], 'max', [0.1, 0.01, 0.01, 0.001]);
  });
});
