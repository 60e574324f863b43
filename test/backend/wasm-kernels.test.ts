/**
 * strata's wasm kernels against the cpu backend's: the same kernel on the same
 * random inputs, max relative difference below 1e-4, over several shapes,
 * strides and paddings.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import '@tensorflow/tfjs-backend-cpu';
import { loadEngine } from '../../src/backend/select.js';
import type { TfCore } from '../../src/tf-types.js';
import { Rng } from '../../src/rng.js';
import { maxRelDiff } from '../helpers/layers.js';
import { RELU_GRAD_KERNEL, SOFTMAX_GRAD_KERNEL, SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL } from '../../src/kernel-names.js';
import { trainRegistry } from '../../src/train-registry/catalog.js';
import { kernelsRun } from '../helpers/backends.js';

let tf: TfCore;
before(async () => {
  tf = (await loadEngine('wasm')).tf;
});

/** A small deterministic generator (mulberry32) so failures reproduce. */
/** Uniform numbers in [0, 1) from the project's seeded generator. */
function random(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

function values(n: number, seed: number): Float32Array {
  const r = random(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

interface Input {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype?: 'float32' | 'int32';
}

/** Run one kernel on a backend and read its output. */
async function run(backend: string, kernel: string, inputs: Record<string, Input>, attrs: Record<string, unknown>): Promise<{ shape: number[]; data: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const ins = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.data, v.shape, v.dtype ?? 'float32')]));
    const out = tf.engine().runKernel(kernel, ins, attrs as never) as import('@tensorflow/tfjs-core').Tensor;
    return { shape: out.shape, data: Float32Array.from(out.dataSync()) };
  });
}

async function agree(kernel: string, inputs: Record<string, Input>, attrs: Record<string, unknown>): Promise<void> {
  const cpu = await run('cpu', kernel, inputs, attrs);
  const wasm = await run('wasm', kernel, inputs, attrs);
  assert.deepEqual(wasm.shape, cpu.shape);
  const d = maxRelDiff(wasm.data, cpu.data);
  assert.ok(d < 1e-4, `${kernel} ${JSON.stringify(attrs)} on ${Object.values(inputs).map((i) => i.shape.join('×')).join(', ')}: max relative difference ${d}`);
}

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);

/** [batch, height, width, inChannels, kernel, outChannels or channel multiplier] */
const SHAPES: [number, number, number, number, number, number][] = [
  [2, 7, 7, 1, 3, 4],
  [3, 9, 8, 3, 3, 5],
  [1, 6, 6, 4, 2, 2],
  [2, 5, 5, 2, 1, 3],
];
const CASES = SHAPES.flatMap((shape) => [1, 2].flatMap((stride) => (['same', 'valid'] as const).map((pad) => ({ shape, stride, pad }))));

/** The output shape of a forward convolution, to size dy. */
function outShape(tfc: TfCore, x: number[], f: number[], stride: number, pad: 'same' | 'valid', depthwise: boolean): number[] {
  return tfc.backend_util.computeConv2DInfo(x as never, f as never, stride, 1, pad, undefined, depthwise).outShape;
}

test('Conv2DBackpropFilter matches the cpu backend', async () => {
  let seed = 1;
  for (const { shape: [b, h, w, c, k, o], stride, pad } of CASES) {
    const x = [b, h, w, c];
    const f = [k, k, c, o];
    const dy = outShape(tf, x, f, stride, pad, false);
    await agree('Conv2DBackpropFilter', { x: { shape: x, data: values(size(x), seed++) }, dy: { shape: dy, data: values(size(dy), seed++) } }, { strides: stride, pad, dataFormat: 'NHWC', dilations: 1, filterShape: f });
  }
});

test('Conv2DBackpropFilter by strata\'s products (out-channels in fours): channels in fours and not, strides, padding', async () => {
  let seed = 500;
  const cases: { shape: [number, number, number, number, number, number]; stride: number; pad: 'same' | 'valid' }[] = [
    { shape: [3, 9, 8, 8, 3, 8], stride: 2, pad: 'same' },
    { shape: [2, 10, 11, 5, 3, 12], stride: 1, pad: 'same' },
    { shape: [2, 10, 11, 5, 2, 4], stride: 2, pad: 'valid' },
    // Three input channels and out-channels in eights: patchesᵀ · dy (27 taps padded to 28).
    { shape: [3, 9, 9, 3, 3, 16], stride: 1, pad: 'valid' },
    // One input channel, 3 × 3: the sums straight from x and dy (filtergrad3x3c1), the window
    // leaving x on the bottom and right only (even size, stride 2, same), and on every side.
    { shape: [3, 10, 10, 1, 3, 8], stride: 2, pad: 'same' },
    { shape: [2, 7, 6, 1, 3, 12], stride: 1, pad: 'same' },
    { shape: [2, 8, 8, 2, 3, 8], stride: 2, pad: 'same' },
  ];
  for (const { shape: [b, h, w, c, k, o], stride, pad } of cases) {
    const x = [b, h, w, c];
    const f = [k, k, c, o];
    const dy = outShape(tf, x, f, stride, pad, false);
    await agree('Conv2DBackpropFilter', { x: { shape: x, data: values(size(x), seed++) }, dy: { shape: dy, data: values(size(dy), seed++) } }, { strides: stride, pad, dataFormat: 'NHWC', dilations: 1, filterShape: f });
  }
});

test('Conv2DBackpropFilter by products: a batch whose patches exceed the limit, in parts, gives the whole batch\'s gradient', async () => {
  const { filterGradByProduct } = await import('../../src/backend/wasm-kernels/register.js');
  const { backendMemory, loadSimdKernels } = await import('../../src/backend/simd/kernels.js');
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as Parameters<typeof filterGradByProduct>[1] & { wasm: import('../../src/backend/simd/kernels.js').EmscriptenModule };
  const simd = loadSimdKernels(backendMemory(backend.wasm)!)!;
  // [input channels, patch row]: 72 taps (dyᵀ · patches, rows of 72) and 27 (patchesᵀ · dy, rows of 28).
  for (const [c, row] of [[8, 72], [3, 28]] as const) {
    await tf.setBackend('wasm');
    const xShape: [number, number, number, number] = [6, 12, 12, c];
    const filterShape: [number, number, number, number] = [3, 3, c, 16];
    const g = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, 1, 'same');
    const x = tf.tensor(values(size(xShape), 700), xShape);
    const dy = tf.tensor(values(size(g.outShape), 701), g.outShape);
    const info = (t: import('@tensorflow/tfjs-core').Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    const read = (t: { dataId: object; shape: number[] }) => {
      const data = Float32Array.from(backend.typedArrayFromHeap(t as never) as Float32Array);
      backend.disposeData(t.dataId);
      return data;
    };
    const whole = read(filterGradByProduct(simd, backend, info(x), info(dy), g));
    // 4 · 144 · row bytes of patches an image: a limit of 2.5 images' worth makes parts of 2.
    const parts = read(filterGradByProduct(simd, backend, info(x), info(dy), g, 2.5 * 4 * 144 * row));
    assert.ok(maxRelDiff(parts, whole) < 1e-4, `in parts the gradient differs by ${maxRelDiff(parts, whole)}`);
    const cpu = (await run('cpu', 'Conv2DBackpropFilter', { x: { shape: xShape, data: values(size(xShape), 700) }, dy: { shape: g.outShape, data: values(size(g.outShape), 701) } }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, filterShape })).data;
    assert.ok(maxRelDiff(whole, cpu) < 1e-4, `the gradient differs from the cpu backend's by ${maxRelDiff(whole, cpu)}`);
    tf.dispose([x, dy]);
  }
});

test('Conv2DBackpropFilter at MNIST size (relu-sparse input) matches the cpu backend', async () => {
  const x = [8, 13, 13, 8];
  const f = [3, 3, 8, 16];
  const xs = values(size(x), 99).map((v) => Math.max(0, v));
  const dy = outShape(tf, x, f, 1, 'valid', false);
  await agree('Conv2DBackpropFilter', { x: { shape: x, data: xs }, dy: { shape: dy, data: values(size(dy), 100) } }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, filterShape: f });
});

test('Conv2DBackpropInput matches the cpu backend', async () => {
  let seed = 300;
  for (const { shape: [b, h, w, c, k, o], stride, pad } of CASES) {
    const x = [b, h, w, c];
    const f = [k, k, c, o];
    const dy = outShape(tf, x, f, stride, pad, false);
    await agree('Conv2DBackpropInput', { dy: { shape: dy, data: values(size(dy), seed++) }, filter: { shape: f, data: values(size(f), seed++) } }, { strides: stride, pad, dataFormat: 'NHWC', dilations: 1, inputShape: x });
  }
});

test('DepthwiseConv2dNativeBackpropFilter matches the cpu backend', async () => {
  let seed = 200;
  for (const { shape: [b, h, w, c, k, m], stride, pad } of CASES) {
    const x = [b, h, w, c];
    const f = [k, k, c, m];
    const dy = outShape(tf, x, f, stride, pad, true);
    await agree('DepthwiseConv2dNativeBackpropFilter', { x: { shape: x, data: values(size(x), seed++) }, dy: { shape: dy, data: values(size(dy), seed++) } }, { strides: stride, pad, dilations: 1, filterShape: f });
  }
});

test('DepthwiseConv2dNativeBackpropInput matches the cpu backend', async () => {
  let seed = 400;
  for (const { shape: [b, h, w, c, k, m], stride, pad } of CASES) {
    const x = [b, h, w, c];
    const f = [k, k, c, m];
    const dy = outShape(tf, x, f, stride, pad, true);
    await agree('DepthwiseConv2dNativeBackpropInput', { dy: { shape: dy, data: values(size(dy), seed++) }, filter: { shape: f, data: values(size(f), seed++) } }, { strides: stride, pad, dilations: 1, inputShape: x });
  }
});

test('UnsortedSegmentSum matches the cpu backend (embedding gradients)', async () => {
  for (const [rows, inner, segments, seed] of [[10, 4, 3, 1], [50, 8, 20, 2], [7, 1, 7, 3]] as const) {
    const r = random(seed);
    const ids = Int32Array.from({ length: rows }, () => Math.floor(r() * segments));
    await agree('UnsortedSegmentSum', { x: { shape: [rows, inner], data: values(rows * inner, seed + 10) }, segmentIds: { shape: [rows], data: ids, dtype: 'int32' } }, { numSegments: segments });
  }
});

test('MaxPoolGrad matches the cpu backend (strides, paddings, ties among relu zeros)', async () => {
  let seed = 900;
  const cases: { shape: number[]; filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' }[] = [
    { shape: [2, 6, 6, 3], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [2, 26, 26, 16], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [1, 7, 7, 4], filterSize: 3, strides: 2, pad: 'same' },
    { shape: [2, 5, 5, 2], filterSize: 2, strides: 1, pad: 'same' },
    { shape: [1, 9, 8, 5], filterSize: [3, 2], strides: [2, 3], pad: 'valid' },
    { shape: [1, 7, 9, 3], filterSize: 3, strides: 3, pad: 'same' },
    { shape: [2, 7, 9, 3], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [2, 7, 9, 3], filterSize: 2, strides: 2, pad: 'same' },
    // Channels in fours: strata's SIMD loop, also where odd sizes leave an edge outside every window.
    { shape: [2, 7, 9, 8], filterSize: 2, strides: 2, pad: 'valid' },
    { shape: [3, 4, 4, 4], filterSize: 2, strides: 2, pad: 'valid' },
  ];
  for (const { shape, filterSize, strides, pad } of cases) {
    for (const relu of [false, true]) {
      // After a relu many inputs are 0, so windows tie: the gradient goes to the first maximum.
      const x = values(size(shape), seed++).map((v) => (relu ? Math.max(0, v) : v));
      await tf.setBackend('cpu');
      const output = tf.tidy(() => {
        const y = tf.maxPool(tf.tensor4d(x, shape as [number, number, number, number]), filterSize, strides, pad);
        return { shape: y.shape, data: Float32Array.from(y.dataSync()) };
      });
      await agree('MaxPoolGrad', { dy: { shape: output.shape, data: values(size(output.shape), seed++) }, input: { shape, data: x }, output }, { filterSize, strides, pad });
    }
  }
});

test('BatchMatMul with transposed operands and batches matches the cpu backend, below and above the size limits', async () => {
  const { MIN_SLICE_WORK, MIN_TRANSPOSE_WORK } = await import('../../src/backend/wasm-kernels/batch-matmul.js');
  let seed = 600;
  // [outer dims of a, outer dims of b, m, k, n]: single pairs and batches on both sides of the
  // limits (m·k·n from 105 to 42,240 against limits of 8,192), a rank-4 batch, and broadcasting.
  const cases: [number[], number[], number, number, number][] = [
    [[1], [1], 5, 7, 3],
    [[], [], 24, 20, 19],
    [[1], [1], 64, 33, 20],
    [[2], [2], 16, 9, 11],
    [[3], [3], 32, 24, 20],
    [[2, 3], [2, 3], 17, 31, 19],
    [[1], [4], 30, 20, 30],
    [[4], [1], 30, 20, 30],
    // strata's SIMD product (rows a multiple of 4 up to MAX_DIRECT_ROWS, columns of 8), single
    // pairs and batches, K across its 512-row blocks, and just past the row limit.
    [[1], [1], 64, 33, 24],
    [[], [], 8, 1100, 16],
    [[3], [3], 32, 24, 16],
    [[1], [1], 160, 20, 8],
    [[1], [1], 164, 20, 8],
  ];
  assert.ok(24 * 20 * 19 >= MIN_TRANSPOSE_WORK && 32 * 24 * 20 >= MIN_SLICE_WORK && 16 * 9 * 11 < MIN_SLICE_WORK, 'the cases straddle the limits');
  for (const [outerA, outerB, m, k, n] of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a = [...outerA, ...(transposeA ? [k, m] : [m, k])];
        const b = [...outerB, ...(transposeB ? [n, k] : [k, n])];
        await agree('BatchMatMul', { a: { shape: a, data: values(size(a), seed++) }, b: { shape: b, data: values(size(b), seed++) } }, { transposeA, transposeB });
      }
    }
  }
});

test('_FusedMatMul (a dense layer\'s product, bias and relu) matches the cpu backend: n in eights and not, transposes, no bias, other activations', async () => {
  let seed = 650;
  // [m, k, n, transposeA, transposeB, bias, activation]
  const cases: [number, number, number, boolean, boolean, boolean, string][] = [
    [64, 128, 10, false, false, true, 'linear'],
    [64, 128, 16, false, false, true, 'relu'],
    [8, 20, 10, true, false, true, 'relu'],
    [12, 30, 24, false, true, false, 'linear'],
    [64, 800, 10, false, false, true, 'linear'],
    [16, 20, 8, false, false, true, 'elu'],
    [8, 12, 8, false, false, true, 'relu'],
  ];
  assert.ok('builtIn' in tf.getKernel('_FusedMatMul', 'wasm')!.kernelFunc, "strata's _FusedMatMul is registered");
  for (const [m, k, n, transposeA, transposeB, bias, activation] of cases) {
    // Rank 3, as tf.fused.matMul hands them to the kernel.
    const a = transposeA ? [1, k, m] : [1, m, k];
    const b = transposeB ? [1, n, k] : [1, k, n];
    const inputs: Record<string, Input> = { a: { shape: a, data: values(size(a), seed++) }, b: { shape: b, data: values(size(b), seed++) } };
    if (bias) inputs['bias'] = { shape: [n], data: values(n, seed++) };
    await agree('_FusedMatMul', inputs, { transposeA, transposeB, activation });
  }
});

test('a right operand multiplied a second time gives the same product (on XNNPACK where the unfused product took the first)', async () => {
  const { MAX_DIRECT_ROWS } = await import('../../src/backend/wasm-kernels/batch-matmul.js');
  await tf.setBackend('wasm');
  const a = tf.tensor(values(64 * 40, 901), [64, 40]);
  const b = tf.tensor(values(40 * 32, 902), [40, 32]);
  assert.ok(64 <= MAX_DIRECT_ROWS);
  const first = tf.matMul(a, b);
  const second = tf.matMul(a, b);
  const d = maxRelDiff(Float32Array.from(second.dataSync()), Float32Array.from(first.dataSync()));
  assert.ok(d < 1e-5, `the two products differ by ${d}`);
  tf.dispose([a, b, first, second]);
});

test('Square, Add, Sub, Multiply and RealDiv match the cpu backend: one shape, scalars, biases, other broadcasts, odd lengths', async () => {
  let seed = 950;
  // [shape of a, shape of b]: strata's kernels take one shape, a scalar and a bias repeated
  // along leading axes (either side for Add and Multiply), and one value a row; the others
  // stay on the backend's.
  const cases: [number[], number[]][] = [
    [[5, 7], [5, 7]],
    [[64, 128], [64, 128]],
    [[5, 7], []],
    [[], [5, 7]],
    [[5, 7], [7]],
    [[7], [5, 7]],
    [[4, 5, 6], [1, 6]],
    [[4, 5, 6], [5, 6]],
    [[4, 5, 6], [1, 1, 1]],
    [[5, 7], [5, 1]],
    // One value a row, either side (JavaScript up to 65,536 elements, the backend's above).
    [[64, 1], [64, 10]],
    [[3, 4, 5], [3, 4, 1]],
    [[300, 300], [300, 1]],
    [[5, 1], [1, 7]],
    [[3], [3]],
    [[1], [1]],
  ];
  for (const shape of [[5, 7], [3], [64, 128]]) await agree('Square', { x: { shape, data: values(size(shape), seed++) } }, {});
  for (const kernel of ['Add', 'Sub', 'Multiply', 'RealDiv']) {
    assert.ok('builtIn' in tf.getKernel(kernel, 'wasm')!.kernelFunc, `strata's ${kernel} is registered`);
    for (const [sa, sb] of cases) {
      const b = values(size(sb), seed++).map((v) => (kernel === 'RealDiv' ? v + Math.sign(v) * 0.5 : v));
      await agree(kernel, { a: { shape: sa, data: values(size(sa), seed++) }, b: { shape: sb, data: b } }, {});
    }
  }
});

test('Relu and Step give exactly what the cpu backend gives, zeros, NaN and Step\'s alpha included', async () => {
  for (const n of [1, 5, 64 * 128 + 3]) {
    const data = values(n, n).map((v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? Number.NaN : i % 13 === 0 ? -0 : v));
    for (const [kernel, attrs] of [['Relu', {}], ['Step', { alpha: 0 }], ['Step', { alpha: 0.25 }]] as const) {
      assert.ok('builtIn' in tf.getKernel(kernel, 'wasm')!.kernelFunc, `strata's ${kernel} is registered`);
      const cpu = await run('cpu', kernel, { x: { shape: [n], data } }, attrs);
      const wasm = await run('wasm', kernel, { x: { shape: [n], data } }, attrs);
      assert.deepEqual(Array.from(wasm.data), Array.from(cpu.data), `${kernel} ${JSON.stringify(attrs)} on ${n} elements`);
    }
  }
});

test('Mean over leading axes (and others) matches the cpu backend', async () => {
  assert.ok('builtIn' in tf.getKernel('Mean', 'wasm')!.kernelFunc, "strata's Mean is registered");
  const cases: [number[], number[], boolean][] = [
    [[8, 5, 6, 12], [0, 1, 2], false],
    [[8, 5, 6, 12], [0, 1, 2], true],
    [[7, 3], [0], false],
    [[4, 5, 6], [0, 2], false],
    [[4, 5, 6], [2], true],
  ];
  let seed = 800;
  for (const [shape, axis, keepDims] of cases) await agree('Mean', { x: { shape, data: values(size(shape), seed++) } }, { axis, keepDims });
});

test('Tile copies exactly what the cpu backend does (every axis, leading ones, int32 and bool)', async () => {
  assert.ok('builtIn' in tf.getKernel('Tile', 'wasm')!.kernelFunc, "strata's Tile is registered");
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 4], [3, 5, 2, 1]],
    [[2, 3], [2, 3]],
    [[3, 1, 2], [1, 4, 1]],
    [[5], [3]],
    [[2, 2], [1, 1]],
  ];
  for (const [shape, reps] of cases) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const outputs = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const y = tf.tile(tf.tensor(Array.from({ length: size(shape) }, (_, j) => (dtype === 'bool' ? j % 2 : j + 1)), shape, dtype), reps);
          return { shape: y.shape, data: Array.from(y.dataSync()) };
        });
      };
      assert.deepEqual(await outputs('wasm'), await outputs('cpu'), `${dtype} ${shape.join('×')} by ${reps.join('×')}`);
    }
  }
});

test('Concat places every input as the cpu backend does (every axis, int32 and bool, an empty input)', async () => {
  assert.ok('builtIn' in tf.getKernel('Concat', 'wasm')!.kernelFunc, "strata's Concat is registered");
  const cases: [number[][], number][] = [
    [[[4, 64], [4, 64], [4, 64], [4, 64]], 1],
    [[[6, 3], [6, 5], [6, 1]], 1],
    [[[2, 5], [3, 5]], 0],
    [[[2, 3, 4], [2, 1, 4], [2, 2, 4]], 1],
    [[[2, 3, 4], [2, 3, 2]], -1],
    [[[3, 2, 2], [3, 0, 2], [3, 1, 2]], 1],
    [[[5], [7]], 0],
  ];
  for (const [shapes, axis] of cases) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const outputs = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const xs = shapes.map((shape, i) => tf.tensor(Array.from({ length: size(shape) }, (_, j) => (dtype === 'bool' ? Number((i + j) % 3 === 0) : dtype === 'int32' ? 100 * i + j : (100 * i + j) / 7)), shape, dtype));
          const y = tf.concat(xs, axis);
          return { shape: y.shape, data: Array.from(y.dataSync()) };
        });
      };
      assert.deepEqual(await outputs('wasm'), await outputs('cpu'), `${dtype} ${JSON.stringify(shapes)} along ${axis}`);
    }
  }
});

test('Slice, SplitV and Unpack copy exactly what the cpu backend copies (ranks 1–4, every axis, int32)', async () => {
  const outputs = async (backend: string, shape: number[], dtype: 'float32' | 'int32', op: (x: import('@tensorflow/tfjs-core').Tensor) => import('@tensorflow/tfjs-core').Tensor[]) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const data = dtype === 'int32' ? Int32Array.from({ length: size(shape) }, (_, i) => i) : values(size(shape), size(shape));
      return op(tf.tensor(data, shape, dtype)).map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));
    });
  };
  const cases: [number[], (x: import('@tensorflow/tfjs-core').Tensor) => import('@tensorflow/tfjs-core').Tensor[]][] = [
    [[10], (x) => [tf.slice(x, [3], [4])]],
    [[4096 / 64, 384], (x) => [tf.slice(x, [10, 0], [1, 384]), tf.slice(x, [5, 7], [3, 2]), tf.slice(x, [0, 383], [-1, 1])]],
    [[5, 6, 7], (x) => [tf.slice(x, [1, 2, 3], [2, 3, 4]), tf.slice(x, [4, 0, 0], [1, 6, 7]), tf.slice(x, [0, 1, 0], [5, 4, 7])]],
    [[3, 4, 5, 6], (x) => [tf.slice(x, [1, 1, 1, 1], [2, 2, 3, 4]), tf.slice(x, [0, 2, 0, 0], [3, 1, 5, 6])]],
    [[6, 8], (x) => tf.split(x, 4, 1)],
    [[6, 8], (x) => tf.split(x, [1, 2, 3], 0)],
    [[4, 5, 6], (x) => tf.split(x, [2, -1], -1)],
    [[4, 5, 6], (x) => tf.unstack(x, 0)],
    [[4, 5, 6], (x) => tf.unstack(x, 1)],
    [[4, 5, 6], (x) => tf.unstack(x, 2)],
  ];
  for (const name of ['Slice', 'SplitV', 'Unpack']) assert.ok('builtIn' in tf.getKernel(name, 'wasm')!.kernelFunc, `strata's ${name} is registered`);
  for (const [shape, op] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      const cpu = await outputs('cpu', shape, dtype, op);
      const wasm = await outputs('wasm', shape, dtype, op);
      assert.deepEqual(wasm, cpu, `${op.toString()} on ${shape.join('×')} ${dtype}`);
    }
  }
});

test('Sum (over leading axes: a product with ones), Mean, Max, Min, Prod and Transpose match the cpu backend (ranks 2–5, size-1 axes, int32)', async () => {
  type T = import('@tensorflow/tfjs-core').Tensor;
  const outputs = async (backend: string, shape: number[], dtype: 'float32' | 'int32', op: (x: T) => T) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const data = dtype === 'int32' ? Int32Array.from({ length: size(shape) }, (_, i) => (i % 7) - 3) : values(size(shape), size(shape) + 1);
      const y = op(tf.tensor(data, shape, dtype));
      return { shape: y.shape, data: Float32Array.from(y.dataSync()) };
    });
  };
  const cases: [number[], (x: T) => T][] = [
    [[2048 / 16, 256 / 4], (x) => tf.transpose(x)],
    [[37, 45], (x) => tf.transpose(x)],
    [[5, 6, 7], (x) => tf.transpose(x, [1, 0, 2])],
    [[5, 6, 7], (x) => tf.transpose(x, [0, 2, 1])],
    [[5, 6, 7], (x) => tf.transpose(x, [2, 0, 1])],
    [[5, 1, 7], (x) => tf.transpose(x, [2, 1, 0])],
    [[4, 6, 6, 3], (x) => tf.transpose(x, [3, 1, 2, 0])],
    [[4, 6, 6, 3], (x) => tf.transpose(x, [1, 2, 0, 3])],
    [[2, 3, 4, 5, 6], (x) => tf.transpose(x, [4, 2, 0, 3, 1])],
    // The last axis kept (attention's heads split and joined, and a rank-5 shuffle).
    [[3, 8, 4, 16], (x) => tf.transpose(x, [0, 2, 1, 3])],
    [[3, 4, 8, 16], (x) => tf.transpose(x, [0, 2, 1, 3])],
    [[2, 3, 4, 5, 8], (x) => tf.transpose(x, [3, 1, 0, 2, 4])],
    // Above MIN_TILED_TRANSPOSE: tiles, including rotations of more axes and edges that are not whole tiles.
    [[600, 500], (x) => tf.transpose(x)],
    [[40, 50, 150], (x) => tf.transpose(x, [2, 0, 1])],
    [[40, 50, 150], (x) => tf.transpose(x, [1, 2, 0])],
    [[40, 50, 150], (x) => tf.transpose(x, [2, 1, 0])],
    [[64, 33], (x) => tf.sum(x, 0)],
    [[6, 5, 4], (x) => tf.sum(x, [0, 1], true)],
    [[6, 5, 4], (x) => tf.mean(x, [0, 2])],
    [[6, 5, 4], (x) => tf.max(x, 1, true)],
    [[6, 5, 4], (x) => tf.min(x, 0)],
    [[3, 2, 4], (x) => tf.prod(x, [0, 1])],
    [[6, 5, 4], (x) => tf.sum(x, -1)],
    [[6, 5, 4], (x) => tf.sum(x, [1, 0])],
    [[6, 5, 4], (x) => tf.sum(x)],
  ];
  for (const name of ['Sum', 'Transpose']) assert.ok('builtIn' in tf.getKernel(name, 'wasm')!.kernelFunc, `strata's ${name} is registered`);
  for (const [shape, op] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      const cpu = await outputs('cpu', shape, dtype, op);
      const wasm = await outputs('wasm', shape, dtype, op);
      assert.deepEqual(wasm.shape, cpu.shape, `${op.toString()} on ${shape.join('×')} ${dtype}`);
      const d = maxRelDiff(wasm.data, cpu.data);
      assert.ok(d < 1e-5, `${op.toString()} on ${shape.join('×')} ${dtype}: max relative difference ${d}`);
    }
  }
});

test('GatherV2 matches the cpu backend (embedding lookups, inner axes, batch dims, int32) and refuses indices out of range', async () => {
  type T = import('@tensorflow/tfjs-core').Tensor;
  const run = async (backend: string, shape: number[], dtype: 'float32' | 'int32', indices: number[], indexShape: number[], axis: number, batchDims: number) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const data = dtype === 'int32' ? Int32Array.from({ length: size(shape) }, (_, i) => i) : values(size(shape), size(shape) + 2);
      const y: T = tf.gather(tf.tensor(data, shape, dtype), tf.tensor(indices, indexShape, 'int32'), axis, batchDims);
      return { shape: y.shape, data: Array.from(y.dataSync()) };
    });
  };
  const r = random(77);
  const ids = (n: number, below: number) => Array.from({ length: n }, () => Math.floor(r() * below));
  const cases: [number[], number[], number[], number, number][] = [
    [[1000, 64], ids(4096, 1000), [64, 64], 0, 0],
    [[82, 3], ids(12, 82), [3, 4], 0, 0],
    [[4, 9, 5], ids(6, 9), [6], 1, 0],
    [[4, 9, 5], ids(7, 5), [7], 2, 0],
    [[3, 9, 5], ids(12, 9), [3, 4], 1, 1],
  ];
  assert.ok('builtIn' in tf.getKernel('GatherV2', 'wasm')!.kernelFunc, "strata's GatherV2 is registered");
  for (const [shape, indices, indexShape, axis, batchDims] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      const cpu = await run('cpu', shape, dtype, indices, indexShape, axis, batchDims);
      const wasm = await run('wasm', shape, dtype, indices, indexShape, axis, batchDims);
      assert.deepEqual(wasm, cpu, `gather ${shape.join('×')} axis ${axis} batchDims ${batchDims} ${dtype}`);
    }
  }
  await tf.setBackend('wasm');
  assert.throws(() => tf.tidy(() => tf.gather(tf.ones([5, 2]), tf.tensor1d([1, 5], 'int32'))), /index value 5 is not in \[0, 4\]/);
});

test('the gradient of softmax by strata\'s kernel matches tfjs-core\'s formula on the cpu backend (last axes in fours and not)', async () => {
  let seed = 700;
  for (const shape of [[3, 4, 8], [2, 16], [5, 6], [2, 3, 5, 64]]) {
    const x = values(size(shape), seed++);
    const w = values(size(shape), seed++);
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      let data = new Float32Array();
      const ran = kernelsRun(tf, () => {
        data = tf.tidy(() => Float32Array.from(tf.grad((t: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(tf.tensor(w, shape), tf.softmax(t))))(tf.tensor(x, shape)).dataSync()));
      });
      return { ran, data };
    };
    const cpu = await grad('cpu');
    const wasm = await grad('wasm');
    const d = maxRelDiff(wasm.data, cpu.data);
    assert.ok(d < 1e-5, `softmax gradient on ${shape.join('×')}: max relative difference ${d}`);
    assert.ok(wasm.ran.has(SOFTMAX_GRAD_KERNEL), [...wasm.ran].join(' '));
    assert.ok(!cpu.ran.has(SOFTMAX_GRAD_KERNEL));
  }
});

test('the gradient of relu by strata\'s kernel gives exactly what the cpu backend gives (zeros, negatives, NaN, infinite dy, odd lengths)', async () => {
  for (const n of [1, 7, 64]) {
    const x = values(n, 800 + n);
    const dy = values(n, 900 + n);
    x[0] = 0;
    if (n > 2) [x[1], dy[2]] = [NaN, Infinity];
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      let data = new Float32Array();
      const ran = kernelsRun(tf, () => {
        data = tf.tidy(() => Float32Array.from(tf.grad((t: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(tf.tensor(dy), tf.relu(t))))(tf.tensor(x)).dataSync()));
      });
      return { ran, data };
    };
    const cpu = await grad('cpu');
    const wasm = await grad('wasm');
    assert.deepEqual(Array.from(wasm.data), Array.from(cpu.data), `relu gradient over ${n}`);
    assert.ok(wasm.ran.has(RELU_GRAD_KERNEL) && !cpu.ran.has(RELU_GRAD_KERNEL));
  }
});

test('sparse cross-entropy from logits by strata\'s kernel gives the ops\' probabilities, mean loss and gradient (int32 and float32 ids, ids out of range, saturated rows, sequences)', async () => {
  const fromLogits = trainRegistry.losses.get('sparse_categorical_crossentropy')!.fromLogits!;
  let seed = 1000;
  for (const [shape, dtype] of [[[6, 5], 'int32'], [[2, 3, 10], 'float32'], [[4, 1000], 'int32']] as [number[], 'int32' | 'float32'][]) {
    const z = values(size(shape), seed++).map((v) => v * 8);
    const classes = shape[shape.length - 1]!;
    const rows = size(shape) / classes;
    const r = random(seed++);
    const ids = Array.from({ length: rows }, () => Math.floor(r() * classes));
    [ids[0], ids[1]] = [-1, classes];
    z.fill(-40, 2 * classes, 3 * classes);
    z[2 * classes] = 40; // a row whose label's probability is under the log's clip
    ids[2] = 1;
    const read = async (backend: string) => {
      await tf.setBackend(backend);
      let out: Float32Array[] = [];
      const ran = kernelsRun(tf, () => {
        out = tf.tidy(() => {
          const loss = fromLogits(tf, { labelSmoothing: 0 })(tf.tensor(ids, shape.slice(0, -1), dtype), tf.tensor(z, [...shape]));
          return [loss.probabilities, loss.meanLoss, loss.meanGradient].map((t) => Float32Array.from(t.dataSync()));
        });
      });
      return { ran, out };
    };
    const cpu = await read('cpu');
    const wasm = await read('wasm');
    assert.ok(wasm.ran.has(SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL) && !cpu.ran.has(SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL));
    ['probabilities', 'mean loss', 'gradient'].forEach((what, i) => {
      const d = maxRelDiff(wasm.out[i]!, cpu.out[i]!);
      assert.ok(d < 1e-5, `${what} on ${shape.join('×')}: max relative difference ${d}`);
    });
    // Rows with an id out of range have no gradient; the saturated row's loss is the clip's.
    assert.ok(wasm.out[2]!.subarray(0, 2 * classes).every((v) => v === 0));
    assert.ok(cpu.out[1]![0]! > -Math.log(1e-7) / rows);
  }
});

test('the replaced kernels leave no tensors behind', async () => {
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const x = tf.randomNormal([2, 6, 6, 3]);
  const f = tf.randomNormal([3, 3, 3, 4]);
  const g = tf.grads((a, b) => tf.sum(tf.conv2d(a as import('@tensorflow/tfjs-core').Tensor4D, b as import('@tensorflow/tfjs-core').Tensor4D, 1, 'same')))([x, f]);
  const p = tf.ones([4, 3]);
  const q = tf.ones([5, 4]);
  const m = tf.matMul(p, q, true, true);
  // A batch of pairs large enough to be multiplied pair by pair, transposed.
  const r = tf.randomNormal([3, 32, 24]);
  const s = tf.randomNormal([3, 20, 32]);
  const rs = tf.matMul(r, s, true, true);
  tf.dispose([x, f, ...g, p, q, m, r, s, rs]);
  assert.equal(tf.memory().numTensors, before);
});
