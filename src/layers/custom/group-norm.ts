/** Group normalization (Keras `GroupNormalization`): channels split into groups, each normalized over its positions and channels. */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { single, shapes, strataBase } from './base.js';
import type { TfShape } from './base.js';
import { customLayer } from './define.js';
import type { TfCore } from '../../tf-types.js';

/** x [B, ..., C] normalized within `groups` groups of channels, before scale and offset. */
export function groupNormalize(tf: TfCore, x: Tensor, groups: number, epsilon: number): Tensor {
  const shape = x.shape;
  const C = shape[shape.length - 1]!;
  const grouped = tf.reshape(x, [...shape.slice(0, -1), groups, C / groups]);
  const axes = [...Array.from({ length: shape.length - 2 }, (_, i) => i + 1), shape.length];
  const { mean, variance } = tf.moments(grouped, axes, true);
  return tf.reshape(tf.div(tf.sub(grouped, mean), tf.sqrt(tf.add(variance, epsilon))), shape);
}

export const GroupNormalization = customLayer('strata>GroupNormalization', (env) => {
  const { tf } = env;
  return class GroupNormalization extends strataBase(env) {
    gamma?: LayerVariable;
    beta?: LayerVariable;
    override build(s: TfShape | TfShape[]): void {
      const x = shapes(s as TfShape)[0]!;
      const C = x[x.length - 1]!;
      if (this.p.scale) this.gamma = this.weight('gamma', [C], 'gamma');
      if (this.p.center) this.beta = this.weight('beta', [C], 'beta');
      this.built = true;
    }
    override computeOutputShape(s: TfShape | TfShape[]): TfShape {
      return shapes(s as TfShape)[0]!;
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        let y = groupNormalize(tf, single(inputs), this.p.groups as number, this.p.epsilon as number);
        if (this.gamma) y = tf.mul(y, this.gamma.read());
        if (this.beta) y = tf.add(y, this.beta.read());
        return y;
      });
    }
  };
});
