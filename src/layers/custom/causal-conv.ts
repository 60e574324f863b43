/**
 * Conv1D with `padding: causal`. TensorFlow.js 4.22 accepts the setting, works
 * out the output shape, and then throws on the first forward pass ("The support
 * for CAUSAL padding mode in conv1dWithBias is not implemented yet"). This
 * subclass of its own Conv1D pads the steps on the left by
 * dilation × (kernel − 1) zeros and runs the 'valid' convolution, which is what
 * causal padding means in Keras. It keeps the class name `Conv1D` and the
 * config, weights and saved form of the built-in layer, so a model saved with
 * it is an ordinary Keras / TensorFlow.js Conv1D; registered in the built-in's
 * place (by `registerStrataLayers`), it also lets a plain TensorFlow.js program
 * run such a model.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import { single } from './base.js';
import type { Env, LayerClass } from './base.js';

interface ConvFields {
  padding: string;
  kernelSize: number[];
  dilationRate: number | number[];
}

export function causalConvClasses(env: Env): LayerClass[] {
  const { tf, tfl } = env;
  // The built-in class is not exported by name; a throwaway instance gives it.
  const BuiltIn = tfl.layers.conv1d({ filters: 1, kernelSize: 1 }).constructor as unknown as new (args: object) => InstanceType<typeof tfl.layers.Layer>;

  class Conv1D extends BuiltIn {
    static className = 'Conv1D';
    /** Causal output is as long as 'same' gives (TensorFlow.js works it out as 'valid'). */
    override computeOutputShape(inputShape: Parameters<InstanceType<typeof tfl.layers.Layer>['computeOutputShape']>[0]) {
      const self = this as unknown as ConvFields;
      if (self.padding !== 'causal') return super.computeOutputShape(inputShape);
      self.padding = 'same';
      try {
        return super.computeOutputShape(inputShape);
      } finally {
        self.padding = 'causal';
      }
    }
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      const self = this as unknown as ConvFields;
      if (self.padding !== 'causal') return super.call(inputs, kwargs);
      const dilation = Array.isArray(self.dilationRate) ? self.dilationRate[0]! : self.dilationRate;
      const left = dilation * (self.kernelSize[0]! - 1);
      return tf.tidy(() => {
        const padded = tf.pad(single(inputs), [
          [0, 0],
          [left, 0],
          [0, 0],
        ]);
        self.padding = 'valid';
        try {
          return super.call(padded, kwargs);
        } finally {
          self.padding = 'causal';
        }
      });
    }
  }
  return [Conv1D as unknown as LayerClass];
}
