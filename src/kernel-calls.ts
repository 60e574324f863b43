/**
 * Calls of strata's own kernels (kernel-names.ts) that both the backend's gradients and
 * the layers make, each with its plain-op equivalent for backends without the kernel.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { RELU_GRAD_KERNEL } from './kernel-names.js';
import type { TfCore } from './tf-types.js';

/** Relu's gradient dy · step(x): strata's one kernel where registered, tfjs-core's ops elsewhere. */
export function reluGrad(tf: TfCore, dy: Tensor, x: Tensor): Tensor {
  if (x.dtype === 'float32' && dy.dtype === 'float32' && tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined) {
    return (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }) as Tensor[])[0]!;
  }
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}
