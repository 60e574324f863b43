/**
 * Conv2DBackpropFilter as one forward convolution (XNNPACK, an order of
 * magnitude faster than a JS loop at MNIST sizes): with the input's channels as
 * its batch and its batch as channels, convolved with dy (batch as in-channels)
 * dilated by the stride, the output pixel (kh, kw) is dW[kh, kw].
 *
 * It calls only kernels (Transpose, Conv2D, Slice) and the backend's
 * `disposeData`, no internals, so it serves both strata's kernels on the
 * release they were written for (register.ts, with strata's Transpose and
 * Slice) and the fallback on other releases (portable-kernels.ts, with the
 * backend's own).
 */
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './conv-grads.js';

/** The kernels the gradient is built from. */
export interface FilterGradKernels {
  transpose: KernelFunc;
  conv2d: KernelFunc;
  slice: KernelFunc;
}

/** dW of shape [kH, kW, inC, outC] from x (NHWC) and dy, for geometry `g` at dilation 1. */
export function conv2dFilterGrad(k: FilterGradKernels, backend: KernelBackend, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const run = (f: KernelFunc, ins: Record<string, TensorInfo>, at: NamedAttrMap) => f({ inputs: ins, backend, attrs: at }) as TensorInfo;
  const xt = run(k.transpose, { x }, { perm: [3, 1, 2, 0] });
  const dyt = run(k.transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const extentH = (g.outHeight - 1) * g.strideHeight + 1;
  const extentW = (g.outWidth - 1) * g.strideWidth + 1;
  const top = g.padInfo.top;
  const left = g.padInfo.left;
  const bottom = Math.max(0, g.filterHeight - 1 + extentH - g.inHeight - top);
  const right = Math.max(0, g.filterWidth - 1 + extentW - g.inWidth - left);
  const pad = [[0, 0], [top, bottom], [left, right], [0, 0]];
  const c = run(k.conv2d, { x: xt, filter: dyt }, { strides: 1, pad, dilations: [g.strideHeight, g.strideWidth], dataFormat: 'NHWC' } as unknown as NamedAttrMap);
  backend.disposeData(xt.dataId);
  backend.disposeData(dyt.dataId);
  let cropped = c;
  if (c.shape[1] !== g.filterHeight || c.shape[2] !== g.filterWidth) {
    cropped = run(k.slice, { x: c }, { begin: [0, 0, 0, 0], size: [g.inChannels, g.filterHeight, g.filterWidth, g.outChannels] });
    backend.disposeData(c.dataId);
  }
  const out = run(k.transpose, { x: cropped }, { perm: [1, 2, 0, 3] });
  backend.disposeData(cropped.dataId);
  return out;
}
