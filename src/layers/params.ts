/**
 * Building blocks for layer parameters: the generic ones of
 * document/json-schema.ts, and those only layers have (sizes, shapes,
 * activations, initializers, regularizers). Each returns the parameter's JSON
 * Schema (with its description, which editors show) and its default; the
 * registry turns these into the spec schema, the docs and the defaults
 * applied before a layer is built.
 */

import { LeakyRelu } from './custom/activation-fn.js';
import { INITIALIZERS } from './initializers.js';

export { bool, choice, int, num, str } from '../document/json-schema.js';
export type { JsonSchema, Param } from '../document/json-schema.js';
import type { Common, JsonSchema, Param } from '../document/json-schema.js';
import { choice, MAX_INT, withDefault } from '../document/json-schema.js';

/** A positive integer, or one per spatial dimension (`3` or `[3, 3]`). */
export function sizes(description: string, dims: number, o: Common & { default?: number | number[]; min?: number } = {}): Param {
  const min = o.min ?? 1;
  const schema: JsonSchema = {
    type: dims === 1 ? ['integer', 'array'] : ['integer', 'array'],
    minimum: min,
    maximum: MAX_INT,
    items: { type: 'integer', minimum: min, maximum: MAX_INT },
    minItems: dims,
    maxItems: dims,
    description: `${description} An integer, or a list of ${dims}.`,
  };
  return { schema: withDefault(schema, o.default), required: o.required, default: o.default };
}

/** A shape without the batch dimension; `null` marks a dimension of any size. */
export function shape(description: string, o: Common & { allowMinusOne?: boolean } = {}): Param {
  const items = o.allowMinusOne ? { anyOf: [{ type: 'integer', minimum: 1, maximum: MAX_INT }, { const: -1 }] } : { type: ['integer', 'null'], minimum: 1, maximum: MAX_INT };
  return { schema: { type: 'array', minItems: 1, items, description }, required: o.required };
}

/** A list of integers (for example axes). */
export function intList(description: string): Param {
  return { schema: { type: 'array', items: { type: 'integer' }, minItems: 1, description } };
}

/** A nested value whose schema is a reference into `$defs`. */
export function ref(description: string, def: string, o: Common = {}): Param {
  return { schema: { $ref: `#/$defs/${def}`, description }, required: o.required };
}

export const ACTIVATIONS = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  leaky_relu: LeakyRelu.className,
  elu: 'elu',
  selu: 'selu',
  gelu: 'gelu',
  swish: 'swish',
  silu: 'swish',
  mish: 'mish',
  softplus: 'softplus',
  softsign: 'softsign',
  softmax: 'softmax',
  sigmoid: 'sigmoid',
  hard_sigmoid: 'hardSigmoid',
  tanh: 'tanh',
} as const;

export type ActivationName = keyof typeof ACTIVATIONS;

export function activation(description: string, def: ActivationName): Param {
  return choice(description, Object.keys(ACTIVATIONS) as ActivationName[], { default: def });
}

export function initializer(description: string, def: string): Param {
  return { schema: { $ref: '#/$defs/initializer', description, default: def }, default: def };
}

export function regularizer(description: string): Param {
  return { schema: { $ref: '#/$defs/regularizer', description } };
}

/** Shared `$defs` that the helpers above refer to. */
export function sharedDefs(): Record<string, JsonSchema> {
  const names = Object.keys(INITIALIZERS);
  const argDocs: Record<string, string> = {};
  for (const [name, def] of Object.entries(INITIALIZERS)) {
    for (const [arg, d] of Object.entries(def.args)) argDocs[arg] = `${argDocs[arg] ? `${argDocs[arg]}, ` : ''}${name} (default ${d})`;
  }
  return {
    initializer: {
      description: `An initializer name (${names.join(', ')}), or a mapping with \`type\` and its arguments, such as {type: constant, value: 0.1}.`,
      type: ['string', 'object'],
      if: { type: 'string' },
      then: { enum: names },
      else: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { enum: names, description: 'The initializer.' },
          value: { type: 'number', description: `The value, for ${argDocs.value}.` },
          mean: { type: 'number', description: `The mean, for ${argDocs.mean}.` },
          stddev: { type: 'number', exclusiveMinimum: 0, description: `The standard deviation, for ${argDocs.stddev}.` },
          minval: { type: 'number', description: `The lower bound, for ${argDocs.minval}.` },
          maxval: { type: 'number', description: `The upper bound, for ${argDocs.maxval}.` },
          gain: { type: 'number', exclusiveMinimum: 0, description: `The multiplicative factor, for ${argDocs.gain}.` },
        },
        additionalProperties: false,
      },
    },
    regularizer: {
      description: 'L1 and/or L2 penalties added to the loss, such as {l2: 0.0001}.',
      type: 'object',
      properties: {
        l1: { type: 'number', minimum: 0, description: 'L1 factor.' },
        l2: { type: 'number', minimum: 0, description: 'L2 factor.' },
      },
      minProperties: 1,
      additionalProperties: false,
    },
  };
}
