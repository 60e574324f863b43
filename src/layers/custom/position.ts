/**
 * Positions added to token embeddings: fixed sinusoids (Keras Hub
 * `SinePositionEncoding`) or learned vectors (Keras Hub `PositionEmbedding`).
 * Unlike the Keras Hub layers, which return the positions alone, these return
 * input + positions.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { single, shapes, strataBase } from './base.js';
import type { TfShape } from './base.js';
import { customLayer } from './define.js';
import type { TfCore } from '../../tf-types.js';

/** The [steps, depth] sinusoidal table: sin at even depths, cos at odd ones, wavelengths up to `maxWavelength`. */
export function sinusoids(tf: TfCore, steps: number, depth: number, maxWavelength: number): Tensor {
  return tf.tidy(() => {
    const pos = tf.reshape(tf.range(0, steps, 1, 'float32'), [steps, 1]);
    const i = tf.range(0, depth, 1, 'float32');
    const timescales = tf.pow(1 / maxWavelength, tf.div(tf.mul(2, tf.floor(tf.div(i, 2))), depth));
    const angles = tf.mul(pos, tf.reshape(timescales, [1, depth]));
    const cosMask = tf.mod(i, 2);
    return tf.add(tf.mul(tf.sin(angles), tf.sub(1, cosMask)), tf.mul(tf.cos(angles), cosMask));
  });
}

/** Fixed sinusoids added to the input. */
export const PositionalEncoding = customLayer('strata>PositionalEncoding', (env) => {
  const { tf } = env;
  return class PositionalEncoding extends strataBase(env) {
    override computeOutputShape(s: TfShape | TfShape[]): TfShape {
      return shapes(s as TfShape)[0]!;
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = single(inputs);
        const [, T, d] = x.shape as number[];
        return tf.add(x, sinusoids(tf, T!, d!, this.p.max_wavelength as number));
      });
    }
  };
});

/** A learned vector per position added to the input. */
export const PositionalEmbedding = customLayer('strata>PositionalEmbedding', (env) => {
  const { tf } = env;
  return class PositionalEmbedding extends strataBase(env) {
    table?: LayerVariable;
    override build(s: TfShape | TfShape[]): void {
      const x = shapes(s as TfShape)[0]!;
      this.table = this.weight('embeddings', [this.p.max_length as number, x[x.length - 1]!], 'embeddings');
      this.built = true;
    }
    override computeOutputShape(s: TfShape | TfShape[]): TfShape {
      return shapes(s as TfShape)[0]!;
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = single(inputs);
        const T = x.shape[1]!;
        return tf.add(x, tf.slice(this.table!.read(), [0, 0], [T, -1]));
      });
    }
  };
});
