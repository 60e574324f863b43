/**
 * The fallback for kernels the wasm backend lacks while strata's own wasm
 * kernels are off (another TensorFlow.js release than they were written for:
 * tfjs-version.ts).
 *
 * The wasm backend of TensorFlow.js 4.22 has no kernel for some gradients:
 * conv2d's by its filter, depthwise conv2d's, and unsorted segment sum (the
 * embedding layer's). strata's wasm kernels supply them; without them,
 * training a convolution or an embedding on wasm stops with "Kernel
 * 'Conv2DBackpropFilter' not registered for backend 'wasm'". So each of these
 * that the loaded backend lacks is registered here in a form that uses no
 * internals, only the kernel registry and what every backend offers the
 * engine (`readSync`, `write`, `disposeData`):
 * - Conv2DBackpropFilter: the same forward convolution as strata's kernel
 *   (conv-filter-grad.ts), built from the backend's own Transpose, Conv2D and Slice;
 * - the depthwise gradients and UnsortedSegmentSum: strata's loops
 *   (conv-grads.ts, segment-sum.ts) on copies of the inputs, the result
 *   written back as a new tensor.
 * A kernel the backend has is never replaced.
 */
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { TfCore } from '../tf-types.js';
import { conv2dFilterGrad } from './wasm-kernels/conv-filter-grad.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './wasm-kernels/conv-grads.js';
import { unsortedSegmentSum } from './wasm-kernels/segment-sum.js';

/** The fallback kernels registered in this process. */
const registered = new Set<string>();

/** Which fallback kernels are registered on the wasm backend (none while strata's own kernels are on). */
export function portableWasmKernels(): string[] {
  return [...registered].sort();
}

type Shape4 = [number, number, number, number];
interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
  filterShape?: Shape4;
  inputShape?: Shape4;
}

function nhwcOnly(attrs: ConvAttrs, kernel: string): void {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error(`${kernel} on wasm supports only NHWC data (got ${attrs.dataFormat})`);
}

/** Register the fallbacks the wasm backend needs (see above); returns their names. Call after the backend is registered. */
export function registerPortableKernels(tf: TfCore): string[] {
  const own = (name: string): KernelFunc | undefined => tf.getKernel(name, 'wasm')?.kernelFunc;
  const geometry = (xShape: Shape4, filterShape: Shape4, a: ConvAttrs, depthwise: boolean) =>
    tf.backend_util.computeConv2DInfo(xShape, filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, depthwise);
  /** A kernel computing a float32 or int32 array from copies of its inputs. */
  const onCopies = (shape: number[], dtype: 'float32' | 'int32', backend: KernelBackend, fill: (out: Float32Array | Int32Array) => void): TensorInfo => {
    const out = dtype === 'int32' ? new Int32Array(tf.util.sizeFromShape(shape)) : new Float32Array(tf.util.sizeFromShape(shape));
    fill(out);
    return { dataId: backend.write(out, shape, dtype), shape, dtype };
  };
  const values = (backend: KernelBackend, t: TensorInfo) => backend.readSync(t.dataId) as Float32Array | Int32Array;

  const fallbacks: Record<string, () => KernelFunc | undefined> = {
    Conv2DBackpropFilter: () => {
      const [transpose, conv2d, slice] = [own('Transpose'), own('Conv2D'), own('Slice')];
      if (!transpose || !conv2d || !slice) return undefined;
      return ({ inputs, backend, attrs }) => {
        const a = attrs as unknown as ConvAttrs;
        nhwcOnly(a, 'Conv2DBackpropFilter');
        const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
        const g = geometry(x.shape as Shape4, a.filterShape!, { ...a, dilations: 1 }, false);
        return conv2dFilterGrad({ transpose, conv2d, slice }, backend as KernelBackend, x, dy, g);
      };
    },
    DepthwiseConv2dNativeBackpropFilter: () => ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as ConvAttrs;
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const g = geometry(x.shape as Shape4, a.filterShape!, a, true);
      const b = backend as KernelBackend;
      return onCopies(a.filterShape!, 'float32', b, (out) => depthwiseBackpropFilter(g, values(b, x), values(b, dy), out as Float32Array));
    },
    DepthwiseConv2dNativeBackpropInput: () => ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as ConvAttrs;
      const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
      const g = geometry(a.inputShape!, filter.shape as Shape4, a, true);
      const b = backend as KernelBackend;
      return onCopies(a.inputShape!, 'float32', b, (out) => depthwiseBackpropInput(g, values(b, dy), values(b, filter), out as Float32Array));
    },
    UnsortedSegmentSum: () => ({ inputs, backend, attrs }) => {
      const { numSegments } = attrs as unknown as { numSegments: number };
      const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
      const rest = x.shape.slice(segmentIds.shape.length);
      const inner = rest.reduce((p, d) => p * d, 1);
      const b = backend as KernelBackend;
      return onCopies([numSegments, ...rest], x.dtype === 'int32' ? 'int32' : 'float32', b, (out) => unsortedSegmentSum(values(b, x), values(b, segmentIds), inner, numSegments, out));
    },
  };

  const added: string[] = [];
  for (const [kernelName, make] of Object.entries(fallbacks)) {
    if (own(kernelName) !== undefined) continue;
    const kernelFunc = make();
    if (kernelFunc === undefined) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    registered.add(kernelName);
    added.push(kernelName);
  }
  return added;
}
