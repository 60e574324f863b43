/**
 * TensorFlow.js's Adam with each variable's step taken by one kernel where the
 * backend has strata's (wasm: src/backend/wasm-kernels/adam.ts) instead of 14
 * element-wise ones. Its state (the moments and β powers, their names and
 * order) is TensorFlow.js's own, so checkpoints are the same either way, and
 * on other backends it is TensorFlow.js's Adam.
 *
 * One difference, for exact resumes: TensorFlow.js keeps β1ᵗ and β2ᵗ as running
 * float32 products (one multiplication by β per step), but its `setWeights`
 * recomputes them as `pow(β, t + 1)`, which differs from the product in the last
 * bits after a few steps (β2 = 0.999: from the second step on). A resumed run
 * then scaled every step slightly differently from an uninterrupted one, and
 * the weights drifted apart (2e-7 after one epoch of MNIST, 0.13 after four). Here
 * `setWeights` puts back the running products as the steps made them
 * (`betaPowerAfter`), and `betaPowers`/`setBetaPowers` read and write them, so
 * that a checkpoint can hold the values themselves (src/checkpoint/optimizer-state.ts).
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
  iterations: number;
}

/** strata's Adam optimizers (of any copy of TensorFlow.js), for `betaPowers` and `setBetaPowers`. */
const fusedAdams = new WeakSet<Optimizer>();

/**
 * β's running power after `steps` steps, as TensorFlow.js's Adam (and this one) holds it:
 * float32 β to start with (β¹ before any step), then one float32 product with β per step.
 * A float32 product is exact in a double before its one rounding, so Math.fround gives the
 * backend's own result on every backend.
 */
export function betaPowerAfter(beta: number, steps: number): number {
  const b = Math.fround(beta);
  let p = b;
  for (let i = 0; i < steps; i++) p = Math.fround(p * b);
  return p;
}

/** Adam's running β powers [β1ᵗ, β2ᵗ] as they are now, or undefined for an optimizer that is not strata's Adam. */
export function betaPowers(optimizer: Optimizer): [number, number] | undefined {
  if (!fusedAdams.has(optimizer)) return undefined;
  const s = optimizer as unknown as AdamState;
  return [s.accBeta1.dataSync()[0]!, s.accBeta2.dataSync()[0]!];
}

/** Put back Adam's running β powers saved by `betaPowers` (after `setWeights`); false when the optimizer is not strata's Adam. */
export function setBetaPowers(tf: TfCore, optimizer: Optimizer, powers: readonly [number, number]): boolean {
  if (!fusedAdams.has(optimizer)) return false;
  const s = optimizer as unknown as AdamState;
  tf.tidy(() => {
    s.accBeta1.assign(tf.scalar(powers[0]));
    s.accBeta2.assign(tf.scalar(powers[1]));
  });
  return true;
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

    /** TensorFlow.js's, but with β1ᵗ and β2ᵗ as the steps accumulated them rather than `pow(β, t + 1)` (see above). */
    override async setWeights(weightValues: Parameters<InstanceType<TfCore['AdamOptimizer']>['setWeights']>[0]): Promise<void> {
      await super.setWeights(weightValues);
      const s = this as unknown as AdamState;
      setBetaPowers(tf, this, [betaPowerAfter(s.beta1, s.iterations), betaPowerAfter(s.beta2, s.iterations)]);
    }
  }
  const optimizer = new FusedAdam(learningRate, beta1, beta2, epsilon);
  fusedAdams.add(optimizer);
  return optimizer;
}
