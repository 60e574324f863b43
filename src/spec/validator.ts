/**
 * The spec schema's validator: compiled ahead of time by `npm run build`
 * (scripts/compile-validator.ts writes ajv's standalone code beside this
 * module), so `strata validate` does not spend a second compiling the schema
 * at every start; compiled at run time when the schema has changed since.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { compileValidator } from '../document/check-schema.js';
import type { JsonSchema } from '../document/json-schema.js';

/** Where the build puts the compiled validator, next to this module. */
export const COMPILED_VALIDATOR = './spec-validator.cjs';

let cached: { schema: JsonSchema; validate: ValidateFunction } | undefined;

/** The validator compiled at build time, when it was compiled from this very schema. */
function precompiled(schema: JsonSchema): ValidateFunction | undefined {
  try {
    const mod = createRequire(import.meta.url)(COMPILED_VALIDATOR) as { default?: ValidateFunction; schemaHash?: string };
    const hash = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
    return mod.schemaHash === hash ? mod.default : undefined;
  } catch {
    return undefined;
  }
}

export function specValidator(schema: JsonSchema): ValidateFunction {
  if (cached?.schema !== schema) cached = { schema, validate: precompiled(schema) ?? compileValidator(schema) };
  return cached.validate;
}
