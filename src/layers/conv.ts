/** Convolutions over sequences (conv1d) and images (conv2d and its separable, depthwise and transposed kin), channels last; upsampling, padding and cropping of images. */
import { activation, choice, int, sizes } from './params.js';
import type { ActivationName } from './params.js';
import { act } from './core.js';
import { defineLayer } from './registry.js';
import type { BuildContext, LayerParams } from './registry.js';
import { buildFixedBuiltIn } from './custom/build.js';
import { Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D } from './custom/conv-fixes.js';
import { expand, expectRank, knownLast, ShapeProblem, windowOutput } from './shape.js';
import type { Shape } from './shape.js';
import { biasArgs, biasParams, kernelArgs, kernelParams, weightArgs, weightParams } from './weights.js';

type ConvP = LayerParams & {
  filters: number;
  kernel_size: number | number[];
  strides: number | number[];
  padding: 'valid' | 'same' | 'causal';
  dilation_rate: number | number[];
  activation: ActivationName;
};

function convParams(dims: number) {
  return {
    filters: int('The number of output channels.', { min: 1, required: true }),
    kernel_size: sizes('The size of the convolution window.', dims, { required: true }),
    strides: sizes('The step of the window.', dims, { default: 1 }),
    padding: choice(
      dims === 1 ? "'valid' (no padding), 'same' (output as long as the input, at stride 1) or 'causal' (pad on the left only)." : "'valid' (no padding) or 'same' (output as large as the input, at stride 1).",
      dims === 1 ? ['valid', 'same', 'causal'] : ['valid', 'same'],
      { default: 'valid' },
    ),
    dilation_rate: sizes('The spacing between window elements.', dims, { default: 1 }),
    activation: activation('The activation applied to the output.', 'linear'),
    ...kernelParams(),
  };
}

function convOutput(spatial: readonly (number | null)[], p: ConvP, dims: number): (number | null)[] {
  const k = expand(p.kernel_size, dims);
  const s = expand(p.strides, dims);
  const d = expand(p.dilation_rate, dims);
  return spatial.map((n, i) => windowOutput(n, k[i]!, s[i]!, p.padding, d[i]!));
}

/** The arguments every TensorFlow.js convolution layer with a dilation rate takes from the spec's window keys. */
function windowArgs(p: ConvP, c: BuildContext, dims: 1 | 2) {
  return {
    name: c.name,
    kernelSize: p.kernel_size,
    strides: p.strides,
    padding: p.padding as 'valid',
    dilationRate: dims === 1 ? expand(p.dilation_rate, 1)[0]! : (p.dilation_rate as number),
    activation: act(p.activation) as 'linear',
  };
}

/** Whether a 2D convolution has dilation 1 on both axes (the built-in layers handle only that fully). */
const undilated = (p: ConvP) => expand(p.dilation_rate, 2).every((d) => d === 1);

const conv1d = defineLayer<ConvP>({
  type: 'conv1d',
  keras: 'Conv1D',
  category: 'convolution',
  description: 'A 1D convolution over steps: input [batch, steps, channels], output [batch, new_steps, filters].',
  params: convParams(1),
  arity: 'one',
  outputShape: ([x], p) => {
    expectRank(x!, [2], '[batch, steps, channels]', (r) =>
      r === 1 ? 'add a reshape layer before it, such as target_shape: [-1, 1]' : 'add a reshape layer before it that makes [steps, channels]',
    );
    knownLast(x!, 'number of channels');
    return [...convOutput([x![0]!], p, 1), p.filters];
  },
  build: (p, c) => {
    const args = { ...windowArgs(p, c, 1), filters: p.filters, ...kernelArgs(p, c) };
    // TensorFlow.js's own Conv1D throws on causal padding and cannot train dilated kernels; strata's subclass does both.
    return p.padding !== 'causal' && args.dilationRate === 1 ? c.tf.layers.conv1d(args) : buildFixedBuiltIn(c, Conv1D, args);
  },
  weights: ([x], p) => [expand(p.kernel_size, 1).reduce((a, k) => a * k, 1) * (x![x!.length - 1] ?? 1) * p.filters, p.filters],
  example: { inputs: [[10, 3]], params: { filters: 4, kernel_size: 3 }, kerasParams: 40 },
});

const conv2d = defineLayer<ConvP>({
  type: 'conv2d',
  keras: 'Conv2D',
  category: 'convolution',
  description: 'A 2D convolution over images: input [batch, height, width, channels], output [batch, new_height, new_width, filters].',
  params: convParams(2),
  arity: 'one',
  outputShape: ([x], p) => {
    expectRank(x!, [3], '[batch, height, width, channels]', (r) =>
      r === 1 ? 'add a reshape layer before it, such as target_shape: [28, 28, 1]' : r === 2 ? 'add a reshape layer before it that adds a channels dimension, such as target_shape: [28, 28, 1]' : undefined,
    );
    knownLast(x!, 'number of channels');
    return [...convOutput(x!.slice(0, 2), p, 2), p.filters];
  },
  build: (p, c) => {
    const args = { ...windowArgs(p, c, 2), filters: p.filters, ...kernelArgs(p, c) };
    // strata's subclass: trains a dilated Conv2D (convolving the input's phases), which TensorFlow.js
    // cannot, and trains the bias and relu fused into the convolution (custom/fused.ts).
    return buildFixedBuiltIn(c, Conv2D, args);
  },
  weights: ([x], p) => [expand(p.kernel_size, 2).reduce((a, k) => a * k, 1) * (x![x!.length - 1] ?? 1) * p.filters, p.filters],
  example: { inputs: [[8, 8, 2]], params: { filters: 3, kernel_size: 3, padding: 'same' }, kerasParams: 57 },
});

const IMAGE = '[batch, height, width, channels]';

/** Require an image [height, width, channels] with known channels. */
function image(x: Shape): number {
  expectRank(x, [3], IMAGE, (r) => (r < 3 ? 'add a reshape layer before it that makes [height, width, channels], such as target_shape: [28, 28, 1]' : undefined));
  return knownLast(x, 'number of channels');
}

type SepP = ConvP & { depth_multiplier: number };

const windowKeys = (dims: number) => {
  const { kernel_size, strides, padding, dilation_rate } = convParams(dims);
  return {
    kernel_size,
    strides,
    padding: { ...padding, schema: { ...padding.schema, enum: ['valid', 'same'], description: "'valid' (no padding) or 'same' (output as large as the input, at stride 1)." } },
    dilation_rate,
  };
};

const separableConv2d = defineLayer<SepP>({
  type: 'separable_conv2d',
  keras: 'SeparableConv2D',
  category: 'convolution',
  description: 'A depthwise convolution (each channel on its own) followed by a 1×1 pointwise convolution that mixes channels: far fewer parameters than conv2d.',
  params: {
    filters: int('The number of output channels.', { min: 1, required: true }),
    ...windowKeys(2),
    depth_multiplier: int('Depthwise outputs per input channel.', { min: 1, default: 1 }),
    activation: activation('The activation applied to the output.', 'linear'),
    ...weightParams('depthwise', 'glorot_uniform'),
    ...weightParams('pointwise', 'glorot_uniform'),
    ...biasParams(),
  },
  arity: 'one',
  outputShape: ([x], p) => {
    image(x!);
    return [...convOutput(x!.slice(0, 2), p, 2), p.filters];
  },
  build: (p, c) => {
    const args = {
      ...windowArgs(p, c, 2),
      filters: p.filters,
      depthMultiplier: p.depth_multiplier,
      ...weightArgs(p, c, 'depthwise'),
      ...weightArgs(p, c, 'pointwise'),
      ...biasArgs(p, c),
    };
    // TensorFlow.js cannot train a dilated SeparableConv2D; strata's subclass convolves the input's phases instead.
    return undilated(p) ? c.tf.layers.separableConv2d(args) : buildFixedBuiltIn(c, SeparableConv2D, args);
  },
  example: { inputs: [[8, 8, 3]], params: { filters: 4, kernel_size: 3 }, kerasParams: 43 },
});

const depthwiseConv2d = defineLayer<SepP>({
  type: 'depthwise_conv2d',
  keras: 'DepthwiseConv2D',
  category: 'convolution',
  description: 'A convolution of each channel on its own: output channels = channels × depth_multiplier.',
  params: {
    ...windowKeys(2),
    depth_multiplier: int('Outputs per input channel.', { min: 1, default: 1 }),
    activation: activation('The activation applied to the output.', 'linear'),
    ...weightParams('depthwise', 'glorot_uniform'),
    ...biasParams(),
  },
  arity: 'one',
  outputShape: ([x], p) => {
    const ch = image(x!);
    return [...convOutput(x!.slice(0, 2), p, 2), ch * p.depth_multiplier];
  },
  build: (p, c) => {
    const args = {
      ...windowArgs(p, c, 2),
      kernelSize: p.kernel_size as number,
      depthMultiplier: p.depth_multiplier,
      ...weightArgs(p, c, 'depthwise'),
      ...biasArgs(p, c),
    };
    // TensorFlow.js's DepthwiseConv2D ignores dilation_rate (and has no dilated gradient); strata's subclass does both.
    return undilated(p) ? c.tf.layers.depthwiseConv2d(args) : buildFixedBuiltIn(c, DepthwiseConv2D, args);
  },
  example: { inputs: [[8, 8, 3]], params: { kernel_size: 3 }, kerasParams: 30 },
});

const conv2dTranspose = defineLayer<ConvP>({
  type: 'conv2d_transpose',
  keras: 'Conv2DTranspose',
  category: 'convolution',
  description: "A transposed convolution (sometimes called deconvolution), which grows an image: with padding 'same' the output is input × strides.",
  params: (() => {
    const { dilation_rate: _d, ...rest } = convParams(2);
    void _d;
    return rest;
  })(),
  arity: 'one',
  outputShape: ([x], p) => {
    image(x!);
    const k = expand(p.kernel_size, 2);
    const s = expand(p.strides, 2);
    return [...x!.slice(0, 2).map((n, i) => (n === null ? null : p.padding === 'same' ? n * s[i]! : n * s[i]! + Math.max(k[i]! - s[i]!, 0))), p.filters];
  },
  build: (p, c) =>
    c.tf.layers.conv2dTranspose({
      name: c.name,
      filters: p.filters,
      kernelSize: p.kernel_size,
      strides: p.strides,
      padding: p.padding as 'valid',
      activation: act(p.activation) as 'linear',
      ...kernelArgs(p, c),
    }),
  example: { inputs: [[4, 4, 3]], params: { filters: 2, kernel_size: 3, strides: 2, padding: 'same' }, kerasParams: 56 },
});

const upsampling2d = defineLayer<LayerParams & { size: number | number[]; interpolation: 'nearest' | 'bilinear' }>({
  type: 'upsampling2d',
  keras: 'UpSampling2D',
  category: 'convolution',
  description: 'Repeats rows and columns `size` times (nearest) or interpolates (bilinear): [h, w, c] to [h·sh, w·sw, c].',
  params: {
    size: sizes('The factor for height and width.', 2, { default: 2 }),
    interpolation: choice("'nearest' or 'bilinear'.", ['nearest', 'bilinear'], { default: 'nearest' }),
  },
  arity: 'one',
  outputShape: ([x], p) => {
    const ch = image(x!);
    const s = expand(p.size, 2);
    return [...x!.slice(0, 2).map((n, i) => (n === null ? null : n * s[i]!)), ch];
  },
  build: (p, c) => c.tf.layers.upSampling2d({ name: c.name, size: expand(p.size, 2), interpolation: p.interpolation }),
  example: { inputs: [[3, 4, 2]], params: { size: 2 }, kerasParams: 0 },
});

const zeroPadding2d = defineLayer<LayerParams & { padding: number | number[] }>({
  type: 'zero_padding2d',
  keras: 'ZeroPadding2D',
  category: 'convolution',
  description: 'Adds rows and columns of zeros around an image: `padding` on each side of height and of width.',
  params: { padding: sizes('Zeros added on each side (top and bottom, left and right).', 2, { default: 1, min: 0 }) },
  arity: 'one',
  outputShape: ([x], p) => {
    const ch = image(x!);
    const pad = expand(p.padding, 2);
    return [...x!.slice(0, 2).map((n, i) => (n === null ? null : n + 2 * pad[i]!)), ch];
  },
  build: (p, c) => c.tf.layers.zeroPadding2d({ name: c.name, padding: expand(p.padding, 2) as [number, number] }),
  example: { inputs: [[3, 4, 2]], params: { padding: 1 }, kerasParams: 0 },
});

const cropping2d = defineLayer<LayerParams & { cropping: number | number[] }>({
  type: 'cropping2d',
  keras: 'Cropping2D',
  category: 'convolution',
  description: 'Removes rows and columns from the edges of an image: `cropping` on each side of height and of width.',
  params: { cropping: sizes('Rows/columns removed on each side (top and bottom, left and right).', 2, { required: true, min: 0 }) },
  arity: 'one',
  outputShape: ([x], p) => {
    const ch = image(x!);
    const crop = expand(p.cropping, 2);
    return [
      ...x!.slice(0, 2).map((n, i) => {
        if (n === null) return null;
        if (n - 2 * crop[i]! < 1) throw new ShapeProblem(`cropping ${crop[i]} from each side of a dimension of ${n} leaves nothing; crop at most ${Math.floor((n - 1) / 2)}`);
        return n - 2 * crop[i]!;
      }),
      ch,
    ];
  },
  build: (p, c) => c.tf.layers.cropping2D({ name: c.name, cropping: expand(p.cropping, 2) as [number, number] }),
  example: { inputs: [[6, 6, 2]], params: { cropping: 1 }, kerasParams: 0 },
});

export const convLayers = [conv1d, conv2d, separableConv2d, depthwiseConv2d, conv2dTranspose, upsampling2d, zeroPadding2d, cropping2d];
