/**
 * Activation functions TensorFlow.js lacks, registered so that layers can name
 * them in `activation:` (dense, conv, ...) and reload. The names are lowercase
 * without underscores because TensorFlow.js rewrites the case of saved config
 * strings (snake_case on save, camelCase on load).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Env } from './base.js';

/** strata activation name → the class name registered with TensorFlow.js. */
export const CUSTOM_ACTIVATIONS = { leaky_relu: 'strata.leakyrelu' } as const;

export interface ActivationClass {
  new (): { apply(x: Tensor): Tensor };
  className: string;
}

export function activationClasses(env: Env): ActivationClass[] {
  const { tf } = env;
  class LeakyRelu extends tf.serialization.Serializable {
    static className = CUSTOM_ACTIVATIONS.leaky_relu;
    /** Keras's `leaky_relu` activation: slope 0.2 below zero. */
    apply(x: Tensor): Tensor {
      return tf.leakyRelu(x, 0.2);
    }
    getConfig() {
      return {};
    }
  }
  return [LeakyRelu];
}
