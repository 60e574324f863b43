/**
 * Products with their bias and relu as one kernel, while training too. tfjs-core fuses them
 * (FusedConv2D, _FusedMatMul) only outside a gradient, or for a linear activation: while
 * training a layer with relu, tf.fused.conv2d and tf.fused.matMul run the product, the
 * bias Add and the Relu as three kernels, each a pass over the output. Here the layers run
 * the backend's fused kernel themselves (on wasm, XNNPACK adds the bias and applies relu as
 * it writes a convolution; strata's product does both in place on its result), and
 * strata's gradients for those kernels (src/backend/gradients.ts) give what tfjs-core's
 * three would. Conv2D and Dense call these while training; the transformer's products
 * (math.ts) always. A TensorFlow.js that has strata's layers registered but not strata's
 * gradients (a program of the user's own: `registerStrataLayers`) gets the three plain ops.
 */
import type { NamedAttrMap, Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { TfCore } from '../../tf-types.js';

/** conv2d(x, kernel) + bias, then relu when `relu`: stride `strides`, dilation 1, NHWC. */
export function fusedConv2d(tf: TfCore, x: Tensor4D, kernel: Tensor4D, bias: Tensor | null, strides: [number, number], pad: 'valid' | 'same', relu: boolean): Tensor4D {
  if (tf.getGradient(tf.FusedConv2D) === undefined) return plain(tf, tf.conv2d(x, kernel, strides, pad), bias, relu) as Tensor4D;
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: relu ? 'relu' : 'linear' };
  const inputs: Record<string, Tensor> = { x, filter: kernel };
  if (bias) inputs['bias'] = bias;
  return tf.engine().runKernel('FusedConv2D', inputs, attrs as unknown as NamedAttrMap) as Tensor4D;
}

/** x [..., k] · w [k, n] + bias [n], then relu when `relu`: [..., n]. */
export function fusedDense(tf: TfCore, x: Tensor, w: Tensor, bias: Tensor | null, relu: boolean): Tensor {
  const [k, n] = w.shape as [number, number];
  if (tf.getGradient(tf._FusedMatMul) === undefined) return tf.reshape(plain(tf, tf.matMul(tf.reshape(x, [-1, k]), w), bias, relu), [...x.shape.slice(0, -1), n]);
  // The kernel takes batches of matrices, as tf.fused.matMul hands them over.
  const inputs: Record<string, Tensor> = { a: tf.reshape(x, [1, -1, k]) as Tensor3D, b: tf.reshape(w, [1, k, n]) as Tensor3D };
  if (bias) inputs['bias'] = bias;
  const attrs = { transposeA: false, transposeB: false, activation: relu ? 'relu' : 'linear' };
  const y = tf.engine().runKernel('_FusedMatMul', inputs, attrs as unknown as NamedAttrMap) as Tensor;
  return tf.reshape(y, [...x.shape.slice(0, -1), n]);
}

/** y + bias, then relu when `relu`: the plain ops, for a TensorFlow.js without strata's gradients of the fused kernels. */
function plain(tf: TfCore, y: Tensor, bias: Tensor | null, relu: boolean): Tensor {
  const withBias = bias ? tf.add(y, bias) : y;
  return relu ? tf.relu(withBias) : withBias;
}
