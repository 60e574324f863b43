/**
 * A document checked against a JSON Schema by ajv, with every error translated
 * into one line that names the place and the fix. Phase one of validating a
 * spec, and all there is to checking a dataset descriptor.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../errors.js';
import type { JsonSchema } from './json-schema.js';
import { didYouMean, closest } from './suggest.js';
import { formatPath, placeOf } from './source.js';
import type { SpecPath, SpecSource } from './source.js';

/** The ajv options every validator is compiled with (at run time, or ahead of time by scripts/compile-validator.ts). */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true } as const;

let compiled: { schema: JsonSchema; validate: ValidateFunction } | undefined;

/** A validator for `schema`, compiled at run time (the last one is kept). */
export function compileValidator(schema: JsonSchema): ValidateFunction {
  if (compiled?.schema !== schema) compiled = { schema, validate: new Ajv2020({ ...AJV_OPTIONS }).compile(schema) };
  return compiled.validate;
}

function decodePointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `layers[2].units` for layer keys, `train.epochs` elsewhere. */
export function describePath(path: SpecPath, rootName = 'the spec'): string {
  if (path[0] === 'model' && path[1] === 'layers' && path.length > 2) return formatPath(path.slice(1));
  return path.length === 0 ? rootName : formatPath(path);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list (${JSON.stringify(v).slice(0, 40)})`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

/** The layer a path is inside, as `layers[2] (dense)`, if any. */
function layerLabel(path: SpecPath, root: unknown): string | undefined {
  if (path[0] !== 'model' || path[1] !== 'layers' || typeof path[2] !== 'number') return undefined;
  const layer = (root as { model: { layers: unknown[] } }).model.layers[path[2]];
  const type = typeof layer === 'object' && layer !== null ? (layer as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? `layers[${path[2]}] (${type})` : `layers[${path[2]}]`;
}

function boundMessage(e: ErrorObject, what: string): string {
  const schema = e.parentSchema as JsonSchema;
  const limit = (e.params as { limit: number }).limit;
  const integer = schema.type === 'integer' || (Array.isArray(schema.type) && schema.type.includes('integer'));
  const kind = integer ? 'integer' : 'number';
  const got = `, got ${describeValue(e.data)}`;
  if (e.keyword === 'minimum' && limit === 1 && integer) return `${what} must be a positive integer${got}`;
  if (e.keyword === 'exclusiveMinimum' && limit === 0) return `${what} must be a positive ${kind}${got}`;
  if (e.keyword === 'minimum' && limit === 0) return `${what} must not be negative${got}`;
  const rel = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'greater than', exclusiveMaximum: 'less than' }[e.keyword as 'minimum'];
  const range =
    schema.minimum !== undefined && schema.exclusiveMaximum !== undefined
      ? ` (in [${String(schema.minimum)}, ${String(schema.exclusiveMaximum)}))`
      : schema.exclusiveMinimum !== undefined && schema.exclusiveMaximum !== undefined
        ? ` (in (${String(schema.exclusiveMinimum)}, ${String(schema.exclusiveMaximum)}))`
        : '';
  return `${what} must be ${rel} ${limit}${range}${got}`;
}

function translate(e: ErrorObject, source: SpecSource, root: unknown, rootName: string): Diagnostic | undefined {
  const path = decodePointer(e.instancePath);
  const what = describePath(path, rootName);
  const schema = (e.parentSchema ?? {}) as JsonSchema;
  const at = (p: SpecPath, part: 'key' | 'value' = 'value') => placeOf(source, p, part);
  switch (e.keyword) {
    case 'if':
      return undefined; // the branch's own errors say what is wrong
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((schema.properties ?? {}) as object);
      const inside = layerLabel(path, root) && path.length === 3 ? layerLabel(path, root)! : what;
      const suggestion = closest(key, known);
      if (path.length === 0 && !suggestion) {
        // A section's key written at the top level, such as `epochs:` for `train.epochs`.
        const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
        const section = Object.keys(props).find((s) => Object.keys((props[s]?.properties ?? {}) as object).includes(key));
        if (section) {
          return { ...at([key], 'key'), code: 'unknown-key', message: `unknown key '${key}' in the spec; it belongs under ${section}: (${section}.${key})` };
        }
      }
      return {
        ...at([...path, key], 'key'),
        code: 'unknown-key',
        message: `unknown key '${key}' in ${inside}${suggestion || path.length === 0 || typeof schema.title !== 'string' || layerLabel(path, root) ? didYouMean(key, known) : `; ${schema.title} takes ${known.filter((k) => k !== 'type').join(', ') || 'no other keys'}`}`,
        ...(suggestion ? { suggestion } : {}),
      };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const label = layerLabel(path, root);
      if (label && path.length === 3 && missing === 'type') {
        return { ...at(path), code: 'missing-key', message: `${label} has no 'type'; add one, such as type: dense` };
      }
      const where = label && path.length === 3 ? label : what;
      const example = missing === 'version' ? '; add version: 1' : '';
      return { ...at(path), code: 'missing-key', message: `${where} is missing the required key '${missing}'${example}` };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const value = String(e.data);
      const suggestion = closest(value, allowed);
      const extra = suggestion ? { suggestion } : {};
      if (path[path.length - 1] === 'type' && path.length > 4 && !suggestion) {
        const outer = layerLabel(path.slice(0, 3), root) ?? formatPath(path.slice(0, -2));
        return { ...at(path), code: 'unknown-type', message: `${outer} cannot wrap '${value}' in ${String(path[path.length - 2])}; it takes one of ${allowed.join(', ')}` };
      }
      if (path[path.length - 1] === 'type' && (path[1] === 'layers' || String(path[path.length - 2]) === 'layer')) {
        return { ...at(path), code: 'unknown-type', message: `unknown layer type '${value}'${didYouMean(value, allowed)}`, ...extra };
      }
      if (typeof e.data !== 'string') {
        return { ...at(path), code: 'bad-value', message: `${what} must be one of ${allowed.join(', ')}, got ${describeValue(e.data)}` };
      }
      const list = allowed.length <= 20 ? `: ${allowed.join(', ')}` : '';
      const dym = didYouMean(value, allowed);
      return { ...at(path), code: 'bad-value', message: `${what} has an unknown value '${value}'${dym}${dym ? '' : `; expected one of${list || ` ${allowed.length} names (see the docs)`}`}`, ...extra };
    }
    case 'const': {
      const allowed = (e.params as { allowedValue: unknown }).allowedValue;
      return { ...at(path), code: 'bad-value', message: `${what} must be ${JSON.stringify(allowed)}, got ${describeValue(e.data)}` };
    }
    case 'type':
      return { ...at(path), code: 'bad-type', message: `${what} must be ${typeWords((e.params as { type: unknown }).type)}, got ${describeValue(e.data)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { ...at(path), code: 'out-of-range', message: boundMessage(e, what) };
    case 'minItems': {
      const limit = (e.params as { limit: number }).limit;
      if (limit === 1) return { ...at(path), code: 'empty', message: `${what} must not be empty` };
      return { ...at(path), code: 'bad-length', message: `${what} must have ${schema.maxItems === limit ? 'exactly' : 'at least'} ${limit} entries, got ${(e.data as unknown[]).length}` };
    }
    case 'maxItems': {
      const limit = (e.params as { limit: number }).limit;
      return { ...at(path), code: 'bad-length', message: `${what} must have ${schema.minItems === limit ? 'exactly' : 'at most'} ${limit} entries, got ${(e.data as unknown[]).length}` };
    }
    case 'minLength':
      return { ...at(path), code: 'empty', message: `${what} must not be empty` };
    case 'minProperties':
      return { ...at(path), code: 'empty', message: `${what} must set at least one of: ${Object.keys((schema.properties ?? {}) as object).join(', ')}` };
    case 'pattern':
      return { ...at(path), code: 'bad-name', message: `${what} '${String(e.data)}' must start with a letter and hold only letters, digits, '_', '.' and '-'` };
    case 'uniqueItems':
      return { ...at(path), code: 'duplicate', message: `${what} lists the same value twice` };
    default:
      return { ...at(path), code: 'schema', message: `${what} ${e.message ?? 'is invalid'}` };
  }
}

/**
 * Validate a parsed document against a schema; returns one diagnostic per problem, in file
 * order. `validate` is the schema's compiled validator, when the caller has one ready.
 */
export function checkSchema(value: unknown, source: SpecSource, schema: JsonSchema, rootName = 'the spec', validate: ValidateFunction = compileValidator(schema)): Diagnostic[] {
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  // A misspelled required key shows up twice: as unknown and as missing. The unknown-key
  // error (with its "did you mean") says it all, so the missing-key one is dropped.
  const misspelled = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const known = Object.keys(((e.parentSchema as JsonSchema).properties ?? {}) as object);
    const near = closest((e.params as { additionalProperty: string }).additionalProperty, known);
    if (near) misspelled.add(`${e.instancePath}/${near}`);
  }
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (e.keyword === 'required' && misspelled.has(`${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`)) continue;
    const d = translate(e, source, value, rootName);
    if (!d) continue;
    const key = `${d.line}:${d.col}:${d.arg}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
