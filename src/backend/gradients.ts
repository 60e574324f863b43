/**
 * Gradients strata registers in place of tfjs-core's, for every backend.
 *
 * `Tile`: tfjs-core 4.22 sums one `Slice` of dy per repetition (a loop over
 * every combination of repeats), so tiling [64, 64, 1] to [64, 64, 64] costs
 * 64 slices and adds, and [1, 1, 64] to [64, 64, 64] 4,096. tfjs-layers'
 * LayerNormalization tiles its mean, variance, gamma and beta that way on
 * every call: a two-block transformer language model with a final
 * layer_norm spent most of each training step there (19 samples/s on wasm,
 * 89 without that one layer). Here the gradient is one reshape and one sum:
 * dy viewed as [r0, x0, r1, x1, ...] and summed over the repeat axes.
 *
 * `Softmax`: tfjs-core's gradient y · dy − Σ(y · dy) · y is four kernels over
 * the whole of y (a transformer's attention weights, [64, 4, 64, 64] in the
 * benchmark: 2.8 ms a layer on wasm); where strata's wasm kernel is
 * registered (src/kernel-names.ts) it is one, y · (dy − Σ dy · y).
 *
 * `Relu`: tfjs-core's dy · step(x) is two kernels over x (three with its cast
 * to float32); strata's wasm kernel is one pass with the same values.
 *
 * `FusedConv2D` and `_FusedMatMul` (tfjs-core has none: it runs them only outside
 * a gradient, or inside its own custom gradient): strata's Conv2D and Dense layers
 * and its transformer's products run them while training (layers/custom/fused.ts),
 * with a linear or relu activation; the gradient is g = dy · step(y) for relu (y > 0
 * exactly where the sum before it is), else dy, then the product's own gradients and
 * Σ g for the bias, each made only for an input that needs it (except that relu's one
 * pass gives Σ g with g, used or not).
 */
import type { NamedAttrMap, Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { TfCore } from '../tf-types.js';
import { activationGrad, hasKernels, reluGrad } from '../kernel-calls.js';
import { SOFTMAX_GRAD_KERNEL } from '../kernel-names.js';

/** The shape [r0, x0, r1, x1, ...] (axes of length 1 left out) and which of its axes are repeats. */
export function tileGradPlan(xShape: readonly number[], reps: readonly number[]): { shape: number[]; repAxes: number[] } {
  const shape: number[] = [];
  const repAxes: number[] = [];
  xShape.forEach((n, i) => {
    const r = reps[i] ?? 1;
    if (r > 1) {
      repAxes.push(shape.length);
      shape.push(r);
    }
    if (n > 1) shape.push(n);
  });
  return { shape, repAxes };
}

export function installGradients(tf: TfCore): void {
  tf.registerGradient({
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved as [Tensor];
      const reps = attrs.reps as number[];
      const g = dy as Tensor;
      return {
        x: () => {
          const { shape, repAxes } = tileGradPlan(x.shape, reps);
          if (repAxes.length === 0) return tf.reshape(g, x.shape);
          return tf.reshape(tf.sum(tf.reshape(g, shape), repAxes), x.shape);
        },
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
      const [x] = saved as [Tensor];
      return { x: () => reluGrad(tf, dy as Tensor, x) };
    },
  });
  tf.registerGradient({
    kernelName: tf.FusedConv2D,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, filter, y] = saved as [Tensor4D, Tensor4D, Tensor4D];
      const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as Record<string, unknown>;
      const { g, sums } = activationGrad(tf, dy as Tensor, y, activation as string | undefined, 'FusedConv2D');
      // The convolution's own gradient (tfjs-core's, for Conv2D), and Σ g for the bias.
      const conv = tf.getGradient(tf.Conv2D).gradFunc(g, [x, filter], { strides, pad, dataFormat, dilations, dimRoundingMode } as unknown as NamedAttrMap);
      return { ...conv, bias: () => sums ?? tf.sum(g, [0, 1, 2]) };
    },
  });
  tf.registerGradient({
    kernelName: tf._FusedMatMul,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [a, b, y] = saved as [Tensor3D, Tensor3D, Tensor3D];
      const { transposeA, transposeB, activation } = attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
      const { g, sums } = activationGrad(tf, dy as Tensor, y, activation, '_FusedMatMul');
      // The product's own gradient (tfjs-core's, for BatchMatMul), and Σ g over the rows for
      // the bias (strata's layers give a bias of n values; another shape fails the tape's check).
      const product = tf.getGradient(tf.BatchMatMul).gradFunc(g, [a, b], { transposeA, transposeB } as unknown as NamedAttrMap);
      return { ...product, bias: () => sums ?? tf.sum(g, g.shape.slice(0, -1).map((_, i) => i)) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [y] = saved as [Tensor];
      const g = dy as Tensor;
      const dim = attrs.dim as number;
      const last = dim === -1 || dim === y.rank - 1;
      const byKernel = last && y.dtype === 'float32' && y.rank > 0 && hasKernels(tf, SOFTMAX_GRAD_KERNEL);
      return {
        logits: () => {
          if (byKernel) return (tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { dy: g, y }) as Tensor[])[0]!;
          const dyTimesY = tf.mul(g, y);
          return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
        },
      };
    },
  });
}
