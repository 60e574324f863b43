/**
 * ONNX writers of the convolution and pooling layers. TensorFlow.js works
 * channels last (NWC, NHWC) and ONNX's Conv and pooling channels first, so
 * each is wrapped in transposes (onnxruntime folds the pairs between layers);
 * kernels are permuted here, once.
 */
import { int, ints, str } from './graph.js';
import { activation, channelsFirst, need, NotExportable, permute, put, tuple } from './emit.js';
import type { Emit, Weight, Writer } from './emit.js';

function channelsLast(e: Emit): void {
  const f = e.config.dataFormat;
  if (f !== undefined && f !== 'channelsLast') throw new NotExportable(`data_format ${String(f)}: only channels last is written`);
}

/** ONNX padding attributes for TensorFlow's 'valid', 'same' (extra padding at the end, as SAME_UPPER) or 'causal' (1-D: all on the left). */
function padding(e: Emit, kernel: number[], dilations: number[]) {
  const p = String(e.config.padding ?? 'valid');
  if (p === 'valid') return [];
  if (p === 'same') return [str('auto_pad', 'SAME_UPPER')];
  if (p === 'causal') return [ints('pads', [dilations[0]! * (kernel[0]! - 1), 0])];
  throw new NotExportable(`padding '${p}' has no ONNX form here`);
}

/** Conv over channels-first x with a TensorFlow kernel [...k, in, out] (or already in ONNX layout when `onnxKernel`). */
function conv(e: Emit, x: string, kernel: Weight, bias: Weight | undefined, dims: number, group = 1): string {
  const k = e.config.kernelSize !== undefined ? tuple(e.config.kernelSize, dims) : kernel.shape.slice(2);
  const strides = tuple(e.config.strides ?? 1, dims);
  const dilations = tuple(e.config.dilationRate ?? 1, dims);
  const inputs = [x, put(e.g, kernel, `${e.name}/kernel`)];
  if (bias) inputs.push(e.g.weight(bias.data, [bias.data.length], `${e.name}/bias`));
  return e.g.op('Conv', inputs, e.name, [ints('kernel_shape', k), ints('strides', strides), ints('dilations', dilations), int('group', group), ...padding(e, k, dilations)]);
}

/** TensorFlow's [...k, in, out] kernel as ONNX's [out, in, ...k]. */
const onnxKernel = (w: Weight): Weight => {
  const r = w.shape.length;
  return permute(w, [r - 1, r - 2, ...Array.from({ length: r - 2 }, (_, i) => i)]);
};

/** A depthwise kernel [...k, in, multiplier] as ONNX's grouped [in·multiplier, 1, ...k]. */
function depthwiseKernel(w: Weight): Weight {
  const r = w.shape.length;
  const p = permute(w, [r - 2, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i)]);
  return { data: p.data, shape: [p.shape[0]! * p.shape[1]!, 1, ...p.shape.slice(2)] };
}

function convWriter(e: Emit, dims: number): string {
  channelsLast(e);
  const y = channelsFirst(e.g, e.inputs[0]!, dims + 2, e.name, (x) => conv(e, x, onnxKernel(need(e, 'kernel')), e.values('bias'), dims));
  return activation(e.g, String(e.config.activation ?? 'linear'), y, e.name);
}

function pool(e: Emit, op: 'MaxPool' | 'AveragePool', dims: number): string {
  channelsLast(e);
  const k = tuple(e.config.poolSize, dims);
  const strides = tuple(e.config.strides ?? e.config.poolSize, dims);
  return channelsFirst(e.g, e.inputs[0]!, dims + 2, e.name, (x) => e.g.op(op, [x], e.name, [ints('kernel_shape', k), ints('strides', strides), ...padding(e, k, [1])]));
}

const reduce = (op: string, dims: number) => (e: Emit) =>
  e.g.op(op, [e.inputs[0]!], e.name, [ints('axes', Array.from({ length: dims }, (_, i) => i + 1)), int('keepdims', 0)]);

/** [[top, bottom], [left, right]] from a TensorFlow.js padding or cropping config. */
function sides(v: unknown): number[][] {
  if (!Array.isArray(v)) return [[Number(v), Number(v)], [Number(v), Number(v)]];
  return v.map((p) => tuple(p, 2));
}

export const convWriters: Writer[] = [
  { types: ['conv1d'], classes: ['Conv1D'], emit: (e) => convWriter(e, 1) },
  { types: ['conv2d'], classes: ['Conv2D'], emit: (e) => convWriter(e, 2) },
  {
    types: ['depthwise_conv2d'],
    classes: ['DepthwiseConv2D'],
    emit: (e) => {
      channelsLast(e);
      const w = need(e, 'depthwise_kernel');
      const y = channelsFirst(e.g, e.inputs[0]!, 4, e.name, (x) => conv(e, x, depthwiseKernel(w), e.values('bias'), 2, w.shape[2]!));
      return activation(e.g, String(e.config.activation ?? 'linear'), y, e.name);
    },
  },
  {
    types: ['separable_conv2d'],
    classes: ['SeparableConv2D'],
    emit: (e) => {
      channelsLast(e);
      const w = need(e, 'depthwise_kernel');
      const y = channelsFirst(e.g, e.inputs[0]!, 4, e.name, (x) => {
        const depthwise = conv(e, x, depthwiseKernel(w), undefined, 2, w.shape[2]!);
        const pw = onnxKernel(need(e, 'pointwise_kernel'));
        const bias = e.values('bias');
        const inputs = [depthwise, put(e.g, pw, `${e.name}/pointwise_kernel`), ...(bias ? [e.g.weight(bias.data, [bias.data.length], `${e.name}/bias`)] : [])];
        return e.g.op('Conv', inputs, e.name, [ints('kernel_shape', [1, 1])]);
      });
      return activation(e.g, String(e.config.activation ?? 'linear'), y, e.name);
    },
  },
  {
    types: ['conv2d_transpose'],
    classes: ['Conv2DTranspose'],
    emit: (e) => {
      channelsLast(e);
      const w = need(e, 'kernel'); // [kh, kw, out, in]
      const k = w.shape.slice(0, 2);
      const s = tuple(e.config.strides ?? 1, 2);
      const same = e.config.padding === 'same';
      // TensorFlow's output is in·s ('same') or in·s + max(k − s, 0) ('valid'); explicit pads and output_padding give exactly that.
      const total = k.map((kk, i) => Math.max(kk - s[i]!, 0));
      const pads = same ? [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))] : [0, 0, 0, 0];
      const outputPadding = k.map((kk, i) => Math.max(s[i]! - kk, 0));
      const bias = e.values('bias');
      const y = channelsFirst(e.g, e.inputs[0]!, 4, e.name, (x) =>
        e.g.op('ConvTranspose', [x, put(e.g, permute(w, [3, 2, 0, 1]), `${e.name}/kernel`), ...(bias ? [e.g.weight(bias.data, [bias.data.length], `${e.name}/bias`)] : [])], e.name, [
          ints('kernel_shape', k),
          ints('strides', s),
          ints('pads', pads),
          ints('output_padding', outputPadding),
        ]));
      return activation(e.g, String(e.config.activation ?? 'linear'), y, e.name);
    },
  },
  { types: ['max_pool1d'], classes: ['MaxPooling1D'], emit: (e) => pool(e, 'MaxPool', 1) },
  { types: ['max_pool2d'], classes: ['MaxPooling2D'], emit: (e) => pool(e, 'MaxPool', 2) },
  { types: ['avg_pool1d'], classes: ['AveragePooling1D'], emit: (e) => pool(e, 'AveragePool', 1) },
  { types: ['avg_pool2d'], classes: ['AveragePooling2D'], emit: (e) => pool(e, 'AveragePool', 2) },
  { types: ['global_max_pool1d'], classes: ['GlobalMaxPooling1D'], emit: reduce('ReduceMax', 1) },
  { types: ['global_max_pool2d'], classes: ['GlobalMaxPooling2D'], emit: reduce('ReduceMax', 2) },
  { types: ['global_avg_pool1d'], classes: ['GlobalAveragePooling1D'], emit: reduce('ReduceMean', 1) },
  { types: ['global_avg_pool2d'], classes: ['GlobalAveragePooling2D'], emit: reduce('ReduceMean', 2) },
  {
    types: ['zero_padding2d'],
    classes: ['ZeroPadding2D'],
    emit: (e) => {
      const [[t, b], [l, r]] = sides(e.config.padding) as [[number, number], [number, number]];
      return e.g.op('Pad', [e.inputs[0]!, e.g.int64([0, t, l, 0, 0, b, r, 0])], e.name);
    },
  },
  {
    types: ['cropping2d'],
    classes: ['Cropping2D'],
    emit: (e) => {
      const [[t, b], [l, r]] = sides(e.config.cropping) as [[number, number], [number, number]];
      const [, h, w] = e.shapes[0]!;
      return e.g.op('Slice', [e.inputs[0]!, e.g.int64([t, l]), e.g.int64([h! - b, w! - r]), e.g.int64([1, 2])], e.name);
    },
  },
  {
    types: ['upsampling2d'],
    classes: ['UpSampling2D'],
    emit: (e) => {
      const [sh, sw] = tuple(e.config.size, 2);
      const mode = e.config.interpolation === 'bilinear' ? 'linear' : 'nearest';
      const scales = e.g.weight([1, 1, sh!, sw!], [4], `${e.name}/scales`);
      // TensorFlow's resize without align_corners or half-pixel centres: asymmetric coordinates, nearest rounding down.
      return channelsFirst(e.g, e.inputs[0]!, 4, e.name, (x) =>
        e.g.op('Resize', [x, '', scales], e.name, [str('mode', mode), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]));
    },
  },
];
