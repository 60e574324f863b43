/**
 * LayerNormalization without tiling. TensorFlow.js 4.22's layer tiles its
 * mean, variance, gamma and beta to the input's shape on every call (a
 * workaround for an old batchNormalization limit); on wasm its Tile kernel
 * costs about 16 ms for a [32, 64, 128] output, four times per call, and the
 * gradient of Tile was worse still (see src/backend/gradients.ts). This
 * subclass computes the same thing with broadcasting: (x − mean) / √(var + ε)
 * · gamma + beta over the layer's axes. It keeps the built-in's class name,
 * config and weights, so saved models are plain Keras LayerNormalization. Over the
 * last axis alone (strata's layer_norm) it is one op with its own gradient (layer-norm-op.ts).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import { single } from './base.js';
import { classOf, fixedBuiltIn } from './define.js';
import { layerNormLastAxis } from './layer-norm-op.js';

interface LayerNormFields {
  axis: number[];
  epsilon: number;
  gamma: LayerVariable | null;
  beta: LayerVariable | null;
}

export const LayerNormalization = fixedBuiltIn('LayerNormalization', (env) => {
  const { tf, tfl } = env;
  const BuiltIn = classOf(tfl.layers.layerNormalization({}));
  return class LayerNormalization extends BuiltIn {
    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      const f = this as unknown as LayerNormFields;
      return tf.tidy(() => {
        const x = single(inputs);
        const features = x.shape[x.rank - 1]!;
        if (f.axis.length === 1 && f.axis[0] === x.rank - 1 && x.dtype === 'float32') {
          return layerNormLastAxis(tf, x, f.gamma ? f.gamma.read() : tf.ones([features]), f.beta ? f.beta.read() : tf.zeros([features]), f.epsilon);
        }
        const { mean, variance } = tf.moments(x, f.axis, true);
        let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, f.epsilon)));
        // gamma and beta have the shape of the normalized axes (in order); broadcast them over the rest.
        const shape = x.shape.map((n, i) => (f.axis.includes(i) ? n : 1));
        if (f.gamma) y = tf.mul(y, tf.reshape(f.gamma.read(), shape));
        if (f.beta) y = tf.add(y, tf.reshape(f.beta.read(), shape));
        return y;
      });
    }
  };
});
