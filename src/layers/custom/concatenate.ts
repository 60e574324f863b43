/**
 * Concatenate along a negative axis other than −1: TensorFlow.js's joins its inputs along
 * the last axis for every negative axis (tfjs-layers' K.concatenate turns any axis below
 * zero into the last), so `axis: -2` failed on shapes that differ there, or joined the
 * wrong axis where the shapes allowed it. Its shape rules already count from the end. This
 * one counts such an axis from the front once it knows its inputs' rank, so the join is
 * right and the saved config is too: plain TensorFlow.js loads the model and joins where
 * strata did.
 */
import type { Shape } from '@tensorflow/tfjs-layers/dist/keras_format/common.js';
import { classOf, fixedBuiltIn } from './define.js';

export const Concatenate = fixedBuiltIn('Concatenate', (env) => {
  const { tfl } = env;
  return class Concatenate extends classOf(tfl.layers.concatenate({})) {
    override build(inputShape: Shape | Shape[]): void {
      const self = this as unknown as { axis: number };
      const first = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      if (self.axis < -1) self.axis += first.length;
      super.build(inputShape);
    }
  };
});
