/**
 * Activation functions TensorFlow.js lacks, registered so that layers can name
 * them in `activation:` (dense, conv, ...) and reload. The names are lowercase
 * without underscores because TensorFlow.js rewrites the case of saved config
 * strings (snake_case on save, camelCase on load).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { customActivation } from './define.js';

/** Keras's `leaky_relu` activation: slope 0.2 below zero. */
export const LeakyRelu = customActivation('strata.leakyrelu', (env) => {
  const { tf } = env;
  return class LeakyRelu extends tf.serialization.Serializable {
    apply(x: Tensor): Tensor {
      return tf.leakyRelu(x, 0.2);
    }
    getConfig() {
      return {};
    }
  };
});
