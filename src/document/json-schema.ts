/**
 * JSON Schema as plain data, and the building blocks of a registry entry's
 * keys: each helper returns a key's schema (with the description editors show)
 * and its default. The layer and training registries build the spec schema,
 * the docs and the defaults applied before anything is built from these.
 */

export type JsonSchema = { [key: string]: unknown };

export interface Param {
  schema: JsonSchema;
  required?: boolean;
  /** The value used when the spec leaves the key out. */
  default?: unknown;
}

/** Options every helper takes. */
export interface Common {
  required?: boolean;
}

/** `schema` with its `default`, when there is one. */
export const withDefault = (schema: JsonSchema, def: unknown): JsonSchema => (def === undefined ? schema : { ...schema, default: def });

/**
 * The largest integer any key takes: a size above it can never be allocated
 * (typed arrays and TensorFlow.js's sizes stop at 2^31 - 1), and the bound also
 * refuses numbers such as 1e23, which pass as integers but lose their digits.
 */
export const MAX_INT = 2 ** 31 - 1;

export function int(description: string, o: Common & { min?: number; max?: number; default?: number } = {}): Param {
  const schema: JsonSchema = { type: 'integer', description };
  if (o.min !== undefined) schema.minimum = o.min;
  schema.maximum = o.max ?? MAX_INT;
  return { schema: withDefault(schema, o.default), required: o.required, default: o.default };
}

export function num(description: string, o: Common & { min?: number; max?: number; exclusiveMax?: number; exclusiveMin?: number; default?: number } = {}): Param {
  const schema: JsonSchema = { type: 'number', description };
  if (o.min !== undefined) schema.minimum = o.min;
  if (o.max !== undefined) schema.maximum = o.max;
  if (o.exclusiveMin !== undefined) schema.exclusiveMinimum = o.exclusiveMin;
  if (o.exclusiveMax !== undefined) schema.exclusiveMaximum = o.exclusiveMax;
  return { schema: withDefault(schema, o.default), required: o.required, default: o.default };
}

export function bool(description: string, def: boolean): Param {
  return { schema: { type: 'boolean', description, default: def }, default: def };
}

export function choice<T extends string>(description: string, values: readonly T[], o: Common & { default?: T } = {}): Param {
  return { schema: withDefault({ type: 'string', enum: [...values], description }, o.default), required: o.required, default: o.default };
}

export function str(description: string, o: Common = {}): Param {
  return { schema: { type: 'string', minLength: 1, description }, required: o.required };
}

/** A mapping of `keys`: each key's schema, the required ones listed, no other key allowed. */
export function keyedObject(description: string, keys: Record<string, Param>, extra: JsonSchema = {}): JsonSchema {
  const required = Object.entries(keys)
    .filter(([, p]) => p.required)
    .map(([k]) => k);
  return { type: 'object', description, properties: Object.fromEntries(Object.entries(keys).map(([k, p]) => [k, p.schema])), ...(required.length ? { required } : {}), additionalProperties: false, ...extra };
}
