/**
 * Kernels strata adds to TensorFlow.js's wasm backend (4.22): the gradients it
 * lacks (conv2d filter, depthwise conv2d filter and input, unsorted segment
 * sum for gather/embedding), and a faster BatchMatMul for transposed operands
 * and batches of matrices (the wasm one runs a plain loop for those, 5–40x
 * slower than its XNNPACK path; every dense layer's gradient and every
 * attention product uses one), Slice, SplitV and Unpack that copy only
 * what they return (slice.ts), Sum over leading axes as a matrix product,
 * and an Identity that shares memory instead of copying it.
 */
import type { DataType, KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { TfCore } from '../../tf-types.js';
import { fastBatchMatMul } from './batch-matmul.js';
import { conv2dFilterGrad } from './conv-filter-grad.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './conv-grads.js';
import type { ConvGeometry } from './conv-grads.js';
import { ADAM_KERNEL, adamConstants, adamStep } from './adam.js';
import type { AdamAttrs } from './adam.js';
import { gatherInto } from './gather.js';
import { maxPoolGrad } from './max-pool-grad.js';
import { sliceInto } from './slice.js';
import {
  BATCH_NORM_GRAD_KERNEL, BATCH_NORM_SUMS_KERNEL, CHANNEL_AFFINE_KERNEL, CHANNEL_MOMENTS_KERNEL, GRU_CELL_GRAD_KERNEL, GRU_CELL_KERNEL,
  LAYER_NORM_AFFINE_KERNEL, LAYER_NORM_GRAD_KERNEL, LSTM_CELL_GRAD_KERNEL, LSTM_CELL_KERNEL, RELU_GRAD_KERNEL, ROW_MOMENTS_KERNEL, SOFTMAX_GRAD_KERNEL,
  RELU_GRAD_SUMS_KERNEL, SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL,
} from '../../kernel-names.js';
import { sparseSoftmaxCrossEntropy } from './softmax-cross-entropy.js';
import type { CopyRuns } from './slice.js';
import { asMatrixTranspose, MIN_TILED_TRANSPOSE, transposeTiled } from './transpose.js';
import { unsortedSegmentSum } from './segment-sum.js';
import { backendMemory, loadSimdKernels } from '../simd/kernels.js';
import type { EmscriptenModule, SimdKernels } from '../simd/kernels.js';

/** What these kernels use of the wasm backend (BackendWasm). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

type Shape4 = [number, number, number, number];
type Pair = [number, number] | number;
type Pad = 'valid' | 'same' | number;

interface ConvAttrs {
  strides: Pair;
  pad: Pad;
  dilations?: Pair;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
  filterShape?: Shape4;
  inputShape?: Shape4;
}

/** The kernel names strata registers for wasm (with its SIMD module also Add, Sub, Multiply, RealDiv, Square, Relu, Step, Tanh, Concat and the LSTM and GRU cells' four of kernel-names.ts). */
export const WASM_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum', 'MaxPoolGrad', 'BatchMatMul', 'Slice', 'SplitV', 'Unpack', 'Sum', 'Identity', 'GatherV2', 'Transpose', ADAM_KERNEL, SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL] as const;

/** The kernels registerWasmKernels has registered in this process, by name. */
const installed = new Set<string>();

/** Which of strata's kernels are installed on the wasm backend (none until registerWasmKernels runs, none when its version guard keeps them off). */
export function installedWasmKernels(): string[] {
  return [...installed].sort();
}

function nhwcOnly(attrs: ConvAttrs, kernel: string): void {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error(`${kernel} on wasm supports only NHWC data (got ${attrs.dataFormat})`);
}

/**
 * Run `fill` on views of the inputs and of a fresh output. The output is
 * allocated first: allocating can grow the wasm heap, which detaches older views.
 */
function compute(backend: WasmBackend, shape: number[], dtype: DataType, inputs: TensorInfo[], fill: (out: Float32Array | Int32Array, ...ins: ArrayLike<number>[]) => void): TensorInfo {
  const out = backend.makeOutput(shape, dtype);
  const outView = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  fill(outView, ...inputs.map((t) => backend.typedArrayFromHeap(t)));
  return out;
}

/** A tensor's byte offset in the backend's heap: the pointer strata's SIMD kernels take. */
const addressOf = (backend: WasmBackend, t: TensorInfo): number => backend.typedArrayFromHeap(t).byteOffset;

/** Whether a tensor of `shape`, repeated, fills `out`: a scalar, or `out`'s trailing axes (leading 1s aside). */
function repeatsAlongLeading(shape: readonly number[], out: readonly number[]): boolean {
  let first = 0;
  while (first < shape.length && shape[first] === 1) first++;
  const own = shape.slice(first);
  return own.length <= out.length && own.every((d, i) => d === out[out.length - own.length + i]);
}

/** Whether a tensor of `shape` holds one value for each row (last axis) of `out`: `out` with a last axis of 1. */
function oneARow(shape: readonly number[], out: readonly number[]): boolean {
  return shape.length === out.length && shape[shape.length - 1] === 1 && out[out.length - 1] !== 1 && shape.slice(0, -1).every((d, i) => d === out[i]);
}

/** The most elements a row broadcast (oneARow) computes in JavaScript; larger ones are the backend's. */
const MAX_ROW_BROADCAST = 65536;

/** strata's SIMD kernels on the backend's heap (none with STRATA_SIMD=0). */
function simdKernels(tf: TfCore): SimdKernels | undefined {
  if (process.env.STRATA_SIMD === '0') return undefined;
  const memory = backendMemory((tf.findBackend('wasm') as unknown as { wasm?: EmscriptenModule } | undefined)?.wasm);
  return memory ? loadSimdKernels(memory) : undefined;
}

/** The most bytes of patches (im2col rows) filterGradByProduct holds at once; larger batches go in parts. */
export const MAX_PATCH_BYTES = 32 * 2 ** 20;

/**
 * Conv2DBackpropFilter as strata's products over the input's patches (im2col): dW
 * [kh·kw·inC, outC] sums, over the output's pixels, each pixel's patch times its dy. As one
 * product it is patchesᵀ · dy ([taps, outC]: taps padded to a multiple of 4, outC one of 8)
 * or the transpose of dyᵀ · patches ([outC, taps]: outC in fours, taps padded to 8), whichever
 * pads less (an RGB layer's 27 taps: 28 rows against 32 columns); gemmta reads the left
 * operand as it lies. The batch goes in parts so the patches stay under `maxBytes`. A 3 × 3
 * kernel on one input channel (outC in fours) takes no patches: kernels.wat filtergrad3x3c1
 * sums straight from x and dy. XNNPACK's convolution (conv-filter-grad.ts) packs the whole of
 * dy as its filter first: 8.3 ms for the cnn benchmark's first layer, where this takes under one.
 */
export function filterGradByProduct(simd: SimdKernels, wasm: WasmBackend, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, maxBytes = MAX_PATCH_BYTES): TensorInfo {
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const outC = g.outChannels;
  const at = (t: TensorInfo) => addressOf(wasm, t);
  if (g.inChannels === 1 && g.filterHeight === 3 && g.filterWidth === 3 && outC % 4 === 0) {
    // A first layer on one channel: the sums straight from x and dy, no patches (kernels.wat filtergrad3x3c1).
    const out = wasm.makeOutput([3, 3, 1, outC], 'float32');
    simd.filtergrad3x3c1(at(x), at(dy), at(out), g.batchSize, g.inHeight, g.inWidth, outC, g.strideHeight, g.strideWidth, g.padInfo.top, g.padInfo.left, g.outHeight, g.outWidth);
    return out;
  }
  const byTaps = outC % 8 === 0 && Math.ceil(taps / 4) * 4 < Math.ceil(taps / 8) * 8;
  const row = byTaps ? Math.ceil(taps / 4) * 4 : Math.ceil(taps / 8) * 8;
  const pixels = g.outHeight * g.outWidth;
  const part = Math.max(1, Math.min(g.batchSize, Math.floor(maxBytes / (4 * pixels * row))));
  const patches = wasm.makeOutput([part * pixels, row], 'float32');
  const shape = byTaps ? [row, outC] : [outC, row];
  const sum = wasm.makeOutput(shape, 'float32');
  // Each part after the first is multiplied here and added to the sum.
  const product = part < g.batchSize ? wasm.makeOutput(shape, 'float32') : sum;
  const out = wasm.makeOutput([g.filterHeight, g.filterWidth, g.inChannels, outC], 'float32');
  for (let b = 0; b < g.batchSize; b += part) {
    const n = Math.min(part, g.batchSize - b);
    const dyPart = at(dy) + 4 * b * pixels * outC;
    const target = b === 0 ? at(sum) : at(product);
    simd.im2col(at(x) + 4 * b * g.inHeight * g.inWidth * g.inChannels, at(patches), n, g.inHeight, g.inWidth, g.inChannels, g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.padInfo.top, g.padInfo.left, g.outHeight, g.outWidth, row);
    if (byTaps) simd.gemmta(at(patches), dyPart, target, row, n * pixels, outC);
    else simd.gemmta(dyPart, at(patches), target, outC, n * pixels, row);
    if (b > 0) simd.add(at(sum), at(product), at(sum), outC * row, outC * row);
  }
  const from = wasm.typedArrayFromHeap(sum) as Float32Array;
  const to = wasm.typedArrayFromHeap(out) as Float32Array;
  // dW[tap, o] = sum[tap, o], or sum[o, tap], for the taps (the padding dropped).
  if (byTaps) to.set(from.subarray(0, taps * outC));
  else for (let o = 0; o < outC; o++) for (let t = 0; t < taps; t++) to[t * outC + o] = from[o * row + t]!;
  for (const t of new Set([patches, product, sum])) wasm.disposeData(t.dataId);
  return out;
}

/**
 * Register strata's kernels on the wasm backend (idempotent). Call after the
 * backend is registered, and only on the TensorFlow.js release they were
 * written for (tfjs-version.ts; select.ts checks it).
 */
export function registerWasmKernels(tf: TfCore): void {
  const { backend_util } = tf;
  const simd = simdKernels(tf);
  const geometry = (xShape: Shape4, filterShape: Shape4, attrs: ConvAttrs, depthwise: boolean): ConvGeometry =>
    backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, depthwise);

  const register = (kernelName: string, kernelFunc: KernelFunc) => {
    if (tf.getKernel(kernelName, 'wasm') !== undefined) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    installed.add(kernelName);
  };

  const kernel = (name: string): KernelFunc => {
    const k = tf.getKernel(name, 'wasm');
    if (k === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
    return k.kernelFunc;
  };
  /** The backend's own kernel, also once strata's has replaced it (kept on strata's as `builtIn`). */
  const builtIn = (name: string): KernelFunc => {
    const k = kernel(name);
    return (k as { builtIn?: KernelFunc }).builtIn ?? k;
  };
  /** Register `f` for `name`; it gets the backend's own kernel to fall back on. */
  const replace = (name: string, f: (args: Parameters<KernelFunc>[0], own: KernelFunc) => ReturnType<KernelFunc>): KernelFunc => {
    const own = builtIn(name);
    const k = Object.assign((args: Parameters<KernelFunc>[0]) => f(args, own), { builtIn: own });
    register(name, k);
    return k;
  };

  // Identity shares the input's memory, as the backend's Reshape does, instead of copying it:
  // the engine clones through Identity every tensor a gradient saves and every tensor kept
  // out of a tidy, and tensors are never written in place.
  const share = (x: TensorInfo, backend: unknown): TensorInfo => {
    (backend as WasmBackend & { incRef(id: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  replace('Identity', (args, own) => {
    const x = args.inputs['x'] as TensorInfo;
    return x.dtype === 'string' ? own(args) : share(x, args.backend);
  });
  // Likewise a Cast to the dtype x has (Relu's gradient casts step(x), already float32: the
  // backend's own copies it, 1.8 ms for [128, 26, 26, 32]).
  replace('Cast', (args, own) => {
    const x = args.inputs['x'] as TensorInfo;
    return x.dtype === (args.attrs as { dtype?: string }).dtype && x.dtype !== 'string' ? share(x, args.backend) : own(args);
  });

  // A float sum over leading axes (every bias gradient): strata's SIMD column sum, else a
  // product with a row of ones. The backend's Sum transposes first (4.2 ms for [2048, 256]);
  // the product takes 89 µs there but packs its whole operand, about 2.5 ms for the [43264, 16]
  // gradient of the cnn benchmark's first convolution, where the column sum takes 0.2 ms.
  const matMulK = kernel('BatchMatMul');
  /** A float32 reduction over x's leading axes (Sum's and Mean's attributes): the rows it sums, their width and the output's shape; undefined for any other. */
  const leadingReduction = (args: Parameters<KernelFunc>[0]) => {
    const x = args.inputs['x'] as TensorInfo;
    const a = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(a.axis, x.shape);
    const leading = axes.length < x.shape.length && axes.every((i) => i < axes.length);
    if (x.dtype !== 'float32' || !leading || tf.util.sizeFromShape(x.shape) === 0) return undefined;
    const rows = axes.reduce((p, i) => p * x.shape[i]!, 1);
    const outShape = x.shape.flatMap((n, i) => (axes.includes(i) ? (a.keepDims ? [1] : []) : [n]));
    return { x, rows, cols: tf.util.sizeFromShape(x.shape) / rows, outShape };
  };
  /** A leading reduction's column sums, by strata's SIMD kernel. */
  const columnSums = (wasm: WasmBackend, r: NonNullable<ReturnType<typeof leadingReduction>>, k: SimdKernels): TensorInfo => {
    const out = wasm.makeOutput(r.outShape, 'float32');
    k.colsum(addressOf(wasm, r.x), addressOf(wasm, out), r.rows, r.cols);
    return out;
  };
  replace('Sum', (args, own) => {
    const r = leadingReduction(args);
    if (!r) return own(args);
    const wasm = args.backend as WasmBackend;
    if (simd) return columnSums(wasm, r, simd);
    const ones = wasm.makeOutput([1, 1, r.rows], 'float32');
    wasm.typedArrayFromHeap(ones).fill(1);
    const out = matMulK({ inputs: { a: ones, b: { ...r.x, shape: [1, r.rows, r.cols] } }, backend: wasm, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    wasm.disposeData(ones.dataId);
    return { ...out, shape: r.outShape };
  });

  // Mean over leading axes as the column sums, divided (batch norm's moments over [N, H, W]:
  // the backend's own transposes the input first, 9 ms for [128, 26, 26, 32]).
  if (simd) {
    replace('Mean', (args, own) => {
      const r = leadingReduction(args);
      if (!r) return own(args);
      const wasm = args.backend as WasmBackend;
      const out = columnSums(wasm, r, simd);
      const view = wasm.typedArrayFromHeap(out) as Float32Array;
      for (let i = 0; i < view.length; i++) view[i] = view[i]! / r.rows;
      return out;
    });
  }

  // Tile as copies: along each repeated axis from the last, the rows so far written `reps`
  // times side by side (copyrows; the backend's own computes an index per element: 177 ms
  // for batch norm's gradient's [1, 1, 1, 32] → [128, 26, 26, 32]).
  if (simd) {
    replace('Tile', (args, own) => {
      const x = args.inputs['x'] as TensorInfo;
      const { reps } = args.attrs as unknown as { reps: number[] };
      if (x.dtype === 'string' || x.dtype === 'complex64' || reps.length !== x.shape.length || tf.util.sizeFromShape(x.shape) === 0) return own(args);
      const wasm = args.backend as WasmBackend;
      const bytes = wasm.typedArrayFromHeap(x).BYTES_PER_ELEMENT;
      let shape = x.shape.slice();
      let current = x;
      for (let axis = shape.length - 1; axis >= 0; axis--) {
        const r = reps[axis]!;
        if (r === 1) continue;
        const next = shape.slice();
        next[axis] = shape[axis]! * r;
        const out = wasm.makeOutput(next, x.dtype);
        // Each block of the axes from `axis` on is written r times in a row.
        const block = tf.util.sizeFromShape(shape.slice(axis)) * bytes;
        const blocks = tf.util.sizeFromShape(shape.slice(0, axis));
        const [src, dst] = [addressOf(wasm, current), addressOf(wasm, out)];
        for (let k = 0; k < r; k++) simd.copyrows(src, dst + k * block, blocks, block, block, r * block);
        if (current !== x) wasm.disposeData(current.dataId);
        current = out;
        shape = next;
      }
      return current === x ? own(args) : current;
    });
  }

  // Float32 Add, Sub, Multiply and RealDiv on the calling thread (kernels.wat), where the
  // second operand has the output's shape, is a scalar, or repeats along the leading axes (a
  // bias); Add and Multiply also take the operands the other way round. The backend's own
  // kernels wake XNNPACK's thread pool for each call, which costs more than the arithmetic
  // at the sizes of a training step. Other broadcasts keep the backend's kernels.
  if (simd) {
    const binary = [
      ['Add', simd.add, true, (x: number, y: number) => x + y],
      ['Sub', simd.sub, false, (x: number, y: number) => x - y],
      ['Multiply', simd.mul, true, (x: number, y: number) => x * y],
      ['RealDiv', simd.div, false, (x: number, y: number) => x / y],
    ] as const;
    for (const [name, op, commutes, one] of binary) {
      replace(name, (args, own) => {
        let { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
        if (a.dtype !== 'float32' || b.dtype !== 'float32') return own(args);
        const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
        const n = tf.util.sizeFromShape(shape);
        if (n === 0) return own(args);
        if (tf.util.sizeFromShape(a.shape) !== n && commutes) [a, b] = [b, a];
        const p = tf.util.sizeFromShape(b.shape);
        if (tf.util.sizeFromShape(a.shape) === n && n <= MAX_ROW_BROADCAST && oneARow(b.shape, shape)) {
          // b one value a row ([rows, 1] against [rows, cols]: a sum's gradient, a loss's
          // per-example weights), in JavaScript: small, and the backend's own wakes its
          // thread pool (160 µs for [64, 1] · [64, 10] on two threads). Float32 results are
          // the same: + − × ÷ of two float32 values, rounded to double and then to float32,
          // give the correctly rounded float32 result.
          const cols = shape[shape.length - 1]!;
          return compute(args.backend as WasmBackend, shape, 'float32', [a, b], (out, av, bv) => {
            for (let i = 0; i < n; i++) out[i] = one(av![i]!, bv![Math.floor(i / cols)]!);
          });
        }
        if (tf.util.sizeFromShape(a.shape) !== n || !repeatsAlongLeading(b.shape, shape)) return own(args);
        // out = a op b, b repeating every p of the n elements.
        const wasm = args.backend as WasmBackend;
        const out = wasm.makeOutput(shape, 'float32');
        op(addressOf(wasm, a), addressOf(wasm, b), addressOf(wasm, out), n, p);
        return out;
      });
    }
    // Float32 kernels of one input, likewise.
    const unary = (name: string, run: (x: number, out: number, n: number, attrs: Record<string, unknown>) => void) =>
      replace(name, (args, own) => {
        const x = args.inputs['x'] as TensorInfo;
        const n = tf.util.sizeFromShape(x.shape);
        if (x.dtype !== 'float32' || n === 0) return own(args);
        const wasm = args.backend as WasmBackend;
        const out = wasm.makeOutput(x.shape, 'float32');
        run(addressOf(wasm, x), addressOf(wasm, out), n, args.attrs as Record<string, unknown>);
        return out;
      });
    // Square as x · x (the recurrent layers' gradients square their gates).
    unary('Square', (x, out, n) => simd.mul(x, x, out, n, n));
    // Relu and Step (Relu's gradient is dy · step(x)): the mlp's three per layer and step.
    unary('Relu', (x, out, n) => simd.relu(x, out, n));
    unary('Step', (x, out, n, attrs) => simd.step(x, out, n, (attrs['alpha'] as number | undefined) ?? 0));
    // strata's own kernels, each one SIMD function: float32 inputs in the function's order,
    // then fresh outputs (`outs` gives their shapes), then the sizes `dims` gives.
    const ownKernel = (name: string, ins: string[], outs: (given: TensorInfo[]) => number[][], dims: (given: TensorInfo[]) => number[], run: (...args: number[]) => void) =>
      register(name, ({ inputs, backend }) => {
        const wasm = backend as WasmBackend;
        const given = ins.map((n) => (inputs as Record<string, TensorInfo>)[n]!);
        const made = outs(given).map((shape) => wasm.makeOutput(shape, 'float32'));
        run(...[...given, ...made].map((t) => addressOf(wasm, t)), ...dims(given));
        return made;
      });
    // The LSTM's and the reset-after GRU's time step and their gradients (layers/custom/rnn-sequence.ts
    // runs them): sized by the batch and units of the [batch, units] input named last.
    const cellKernel = (name: string, ins: string[], outs: (batch: number, units: number) => number[][], run: (...args: number[]) => void) => {
      const sizes = (given: TensorInfo[]) => given[given.length - 1]!.shape as [number, number];
      ownKernel(name, ins, (given) => outs(...sizes(given)), sizes, run);
    };
    cellKernel(LSTM_CELL_KERNEL, ['z', 'c'], (b, u) => [[b, 4 * u], [b, u], [b, u], [b, u]], simd.lstmcell);
    cellKernel(LSTM_CELL_GRAD_KERNEL, ['dh', 'dc', 'a', 'cp', 'tc'], (b, u) => [[b, 4 * u], [b, u]], simd.lstmcellgrad);
    cellKernel(GRU_CELL_KERNEL, ['p', 'q', 'h'], (b, u) => [[b, 2 * u], [b, u], [b, u]], simd.grucell);
    cellKernel(GRU_CELL_GRAD_KERNEL, ['dh', 'h', 'zr', 'q', 'cand'], (b, u) => [[b, 3 * u], [b, 3 * u], [b, u]], simd.grucellgrad);
    // Batch and layer normalization's passes (channels a multiple of 4) and softmax's gradient
    // over a whole [..., channels] tensor (layers/custom/batch-norm.ts, layer-norm-op.ts and backend/gradients.ts run them):
    // outputs shaped as x ('x'), as [channels] ('c') or as x with a last axis of 1 ('r'), sized
    // by the rows (every axis but the last) and channels of the input named first.
    const channelKernel = (name: string, ins: string[], outs: ('x' | 'c' | 'r')[], run: (...args: number[]) => void) => {
      const sizes = (given: TensorInfo[]) => {
        const shape = given[0]!.shape;
        const cols = shape[shape.length - 1]!;
        return [tf.util.sizeFromShape(shape) / cols, cols];
      };
      const shapes = { x: (x: number[]) => x, c: (x: number[]) => x.slice(-1), r: (x: number[]) => [...x.slice(0, -1), 1] };
      ownKernel(name, ins, (given) => outs.map((o) => shapes[o](given[0]!.shape)), sizes, run);
    };
    channelKernel(CHANNEL_MOMENTS_KERNEL, ['x'], ['c', 'c'], simd.bnstats);
    channelKernel(CHANNEL_AFFINE_KERNEL, ['x', 'a', 'b'], ['x'], simd.bnaffine);
    channelKernel(BATCH_NORM_SUMS_KERNEL, ['dy', 'x', 'mean'], ['c', 'c'], simd.bnsums);
    channelKernel(BATCH_NORM_GRAD_KERNEL, ['dy', 'x', 'mean', 'A', 'B', 'C'], ['x'], simd.bngrad);
    channelKernel(ROW_MOMENTS_KERNEL, ['x'], ['r', 'r'], simd.rowstats);
    channelKernel(LAYER_NORM_AFFINE_KERNEL, ['x', 'mean', 'inv', 'gamma', 'beta'], ['x'], simd.lnaffine);
    channelKernel(LAYER_NORM_GRAD_KERNEL, ['dy', 'x', 'mean', 'inv', 'gamma'], ['x', 'c', 'c'], simd.lngrad);
    channelKernel(SOFTMAX_GRAD_KERNEL, ['dy', 'y'], ['x'], simd.softmaxgrad);
    channelKernel(RELU_GRAD_SUMS_KERNEL, ['dy', 'x'], ['x', 'c'], simd.relugradsums);
    // Relu's gradient (backend/gradients.ts runs it): dx shaped as dy, over every element.
    ownKernel(RELU_GRAD_KERNEL, ['dy', 'x'], ([dy]) => [dy!.shape], ([dy]) => [tf.util.sizeFromShape(dy!.shape)], simd.relugrad);
    // Tanh four at a time (the backend's calls tanhf an element at a time): the recurrent layers' cells.
    unary('Tanh', (x, out, n) => simd.tanh(x, out, n));
  }

  // Gathers from a view of the heap (gather.ts).
  replace('GatherV2', (args, own) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    if (x.dtype === 'string') return own(args);
    const a = args.attrs as unknown as { axis: number; batchDims: number };
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0]!;
    const info = backend_util.segment_util.collectGatherOpShapeInfo(x as never, indices as never, axis, a.batchDims);
    return compute(args.backend as WasmBackend, info.outputShape, x.dtype, [x, indices], (out, xv, iv) => gatherInto(info, xv as Float32Array, iv!, out));
  });

  // Slices from a view of the heap (slice.ts), by memory.copy runs with the SIMD module;
  // strings keep the backend's own kernels.
  const box = (backend: WasmBackend, x: TensorInfo, begin: number[], size: number[], outShape: number[]): TensorInfo =>
    compute(backend, outShape, x.dtype, [x], (out, xv) => {
      const bytes = out.BYTES_PER_ELEMENT;
      const [src, dst] = [(xv as Float32Array).byteOffset, out.byteOffset];
      const runs: CopyRuns | undefined = simd && ((from, to, rows, run, stride) => simd.copyrows(src + from * bytes, dst + to * bytes, rows, run * bytes, stride * bytes, run * bytes));
      sliceInto(xv as Float32Array, x.shape, begin, size, out, runs);
    });
  // Concatenation: each input's rows to their place in the output's, a memory.copy a row.
  if (simd) {
    replace('Concat', (args, own) => {
      const inputs = Object.values(args.inputs) as TensorInfo[];
      const dtype = inputs[0]?.dtype;
      if (dtype === undefined || dtype === 'string' || dtype === 'complex64' || inputs.some((t) => t.dtype !== dtype)) return own(args);
      const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, inputs[0]!.shape)[0]!;
      const outShape = backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
      const wasm = args.backend as WasmBackend;
      const out = wasm.makeOutput(outShape, dtype);
      const total = tf.util.sizeFromShape(outShape);
      if (total === 0) return out;
      const view = wasm.typedArrayFromHeap(out);
      const bytes = view.BYTES_PER_ELEMENT;
      const rows = tf.util.sizeFromShape(outShape.slice(0, axis));
      const rowBytes = (total / rows) * bytes;
      let offset = 0;
      for (const t of inputs) {
        const run = tf.util.sizeFromShape(t.shape.slice(axis)) * bytes;
        if (run > 0) simd.copyrows(addressOf(wasm, t), view.byteOffset + offset, rows, run, run, rowBytes);
        offset += run;
      }
      return out;
    });
  }
  replace('Slice', (args, own) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype === 'string') return own(args);
    const a = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as never, a.begin, a.size);
    return box(args.backend as WasmBackend, x, begin, size, size);
  });
  replace('SplitV', (args, own) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype === 'string') return own(args);
    const a = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x as never, a.numOrSizeSplits, axis);
    const begin = x.shape.map(() => 0);
    return sizes.map((n) => {
      const size = x.shape.slice();
      size[axis] = n;
      const out = box(args.backend as WasmBackend, x, begin.slice(), size, size);
      begin[axis]! += n;
      return out;
    });
  });
  replace('Unpack', (args, own) => {
    const x = args.inputs['value'] as TensorInfo;
    if (x.dtype === 'string') return own(args);
    const rank = x.shape.length;
    const axis = ((args.attrs as unknown as { axis: number }).axis + rank) % rank;
    const size = x.shape.slice();
    size[axis] = 1;
    const outShape = x.shape.filter((_, i) => i !== axis);
    return Array.from({ length: x.shape[axis]! }, (_, i) => box(args.backend as WasmBackend, x, x.shape.map((_, j) => (j === axis ? i : 0)), size, outShape));
  });

  const conv2d = kernel('Conv2D');
  // Transposes of (batches of) matrices of 32-bit elements: strata's SIMD kernel, 4 × 4
  // blocks in registers; without it, large ones in tiles (transpose.ts). The rest keep
  // the backend's own kernel, which walks the output an element at a time.
  const transposeK = replace('Transpose', (args, own) => {
    const x = args.inputs['x'] as TensorInfo;
    const { perm } = args.attrs as unknown as { perm: number[] };
    const matrix = asMatrixTranspose(x.shape, perm);
    const wide = x.dtype === 'float32' || x.dtype === 'int32';
    if (!matrix || !wide || (!simd && tf.util.sizeFromShape(x.shape) < MIN_TILED_TRANSPOSE)) return own(args);
    const { batch, rows, cols } = matrix;
    return compute(args.backend as WasmBackend, perm.map((a) => x.shape[a]!), x.dtype, [x], (out, xv) => {
      const src = xv as Float32Array;
      if (!simd) return transposeTiled(src, batch, rows, cols, out);
      for (let i = 0; i < batch; i++) simd.transpose(src.byteOffset + 4 * i * rows * cols, out.byteOffset + 4 * i * rows * cols, rows, cols);
    });
  });
  const sliceK = kernel('Slice');
  // Conv2DBackpropFilter as one forward convolution (conv-filter-grad.ts).
  register('Conv2DBackpropFilter', ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as ConvAttrs;
    nhwcOnly(a, 'Conv2DBackpropFilter');
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    // Like the cpu backend, dilation 1: tfjs-core's conv2d gradient refuses dilated convolutions.
    const g = geometry(x.shape as Shape4, a.filterShape!, { ...a, dilations: 1 }, false);
    if (simd?.fused && x.dtype === 'float32' && g.outChannels % 4 === 0) return filterGradByProduct(simd, backend as unknown as WasmBackend, x, dy, g);
    return conv2dFilterGrad({ transpose: transposeK, conv2d, slice: sliceK }, backend as KernelBackend, x, dy, g);
  });

  // Conv2DBackpropInput at stride 1 as one forward convolution of dy with the filter
  // flipped in space and with its channels swapped (wasm's own kernel took a third of
  // the cnn benchmark's time); other strides keep wasm's kernel.
  const ownBackpropInput = kernel('Conv2DBackpropInput');
  const reverseK = kernel('Reverse');
  register('Conv2DBackpropInput', (args) => {
    const { inputs, backend, attrs } = args;
    const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 };
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const g = geometry(a.inputShape, filter.shape as Shape4, { ...a, dilations: 1 }, false);
    if (g.strideHeight !== 1 || g.strideWidth !== 1 || (a.dataFormat !== undefined && a.dataFormat !== 'NHWC')) return ownBackpropInput(args);
    const wasm = backend as WasmBackend;
    const run = (k: KernelFunc, ins: Record<string, TensorInfo>, at: NamedAttrMap) => k({ inputs: ins, backend, attrs: at }) as TensorInfo;
    const flipped = run(reverseK, { x: filter }, { dims: [0, 1] });
    const swapped = run(transposeK, { x: flipped }, { perm: [0, 1, 3, 2] });
    wasm.disposeData(flipped.dataId);
    const { top, left, bottom, right } = g.padInfo as { top: number; left: number; bottom: number; right: number };
    const kh = g.filterHeight - 1;
    const kw = g.filterWidth - 1;
    const pad = [[0, 0], [kh - top, kh - bottom], [kw - left, kw - right], [0, 0]];
    const out = run(conv2d, { x: dy, filter: swapped }, { strides: 1, pad, dilations: 1, dataFormat: 'NHWC' } as unknown as NamedAttrMap);
    wasm.disposeData(swapped.dataId);
    return out;
  });

  register('DepthwiseConv2dNativeBackpropFilter', ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as ConvAttrs;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const g = geometry(x.shape as Shape4, a.filterShape!, a, true);
    return compute(backend as WasmBackend, a.filterShape!, 'float32', [x, dy], (out, xv, dyv) => depthwiseBackpropFilter(g, xv!, dyv!, out as Float32Array));
  });

  register('DepthwiseConv2dNativeBackpropInput', ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as ConvAttrs;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const g = geometry(a.inputShape!, filter.shape as Shape4, a, true);
    return compute(backend as WasmBackend, a.inputShape!, 'float32', [dy, filter], (out, dyv, fv) => depthwiseBackpropInput(g, dyv!, fv!, out as Float32Array));
  });

  register('UnsortedSegmentSum', ({ inputs, backend, attrs }) => {
    const { numSegments } = attrs as unknown as { numSegments: number };
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const rest = x.shape.slice(segmentIds.shape.length);
    const inner = rest.reduce((p, d) => p * d, 1);
    const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
    return compute(backend as WasmBackend, [numSegments, ...rest], dtype, [x, segmentIds], (out, xv, ids) => unsortedSegmentSum(xv!, ids!, inner, numSegments, out));
  });

  register('MaxPoolGrad', ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as { filterSize: Pair; strides: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    const { dy, input, output } = inputs as { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
    const g = backend_util.computePool2DInfo(input.shape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    return compute(backend as WasmBackend, input.shape, 'float32', [input, output, dy], (out, xv, yv, dyv) => maxPoolGrad(g, xv as Float32Array, yv as Float32Array, dyv as Float32Array, out as Float32Array, simd?.maxpoolgrad2x2));
  });

  // Adam's step for one variable in one pass (adam.ts; used by src/train-registry/fused-adam.ts).
  register(ADAM_KERNEL, ({ inputs, backend, attrs }) => {
    const { value, gradient, m, v, accBeta1, accBeta2 } = inputs as Record<string, TensorInfo>;
    const wasm = backend as WasmBackend;
    const outs = [value!, m!, v!].map((t) => wasm.makeOutput(t.shape, 'float32'));
    const view = (t: TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
    const a = attrs as unknown as AdamAttrs;
    if (simd) {
      const k = adamConstants(a, view(accBeta1!)[0]!, view(accBeta2!)[0]!);
      const at = (t: TensorInfo) => addressOf(wasm, t);
      simd.adam(at(value!), at(gradient!), at(m!), at(v!), at(outs[0]!), at(outs[1]!), at(outs[2]!), tf.util.sizeFromShape(value!.shape), k.b1, k.b2, k.c1, k.c2, k.k1, k.k2, k.eps);
    } else {
      adamStep(a, view(accBeta1!)[0]!, view(accBeta2!)[0]!, view(value!), view(gradient!), view(m!), view(v!), view(outs[0]!), view(outs[1]!), view(outs[2]!));
    }
    return outs;
  });

  // A classifier's softmax, sparse cross-entropy and its gradient in one pass (softmax-cross-entropy.ts;
  // used by src/train-registry/losses.ts).
  register(SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL, ({ inputs, backend, attrs }) => {
    const { logits, labels } = inputs as Record<string, TensorInfo>;
    const wasm = backend as WasmBackend;
    const classes = logits!.shape[logits!.shape.length - 1]!;
    const rows = tf.util.sizeFromShape(logits!.shape) / classes;
    if (logits!.dtype !== 'float32' || tf.util.sizeFromShape(labels!.shape) !== rows) throw new Error(`${SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL} takes float32 logits and one label a row (got ${logits!.dtype} [${logits!.shape}] and labels [${labels!.shape}])`);
    const outs = [logits!.shape, [], logits!.shape].map((shape) => wasm.makeOutput(shape, 'float32'));
    const view = (t: TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
    const { epsilon, scale } = attrs as unknown as { epsilon: number; scale: number };
    view(outs[1]!)[0] = sparseSoftmaxCrossEntropy(view(logits!), wasm.typedArrayFromHeap(labels!), rows, classes, epsilon, scale, view(outs[0]!), view(outs[2]!));
    return outs;
  });

  // Transposed and batched products: on the backend's fast path when large enough (batch-matmul.ts).
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (matMul !== undefined && !(matMul.kernelFunc as { strata?: boolean }).strata) {
    const fast = fastBatchMatMul(matMul.kernelFunc, transposeK, undefined, simd, simd?.fused);
    (fast as { strata?: boolean }).strata = true;
    register('BatchMatMul', fast);
    // The dense layers' product with its bias (and relu) in one: the product above (strata's
    // where it takes it), then the bias and relu in place on its fresh result. The backend's
    // own is XNNPACK's fully connected operator, which packs the weights anew each step they change.
    if (simd?.fused) {
      const simdK = simd;
      replace('_FusedMatMul', (args, own) => {
        const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
        const { transposeA, transposeB, activation } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
        const n = b!.shape[transposeB ? b!.shape.length - 2 : b!.shape.length - 1]!;
        const plain = activation === undefined || activation === 'linear' || activation === 'relu';
        const m = a!.shape[transposeA ? a!.shape.length - 1 : a!.shape.length - 2]!;
        const outShape = [...a!.shape.slice(0, -2), m, n];
        if (!plain || preluActivationWeights || a!.dtype !== 'float32' || b!.dtype !== 'float32' || (bias && (bias.dtype !== 'float32' || !repeatsAlongLeading(bias.shape, outShape)))) return own(args);
        const wasm = args.backend as WasmBackend;
        const out = fast({ inputs: { a: a!, b: b! }, backend: wasm, attrs: { transposeA, transposeB } }) as TensorInfo;
        const size = tf.util.sizeFromShape(out.shape);
        if (bias) simdK.add(addressOf(wasm, out), addressOf(wasm, bias), addressOf(wasm, out), size, tf.util.sizeFromShape(bias.shape));
        if (activation === 'relu') simdK.relu(addressOf(wasm, out), addressOf(wasm, out), size);
        return out;
      });
    }
  }
}
