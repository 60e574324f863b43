/**
 * Every optimizer entry against a hand-written float64 reference of the Keras
 * update rule of the class it names (`keras:`), with the entry's defaults and
 * with non-default settings, driven the way the training loop drives it
 * (`makeOptimizer`: the learning rate, decoupled weight decay, then
 * `applyGradients`); and a few steps of each on a tiny linear regression
 * lower its loss. A new optimizer fails here until REFERENCES has its rule.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { NamedTensorMap, Scalar, Variable } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { trainRegistry } from '../../src/train-registry/catalog.js';
import { settingsOf } from '../../src/train-registry/entry.js';
import type { OptimizerDef, Settings } from '../../src/train-registry/entry.js';
import { makeOptimizer } from '../../src/train-registry/optimizers.js';
import { assertClose, assertNoStaleReferences, referenceFor } from '../helpers/references.js';

const FILE = 'test/train-registry/optimizers.test.ts';

interface OptimizerReference {
  /** Settings other than the defaults that the rule must match as well (at least one, each changing something the defaults leave off). */
  nonDefault: Record<string, unknown>[];
  /** The weights after one step per gradient in `grads`, from `w`, in float64, element-wise. */
  run(s: Settings, w: number[], grads: number[][]): number[];
}

const num = (s: Settings, key: string) => s[key] as number;

/** Keras's Adam (keras.optimizers.Adam.update_step), with AdamW's decoupled decay first (keras.optimizers.AdamW, torch.optim.AdamW: w ← w − lr·λ·w, then the Adam step). */
function adamRule(s: Settings, w0: number[], grads: number[][], weightDecay: number): number[] {
  const [lr, b1, b2, eps] = [num(s, 'learning_rate'), num(s, 'beta_1'), num(s, 'beta_2'), num(s, 'epsilon')];
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  grads.forEach((g, step) => {
    const t = step + 1;
    // Keras: alpha = lr·√(1−β₂ᵗ)/(1−β₁ᵗ); w −= alpha·m/(√v + ε). Its ε is the paper's ε̂; PyTorch
    // and TensorFlow.js add ε to √v̂ instead. At ε = 1e-7 and gradients of 0.05 and more the two
    // differ by less than 1e-8 here, well inside the tolerance; at a large ε they would not.
    const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let i = 0; i < w.length; i++) {
      w[i] = w[i]! - lr * weightDecay * w[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      w[i] = w[i]! - (alpha * m[i]!) / (Math.sqrt(v[i]!) + eps);
    }
  });
  return w;
}

const REFERENCES: Record<string, OptimizerReference> = {
  // keras.optimizers.SGD: v ← μv − lr·g; w ← w + v, or with Nesterov w ← w + μv − lr·g (μ = 0: w ← w − lr·g).
  sgd: {
    nonDefault: [{ momentum: 0.9 }, { momentum: 0.9, nesterov: true }, { learning_rate: 0.1, momentum: 0.5, nesterov: true }],
    run(s, w0, grads) {
      const [lr, mu] = [num(s, 'learning_rate'), num(s, 'momentum')];
      const w = [...w0];
      const v = w.map(() => 0);
      for (const g of grads) {
        for (let i = 0; i < w.length; i++) {
          if (mu === 0) {
            w[i] = w[i]! - lr * g[i]!;
            continue;
          }
          v[i] = mu * v[i]! - lr * g[i]!;
          w[i] = w[i]! + (s.nesterov ? mu * v[i]! - lr * g[i]! : v[i]!);
        }
      }
      return w;
    },
  },
  adam: {
    nonDefault: [{ learning_rate: 0.01, beta_1: 0.8, beta_2: 0.99 }],
    run: (s, w0, grads) => adamRule(s, w0, grads, 0),
  },
  adamw: {
    nonDefault: [{ weight_decay: 0.2, learning_rate: 0.01 }, { weight_decay: 0 }],
    run: (s, w0, grads) => adamRule(s, w0, grads, num(s, 'weight_decay')),
  },
  // keras.optimizers.RMSprop (centered=False): a ← ρa + (1−ρ)g²; Δ = lr·g/√(a + ε); with momentum
  // μ: b ← μb + Δ, w ← w − b; else w ← w − Δ. (ε inside the root, as Keras has it; PyTorch adds it
  // to √a. The large ε below tells the two apart.)
  rmsprop: {
    nonDefault: [{ momentum: 0.9 }, { rho: 0.5, epsilon: 0.01, learning_rate: 0.01 }],
    run(s, w0, grads) {
      const [lr, rho, mu, eps] = [num(s, 'learning_rate'), num(s, 'rho'), num(s, 'momentum'), num(s, 'epsilon')];
      const w = [...w0];
      const a = w.map(() => 0);
      const b = w.map(() => 0);
      for (const g of grads) {
        for (let i = 0; i < w.length; i++) {
          a[i] = rho * a[i]! + (1 - rho) * g[i]! ** 2;
          const delta = (lr * g[i]!) / Math.sqrt(a[i]! + eps);
          if (mu > 0) {
            b[i] = mu * b[i]! + delta;
            w[i] = w[i]! - b[i]!;
          } else {
            w[i] = w[i]! - delta;
          }
        }
      }
      return w;
    },
  },
  // keras.optimizers.Adagrad: a starts at initial_accumulator_value; a ← a + g²; w ← w − lr·g/√(a + ε), ε = 1e-7.
  adagrad: {
    nonDefault: [{ initial_accumulator_value: 1, learning_rate: 0.1 }],
    run(s, w0, grads) {
      const lr = num(s, 'learning_rate');
      const w = [...w0];
      const a = w.map(() => num(s, 'initial_accumulator_value'));
      for (const g of grads) {
        for (let i = 0; i < w.length; i++) {
          a[i] = a[i]! + g[i]! ** 2;
          w[i] = w[i]! - (lr * g[i]!) / Math.sqrt(a[i]! + 1e-7);
        }
      }
      return w;
    },
  },
};

/** Two variables (a 2×3 kernel and a bias), so per-variable state is kept apart, and three steps of gradients (momenta, bias correction). */
const W0 = [
  [0.5, -0.25, 0.125, -1, 0.75, 0],
  [0.2, -0.3, 0.05],
];
const GRADS = [
  [
    [0.3, -0.2, 0.1, 0.5, -0.4, 0.05],
    [1, -0.5, 0.25],
  ],
  [
    [0.25, 0.1, -0.3, 0.4, -0.35, 0.08],
    [0.8, 0.2, -0.6],
  ],
  [
    [0.2, -0.15, 0.2, -0.1, 0.3, -0.06],
    [-0.5, 0.4, 0.1],
  ],
];
const SHAPES = [[2, 3], [3]];

/** The weights after driving the entry's optimizer as the training loop does: set the rate, decay, apply the gradients. */
function runEntry(engine: Engine, def: OptimizerDef, s: Settings, steps: number, rate?: number): number[][] {
  const { tf } = engine;
  const opt = makeOptimizer(tf, { def, settings: s });
  const vars = W0.map((w, i) => tf.variable(tf.tensor(w, SHAPES[i]!, 'float32')));
  try {
    const lr = rate ?? opt.baseLearningRate;
    opt.setLearningRate(lr);
    for (let step = 0; step < steps; step++) {
      opt.decay(vars, lr);
      const grads: NamedTensorMap = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(GRADS[step]![i]!, SHAPES[i]!, 'float32')]));
      opt.optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
    }
    return vars.map((v) => Array.from(v.dataSync()));
  } finally {
    tf.dispose(vars);
    opt.optimizer.dispose();
  }
}

function checkAgainstReference(engine: Engine, def: OptimizerDef, ref: OptimizerReference, given: Record<string, unknown>, steps: number, rate?: number): void {
  const s = settingsOf(def, given);
  const got = runEntry(engine, def, s, steps, rate);
  const refSettings = rate === undefined ? s : { ...s, learning_rate: rate };
  W0.forEach((w0, v) => {
    const expected = ref.run(refSettings, w0, GRADS.slice(0, steps).map((g) => g[v]!));
    const moved = Math.max(...expected.map((e, i) => Math.abs(e - w0[i]!)));
    assert.ok(moved > 1e-4, `the reference moves the weights (by ${moved}), so the comparison means something`);
    assertClose(got[v]!, expected, `${def.name} ${JSON.stringify(given)}, ${steps} step(s), variable ${v}`, { abs: 1e-6, rel: 1e-6 });
  });
}

describe('every optimizer entry', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  test('every reference case belongs to a registered optimizer', () => {
    assertNoStaleReferences(REFERENCES, 'optimizer', trainRegistry.optimizers.names(), FILE);
  });

  for (const def of trainRegistry.optimizers) {
    describe(`optimizer ${def.name}`, () => {
      test(`one step and three steps with the defaults match Keras ${def.keras}`, () => {
        const ref = referenceFor(REFERENCES, 'optimizer', def, FILE);
        checkAgainstReference(engine, def, ref, {}, 1);
        checkAgainstReference(engine, def, ref, {}, 3);
      });

      test('non-default settings match the same rule', () => {
        const ref = referenceFor(REFERENCES, 'optimizer', def, FILE);
        assert.ok(ref.nonDefault.length > 0, `the reference case of '${def.name}' in ${FILE} lists no non-default settings; add one`);
        for (const given of ref.nonDefault) {
          for (const key of Object.keys(given)) assert.ok(key in def.params, `non-default setting '${key}' is not a key of ${def.name}`);
          checkAgainstReference(engine, def, ref, given, 3);
        }
      });

      test('setLearningRate changes the rate of the next step (schedules rely on it)', () => {
        const ref = referenceFor(REFERENCES, 'optimizer', def, FILE);
        checkAgainstReference(engine, def, ref, {}, 1, (settingsOf(def, {}).learning_rate as number) * 3);
      });

      test('a few steps with the defaults lower the loss of a tiny linear regression', () => {
        const { tf } = engine;
        // y = x·[1, −2, 0.5] + 0.3 on 16 fixed points.
        const xs = Array.from({ length: 16 }, (_, i) => [Math.sin(i + 1), Math.cos(2 * i + 1), ((i % 5) - 2) / 2]);
        const ys = xs.map(([a, b, c]) => [a! - 2 * b! + 0.5 * c! + 0.3]);
        const x = tf.tensor2d(xs);
        const y = tf.tensor2d(ys);
        const w = tf.variable(tf.zeros([3, 1]));
        const bias = tf.variable(tf.zeros([1]));
        const opt = makeOptimizer(tf, { def, settings: settingsOf(def, {}) });
        const losses: number[] = [];
        try {
          for (let step = 0; step < 20; step++) {
            opt.decay([w, bias], opt.baseLearningRate);
            const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), bias), y))) as Scalar, [w, bias] as Variable[]);
            losses.push(value.dataSync()[0]!);
            opt.optimizer.applyGradients(grads);
            tf.dispose([value, ...Object.values(grads)]);
          }
          const last = tf.tidy(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), bias), y))).dataSync()[0]!);
          assert.ok(last < losses[0]! * 0.99, `${def.name}: loss ${losses[0]} → ${last} after 20 steps`);
          for (let i = 1; i < losses.length; i++) assert.ok(losses[i]! < losses[i - 1]!, `${def.name}: the loss rose at step ${i}: ${losses.join(', ')}`);
        } finally {
          tf.dispose([x, y, w, bias]);
          opt.optimizer.dispose();
        }
      });
    });
  }
});
