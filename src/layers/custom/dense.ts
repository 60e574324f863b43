/**
 * Dense with its bias and relu fused into the product while training (fused.ts): the
 * built-in runs a relu layer's product, bias Add and Relu as three kernels then, since
 * tf.fused.matMul fuses only a linear activation inside a gradient. Other activations,
 * inference and other dtypes are the built-in's; the class keeps its name, config and
 * weights, so saved models are plain Keras Dense.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import { single } from './base.js';
import { classOf, fixedBuiltIn } from './define.js';
import { fusedDense } from './fused.js';

/** The fields of TensorFlow.js's Dense read here and by the training step (it declares them private or loosely). */
export interface DenseFields {
  kernel: LayerVariable;
  bias: LayerVariable | null;
  activation: { getClassName(): string };
  kernelRegularizer?: unknown;
  biasRegularizer?: unknown;
}

/**
 * The activation Dense fuses into its product while training, or undefined where it runs the
 * built-in's kernels: the one condition for the layer's call and for the training step by hand
 * (src/train/stack-gradients.ts), which computes the gradient of what the call ran.
 */
export function fusedDenseActivation(f: DenseFields, x: { dtype: string; rank: number }): 'relu' | 'linear' | undefined {
  const activation = f.activation.getClassName();
  return x.dtype === 'float32' && x.rank >= 2 && (activation === 'relu' || activation === 'linear') ? activation : undefined;
}

export const Dense = fixedBuiltIn('Dense', (env) => {
  const { tf, tfl } = env;
  const BuiltIn = classOf(tfl.layers.dense({ units: 1 }));
  return class Dense extends BuiltIn {
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      const f = this as unknown as DenseFields;
      const x = single(inputs);
      const activation = kwargs['training'] === true ? fusedDenseActivation(f, x) : undefined;
      if (!activation) return super.call(inputs, kwargs);
      return tf.tidy(() => fusedDense(tf, x, f.kernel.read(), f.bias ? f.bias.read() : null, activation === 'relu'));
    }
  };
});
