/**
 * Optimizers, with Keras's defaults (but AdamW's weight decay: PyTorch's 0.01,
 * which strata has always used, where Keras has 0.004), and the two things
 * TensorFlow.js lacks: setting the learning rate per step for every kind
 * (schedules), and AdamW's decoupled weight decay (`w ← w − lr·decay·w` before
 * each update, after the gradient is taken, as PyTorch does).
 */
import type { Optimizer, Variable } from '@tensorflow/tfjs-core';
import { bool, num } from '../document/json-schema.js';
import type { Param } from '../document/json-schema.js';
import type { TfCore } from '../tf-types.js';
import { defineOptimizer } from './entry.js';
import type { OptimizerDef, Settings } from './entry.js';
import { fusedAdam } from './fused-adam.js';

const learningRate = (def: number): Param => num('The step size (a schedule scales it).', { exclusiveMin: 0, default: def });
const epsilon = num('A small constant added to the denominator, for numerical stability.', { exclusiveMin: 0, default: 1e-7 });
const adamKeys = {
  learning_rate: learningRate(0.001),
  beta_1: num('The decay of the first moment (the running mean of the gradients).', { min: 0, exclusiveMax: 1, default: 0.9 }),
  beta_2: num('The decay of the second moment (the running mean of the squared gradients).', { min: 0, exclusiveMax: 1, default: 0.999 }),
  epsilon,
};
const adam = (s: Settings, tf: TfCore) => fusedAdam(tf, s.learning_rate as number, s.beta_1 as number, s.beta_2 as number, s.epsilon as number);

export const optimizerEntries = [
  defineOptimizer({
    name: 'sgd',
    keras: 'SGD',
    description: 'Stochastic gradient descent, with optional (Nesterov) momentum.',
    params: {
      learning_rate: learningRate(0.01),
      momentum: num('The momentum; 0 is plain gradient descent.', { min: 0, exclusiveMax: 1, default: 0 }),
      nesterov: bool('Use Nesterov momentum.', false),
    },
    make: (tf, s) => ((s.momentum as number) > 0 ? tf.train.momentum(s.learning_rate as number, s.momentum as number, s.nesterov as boolean) : tf.train.sgd(s.learning_rate as number)),
  }),
  defineOptimizer({
    name: 'adam',
    keras: 'Adam',
    description: 'Adam: steps scaled by running estimates of the gradients’ first and second moments.',
    params: adamKeys,
    make: (tf, s) => adam(s, tf),
  }),
  defineOptimizer({
    name: 'adamw',
    keras: 'AdamW',
    description: 'Adam with decoupled weight decay: before each step every weight shrinks by learning_rate × weight_decay of itself.',
    params: { ...adamKeys, weight_decay: num('The decoupled weight decay (PyTorch’s default; Keras’s is 0.004).', { min: 0, default: 0.01 }) },
    make: (tf, s) => adam(s, tf),
    weightDecay: (s) => s.weight_decay as number,
  }),
  defineOptimizer({
    name: 'rmsprop',
    keras: 'RMSprop',
    description: 'RMSprop: steps divided by a running root mean square of the gradients.',
    params: {
      learning_rate: learningRate(0.001),
      rho: num('The decay of the running average of squared gradients.', { min: 0, exclusiveMax: 1, default: 0.9 }),
      momentum: num('The momentum.', { min: 0, exclusiveMax: 1, default: 0 }),
      epsilon,
    },
    make: (tf, s) => tf.train.rmsprop(s.learning_rate as number, s.rho as number, s.momentum as number, s.epsilon as number),
  }),
  defineOptimizer({
    name: 'adagrad',
    keras: 'Adagrad',
    description: 'Adagrad: per-weight steps scaled down by the sum of that weight’s squared gradients so far.',
    params: {
      learning_rate: learningRate(0.001),
      initial_accumulator_value: num('The starting value of the sums of squared gradients.', { exclusiveMin: 0, default: 0.1 }),
    },
    make: (tf, s) => tf.train.adagrad(s.learning_rate as number, s.initial_accumulator_value as number),
  }),
];

/** An optimizer as the training loop drives it. */
export interface StrataOptimizer {
  optimizer: Optimizer;
  baseLearningRate: number;
  setLearningRate(lr: number): void;
  /** Decoupled weight decay before the gradient step (AdamW); a no-op otherwise. */
  decay(vars: readonly Variable[], lr: number): void;
}

/** The optimizer an entry makes with its settings (the spec's keys over the entry's defaults: `settingsOf`). */
export function makeOptimizer(tf: TfCore, chosen: { def: OptimizerDef; settings: Settings }): StrataOptimizer {
  const { def, settings: s } = chosen;
  const optimizer = def.make(tf, s);
  const weightDecay = def.weightDecay?.(s) ?? 0;
  const o = optimizer as Optimizer & { learningRate: number; setLearningRate?: (lr: number) => void };
  return {
    optimizer,
    baseLearningRate: s.learning_rate as number,
    setLearningRate(rate: number) {
      if (typeof o.setLearningRate === 'function') o.setLearningRate(rate);
      else o.learningRate = rate;
    },
    decay(vars, rate) {
      if (weightDecay === 0) return;
      const factor = 1 - rate * weightDecay;
      tf.tidy(() => {
        for (const v of vars) v.assign(tf.mul(v, factor));
      });
    },
  };
}
