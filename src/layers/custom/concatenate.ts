/**
 * Concatenate along a negative axis other than −1: TensorFlow.js's joins its inputs along
 * the last axis for every negative axis (tfjs-layers' K.concatenate turns any axis below
 * zero into the last), so `axis: -2` failed on shapes that differ there, or joined the
 * wrong axis where the shapes allowed it. Its shape rules already count from the end; only
 * the join is fixed here.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { classOf, fixedBuiltIn } from './define.js';

export const Concatenate = fixedBuiltIn('Concatenate', (env) => {
  const { tf, tfl } = env;
  return class Concatenate extends classOf(tfl.layers.concatenate({})) {
    // Merge.call calls it with the inputs (tfjs-layers declares it protected; Layer, which classOf gives, does not have it).
    mergeFunction(inputs: Tensor[]): Tensor {
      const axis = (this as unknown as { axis: number }).axis;
      return tf.tidy(() => tf.concat(inputs, axis < 0 ? inputs[0]!.rank + axis : axis));
    }
  };
});
