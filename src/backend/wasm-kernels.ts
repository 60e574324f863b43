/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks, so conv
 * nets, depthwise convs and embeddings (whose gradient is a segment sum) can
 * train on wasm: Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter,
 * DepthwiseConv2dNativeBackpropInput and UnsortedSegmentSum. Each is a plain
 * JavaScript loop over the wasm backend's data (read with readSync, written
 * with makeOutput), channels-last only, accumulating in float64. They are
 * registered only where no wasm kernel of that name exists.
 */
import type { TfCore } from './select.js';

type TensorInfo = import('@tensorflow/tfjs-core').TensorInfo;
type Conv2DInfo = import('@tensorflow/tfjs-core').backend_util.Conv2DInfo;

/** The part of the wasm backend these kernels use. */
interface WasmLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset: undefined, values: Float32Array): TensorInfo;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function need(inputs: Record<string, TensorInfo>, name: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`kernel input '${name}' is missing`);
  return t;
}

function channelsLast(attrs: Record<string, unknown>, kernel: string): void {
  const format = attrs.dataFormat;
  if (format !== undefined && format !== 'NHWC' && format !== 'channelsLast') {
    throw new Error(`${kernel} on wasm supports only channels-last (NHWC) data, not ${String(format)}`);
  }
}

function output(backend: WasmLike, shape: number[], acc: Float64Array): TensorInfo {
  return backend.makeOutput(shape, 'float32', undefined, Float32Array.from(acc));
}

/**
 * Loop over every (output position, filter tap) pair whose input position
 * lies inside the image, calling `visit(b, yOffset, xOffset)` with the flat
 * element offsets of dy[b, yR, yC, 0] and x[b, xR, xC, 0], plus the tap index.
 */
function forEachTap(info: Conv2DInfo, visit: (dyBase: number, xBase: number, tap: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; ++b) {
    for (let yR = 0; yR < outHeight; ++yR) {
      for (let yC = 0; yC < outWidth; ++yC) {
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        for (let wR = 0; wR < filterHeight; ++wR) {
          const xR = yR * strideHeight - top + wR * dilationHeight;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; ++wC) {
            const xC = yC * strideWidth - left + wC * dilationWidth;
            if (xC < 0 || xC >= inWidth) continue;
            visit(dyBase, ((b * inHeight + xR) * inWidth + xC) * inChannels, wR * filterWidth + wC);
          }
        }
      }
    }
  }
}

function conv2DBackpropFilter(tf: TfCore, { inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const wasm = backend as WasmLike;
  const x = need(inputs, 'x');
  const dy = need(inputs, 'dy');
  channelsLast(attrs, 'Conv2DBackpropFilter');
  const filterShape = attrs.filterShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, attrs.strides as [number, number], 1,
    attrs.pad as 'valid', attrs.dimRoundingMode as Rounding, false, 'channelsLast');
  const xv = wasm.readSync(x.dataId);
  const dyv = wasm.readSync(dy.dataId);
  const { inChannels, outChannels } = info;
  const dW = new Float64Array(filterShape[0] * filterShape[1] * inChannels * outChannels);
  forEachTap(info, (dyBase, xBase, tap) => {
    const wBase = tap * inChannels * outChannels;
    for (let d1 = 0; d1 < inChannels; ++d1) {
      const xval = xv[xBase + d1] as number;
      if (xval === 0) continue;
      const row = wBase + d1 * outChannels;
      for (let d2 = 0; d2 < outChannels; ++d2) dW[row + d2] += xval * (dyv[dyBase + d2] as number);
    }
  });
  return output(wasm, [...filterShape], dW);
}

function depthwiseInfo(tf: TfCore, xShape: number[], filterShape: number[], attrs: Record<string, unknown>): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as 'valid',
    attrs.dimRoundingMode as Rounding, true, 'channelsLast');
}

function depthwiseBackpropFilter(tf: TfCore, { inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const wasm = backend as WasmLike;
  const x = need(inputs, 'x');
  const dy = need(inputs, 'dy');
  channelsLast(attrs, 'DepthwiseConv2dNativeBackpropFilter');
  const filterShape = attrs.filterShape as number[];
  const info = depthwiseInfo(tf, x.shape, filterShape, attrs);
  const xv = wasm.readSync(x.dataId);
  const dyv = wasm.readSync(dy.dataId);
  const { inChannels, outChannels } = info;
  const mult = outChannels / inChannels;
  const dW = new Float64Array(filterShape.reduce((a, b) => a * b, 1));
  forEachTap(info, (dyBase, xBase, tap) => {
    const wBase = tap * outChannels;
    for (let d1 = 0; d1 < inChannels; ++d1) {
      const xval = xv[xBase + d1] as number;
      for (let q = 0; q < mult; ++q) dW[wBase + d1 * mult + q] += xval * (dyv[dyBase + d1 * mult + q] as number);
    }
  });
  return output(wasm, filterShape, dW);
}

function depthwiseBackpropInput(tf: TfCore, { inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const wasm = backend as WasmLike;
  const dy = need(inputs, 'dy');
  const filter = need(inputs, 'filter');
  channelsLast(attrs, 'DepthwiseConv2dNativeBackpropInput');
  const inputShape = attrs.inputShape as number[];
  const info = depthwiseInfo(tf, inputShape, filter.shape, attrs);
  const dyv = wasm.readSync(dy.dataId);
  const wv = wasm.readSync(filter.dataId);
  const { inChannels, outChannels } = info;
  const mult = outChannels / inChannels;
  const dx = new Float64Array(inputShape.reduce((a, b) => a * b, 1));
  forEachTap(info, (dyBase, xBase, tap) => {
    const wBase = tap * outChannels;
    for (let d1 = 0; d1 < inChannels; ++d1) {
      let sum = 0;
      for (let q = 0; q < mult; ++q) sum += (dyv[dyBase + d1 * mult + q] as number) * (wv[wBase + d1 * mult + q] as number);
      dx[xBase + d1] += sum;
    }
  });
  return output(wasm, inputShape, dx);
}

function unsortedSegmentSum({ inputs, backend, attrs = {} }: KernelArgs): TensorInfo {
  const wasm = backend as WasmLike;
  const x = need(inputs, 'x');
  const ids = need(inputs, 'segmentIds');
  const numSegments = attrs.numSegments as number;
  if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum on wasm supports float32 data, not ${x.dtype}`);
  const xv = wasm.readSync(x.dataId);
  const idv = wasm.readSync(ids.dataId);
  const inner = x.shape.slice(ids.shape.length).reduce((a, b) => a * b, 1);
  const out = new Float64Array(numSegments * inner);
  for (let i = 0; i < idv.length; ++i) {
    const seg = idv[i] as number;
    if (seg < 0 || seg >= numSegments) continue;
    const src = i * inner;
    const dst = seg * inner;
    for (let j = 0; j < inner; ++j) out[dst + j] += xv[src + j] as number;
  }
  return output(wasm, [numSegments, ...x.shape.slice(ids.shape.length)], out);
}

/** The kernel names this module provides for wasm. */
export const WASM_EXTRA_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
] as const;

/** Register the missing gradient kernels for the wasm backend (idempotent; keeps any native kernel). */
export function registerWasmKernels(tf: TfCore): void {
  const impls: Record<(typeof WASM_EXTRA_KERNELS)[number], (args: KernelArgs) => TensorInfo> = {
    Conv2DBackpropFilter: (a) => conv2DBackpropFilter(tf, a),
    DepthwiseConv2dNativeBackpropFilter: (a) => depthwiseBackpropFilter(tf, a),
    DepthwiseConv2dNativeBackpropInput: (a) => depthwiseBackpropInput(tf, a),
    UnsortedSegmentSum: unsortedSegmentSum,
  };
  for (const name of WASM_EXTRA_KERNELS) {
    if (tf.getKernel(name, 'wasm') !== undefined) continue;
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: impls[name] as never });
  }
}
