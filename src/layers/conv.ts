/** Convolutions over sequences (conv1d) and images (conv2d), channels last. */
import { activation, choice, int, sizes } from './params.js';
import type { ActivationName } from './params.js';
import { act } from './core.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { expand, expectRank, knownLast, windowOutput } from './shape.js';
import { kernelArgs, kernelParams } from './weights.js';

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
  build: (p, c) =>
    c.tf.layers.conv1d({
      name: c.name,
      filters: p.filters,
      kernelSize: p.kernel_size,
      strides: p.strides,
      padding: p.padding,
      dilationRate: expand(p.dilation_rate, 1)[0]!,
      activation: act(p.activation) as 'linear',
      ...kernelArgs(p, c),
    }),
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
  build: (p, c) =>
    c.tf.layers.conv2d({
      name: c.name,
      filters: p.filters,
      kernelSize: p.kernel_size,
      strides: p.strides,
      padding: p.padding as 'valid',
      dilationRate: p.dilation_rate as number,
      activation: act(p.activation) as 'linear',
      ...kernelArgs(p, c),
    }),
  example: { inputs: [[8, 8, 2]], params: { filters: 3, kernel_size: 3, padding: 'same' }, kerasParams: 57 },
});

export const convLayers = [conv1d, conv2d];
