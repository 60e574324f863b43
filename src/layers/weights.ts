/**
 * The weight-related keys many layers share (use_bias, initializers,
 * regularizers), declared once, and their translation to TensorFlow.js
 * arguments, written once.
 */
import { bool, initializer, regularizer } from './params.js';
import type { Param } from './params.js';
import type { BuildContext, LayerParams } from './registry.js';

/** Keys for a weight named `slot` (kernel, recurrent, depthwise, ...). */
export function weightParams(slot: string, defaultInit: string): Record<string, Param> {
  return {
    [`${slot}_initializer`]: initializer(`How the ${slot} weights start.`, defaultInit),
    [`${slot}_regularizer`]: regularizer(`Penalty on the ${slot} weights.`),
  };
}

export function biasParams(): Record<string, Param> {
  return {
    use_bias: bool('Whether the layer adds a learned bias.', true),
    bias_initializer: initializer('How the bias starts.', 'zeros'),
    bias_regularizer: regularizer('Penalty on the bias.'),
  };
}

/**
 * kernel + bias keys, as a Keras Dense or Conv layer has them. Not Keras's
 * `activity_regularizer`: TensorFlow.js refuses to call a layer that has one (and the torch
 * engine follows it), so a spec naming it gets the schema's unknown-key error.
 */
export function kernelParams(defaultInit = 'glorot_uniform'): Record<string, Param> {
  return { ...weightParams('kernel', defaultInit), ...biasParams() };
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** TensorFlow.js arguments for `weightParams(slot)`. */
export function weightArgs(p: LayerParams, c: BuildContext, slot: string, tfSlot = slot): Record<string, unknown> {
  return {
    [`${camel(tfSlot)}Initializer`]: c.initializer(p[`${slot}_initializer`], slot),
    [`${camel(tfSlot)}Regularizer`]: c.regularizer(p[`${slot}_regularizer`]),
  };
}

export function biasArgs(p: LayerParams, c: BuildContext): Record<string, unknown> {
  return {
    useBias: p.use_bias,
    biasInitializer: c.initializer(p.bias_initializer, 'bias'),
    biasRegularizer: c.regularizer(p.bias_regularizer),
  };
}

export function kernelArgs(p: LayerParams, c: BuildContext): Record<string, unknown> {
  return { ...weightArgs(p, c, 'kernel'), ...biasArgs(p, c) };
}
