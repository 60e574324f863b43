/**
 * TensorFlow.js's Adam with each variable's step taken by one kernel where the
 * backend has strata's (wasm: src/backend/wasm-kernels/adam.ts) instead of 14
 * element-wise ones. Its state (the moments and β powers, their names and
 * order) is TensorFlow.js's own, so checkpoints are the same either way, and
 * on other backends it is TensorFlow.js's Adam.
 */
import type { NamedTensorMap, Optimizer, Tensor, Variable } from '@tensorflow/tfjs-core';
import { ADAM_KERNEL } from '../backend/wasm-kernels/adam.js';
import type { TfCore } from '../tf-types.js';

/** The AdamOptimizer fields TensorFlow.js declares private. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: Variable;
  accBeta2: Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: Variable } | undefined)[];
  incrementIterations(): void;
}

export function fusedAdam(tf: TfCore, learningRate: number, beta1: number, beta2: number, epsilon: number): Optimizer {
  class FusedAdam extends tf.AdamOptimizer {
    override applyGradients(variableGradients: Parameters<InstanceType<TfCore['AdamOptimizer']>['applyGradients']>[0]): void {
      if (tf.getKernel(ADAM_KERNEL, tf.getBackend()) === undefined) return super.applyGradients(variableGradients);
      const s = this as unknown as AdamState;
      const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
      const moment = (list: AdamState['accumulatedFirstMoment'], i: number, name: string, suffix: string, value: Variable) => {
        list[i] ??= { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        return list[i]!.variable;
      };
      tf.tidy(() => {
        names.forEach((name, i) => {
          const value = tf.engine().registeredVariables[name]!;
          const m = moment(s.accumulatedFirstMoment, i, name, 'm', value);
          const v = moment(s.accumulatedSecondMoment, i, name, 'v', value);
          const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : (variableGradients as NamedTensorMap)[name];
          if (gradient == null) return;
          const attrs = { learningRate: s.learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon };
          const [w2, m2, v2] = tf.engine().runKernel(ADAM_KERNEL, { value, gradient, m, v, accBeta1: s.accBeta1, accBeta2: s.accBeta2 }, attrs) as Tensor[];
          m.assign(m2!);
          v.assign(v2!);
          value.assign(w2!);
        });
        s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
        s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
      });
      s.incrementIterations();
    }
  }
  return new FusedAdam(learningRate, beta1, beta2, epsilon);
}
