/** Adaptive pooling (PyTorch `AdaptiveAvgPool2d`/`AdaptiveMaxPool2d`): a fixed output size whatever the input size. */
import type { Tensor } from '@tensorflow/tfjs-core';
import { single, shapes, strataBase } from './base.js';
import type { TfShape } from './base.js';
import { customLayer } from './define.js';

/** The [start, end) input range of output cell i of n over an input of length len (PyTorch's rule). */
export function bin(i: number, n: number, len: number): [number, number] {
  return [Math.floor((i * len) / n), Math.ceil(((i + 1) * len) / n)];
}

export const AdaptivePooling2D = customLayer('strata>AdaptivePooling2D', (env) => {
  const { tf } = env;
  return class AdaptivePooling2D extends strataBase(env) {
    get size(): [number, number] {
      const s = this.p.output_size as number | number[];
      return typeof s === 'number' ? [s, s] : [s[0]!, s[1]!];
    }
    override computeOutputShape(s: TfShape | TfShape[]): TfShape {
      const x = shapes(s as TfShape)[0]!;
      return [x[0]!, ...this.size, x[3]!];
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = single(inputs);
        const [, H, W] = x.shape as number[];
        const [oh, ow] = this.size;
        const reduce = this.p.kind === 'max' ? tf.max : tf.mean;
        const rows: Tensor[] = [];
        for (let i = 0; i < oh; i++) {
          const [h0, h1] = bin(i, oh, H!);
          const cells: Tensor[] = [];
          for (let j = 0; j < ow; j++) {
            const [w0, w1] = bin(j, ow, W!);
            cells.push(reduce(tf.slice(x, [0, h0, w0, 0], [-1, h1 - h0, w1 - w0, -1]), [1, 2]));
          }
          rows.push(tf.stack(cells, 1));
        }
        return tf.stack(rows, 1);
      });
    }
  };
});
