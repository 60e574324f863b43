/**
 * Optimizers by spec name, with Keras's defaults, and the two things
 * TensorFlow.js lacks: setting the learning rate per step for every kind, and
 * AdamW's decoupled weight decay (applied as `w ← w − lr·decay·w` before each
 * step, as PyTorch does).
 */
import type { Optimizer, Variable } from '@tensorflow/tfjs-core';
import type { TfCore } from '../backend/select.js';
import { fusedAdam } from './fused-adam.js';

export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

export interface OptimizerSpec {
  type: OptimizerName;
  learning_rate?: number;
  momentum?: number;
  nesterov?: boolean;
  beta_1?: number;
  beta_2?: number;
  epsilon?: number;
  rho?: number;
  weight_decay?: number;
}

export const DEFAULT_LEARNING_RATE: Record<OptimizerName, number> = { sgd: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001, adagrad: 0.001 };

export interface StrataOptimizer {
  optimizer: Optimizer;
  baseLearningRate: number;
  setLearningRate(lr: number): void;
  /** Decoupled weight decay before the gradient step (AdamW); a no-op otherwise. */
  decay(vars: readonly Variable[], lr: number): void;
}

export function makeOptimizer(tf: TfCore, spec: OptimizerSpec | OptimizerName): StrataOptimizer {
  const s: OptimizerSpec = typeof spec === 'string' ? { type: spec } : spec;
  const lr = s.learning_rate ?? DEFAULT_LEARNING_RATE[s.type];
  let optimizer: Optimizer;
  switch (s.type) {
    case 'sgd':
      optimizer = s.momentum ? tf.train.momentum(lr, s.momentum, s.nesterov ?? false) : tf.train.sgd(lr);
      break;
    case 'adam':
    case 'adamw':
      optimizer = fusedAdam(tf, lr, s.beta_1 ?? 0.9, s.beta_2 ?? 0.999, s.epsilon ?? 1e-7);
      break;
    case 'rmsprop':
      optimizer = tf.train.rmsprop(lr, s.rho ?? 0.9, s.momentum ?? 0, s.epsilon ?? 1e-7);
      break;
    case 'adagrad':
      optimizer = tf.train.adagrad(lr, 0.1);
      break;
  }
  const weightDecay = s.type === 'adamw' ? (s.weight_decay ?? 0.01) : 0;
  const o = optimizer as Optimizer & { learningRate: number; setLearningRate?: (lr: number) => void };
  return {
    optimizer,
    baseLearningRate: lr,
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
