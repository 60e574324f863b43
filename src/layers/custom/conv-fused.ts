/**
 * A 2-D convolution with its bias and relu as one kernel while training. tfjs-core fuses
 * them (FusedConv2D) only outside a gradient: while training, tf.fused.conv2d runs the
 * convolution, the bias Add and the Relu as three kernels, each a pass over the output.
 * Here the layer runs the backend's FusedConv2D kernel itself (XNNPACK on wasm adds the
 * bias and applies relu as it writes), and strata's gradient for that kernel
 * (src/backend/gradients.ts) gives what tfjs-core's three would.
 */
import type { NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { TfCore } from '../../tf-types.js';

/** conv2d(x, kernel) + bias, then relu when `relu`: stride `strides`, dilation 1, NHWC. */
export function fusedConv2d(tf: TfCore, x: Tensor4D, kernel: Tensor4D, bias: Tensor | null, strides: [number, number], pad: 'valid' | 'same', relu: boolean): Tensor4D {
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: relu ? 'relu' : 'linear' };
  const inputs: Record<string, Tensor> = { x, filter: kernel };
  if (bias) inputs['bias'] = bias;
  return tf.engine().runKernel('FusedConv2D', inputs, attrs as unknown as NamedAttrMap) as Tensor4D;
}
