/**
 * The JSON Schema of a spec, generated from the layer and training registries. The committed
 * copy in `schema/strata.schema.json` is what editors use; a test keeps the
 * two equal (`npm run generate` rewrites it).
 */
import type { JsonSchema } from '../document/json-schema.js';
import { MAX_INT } from '../document/json-schema.js';
import { sharedDefs } from '../layers/params.js';
import type { LayerDef, LayerRegistry } from '../layers/registry.js';
import type { TrainRegistry } from '../train-registry/entry.js';
import { trainRegistry } from '../train-registry/catalog.js';
import { trainSchema } from '../train-registry/section.js';
import { dataSchema, searchSchema, SPEC_VERSION } from './sections.js';

export const SCHEMA_ID = 'https://strata.dev/schema/strata.schema.json';

export const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]*$';

/** Keys every layer may carry, beside its own. */
export const COMMON_LAYER_KEYS: Record<string, JsonSchema> = {
  name: { type: 'string', pattern: NAME_PATTERN, description: 'A unique name, for `inputs:` references and in summaries.' },
  inputs: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    minItems: 1,
    description: 'The names of the layers whose outputs this layer takes (default: the previous layer).',
  },
  repeat: { type: 'integer', minimum: 1, maximum: MAX_INT, description: 'Repeat the layer this many times, each copy taking the previous one.' },
  trainable: { type: 'boolean', default: true, description: 'Whether the layer’s weights are updated in training.' },
};

function layerObject(def: LayerDef, withCommon: boolean): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    type: { const: def.type, description: def.description },
    ...(withCommon ? COMMON_LAYER_KEYS : {}),
  };
  const required = ['type'];
  for (const [key, param] of Object.entries(def.params)) {
    if (def.nested?.key === key) {
      const ref = `#/$defs/${nestedDefName(def)}`;
      properties[key] = def.nested.list ? { ...param.schema, type: 'array', minItems: 1, items: { $ref: ref } } : { ...param.schema, $ref: ref };
    } else properties[key] = param.schema;
    if (param.required) required.push(key);
  }
  return { type: 'object', title: def.type, description: def.description, properties, required, additionalProperties: false };
}

/** Blocks with a `layers:` list all allow the same inner types, so they share one dispatch (a smaller schema compiles faster). */
function nestedDefName(def: LayerDef): string {
  return def.nested?.list ? 'nested.layers' : `nested.${def.type}`;
}

/** `type` picks one of the given layer schemas (`if type is X then X's schema`). */
function dispatch(types: readonly string[], prefix: string, description: string): JsonSchema {
  return {
    type: 'object',
    description,
    required: ['type'],
    properties: { type: { enum: [...types], description: 'The layer type.' } },
    allOf: types.map((t) => ({ if: { properties: { type: { const: t } }, required: ['type'] }, then: { $ref: `#/$defs/${prefix}${t}` } })),
  };
}

export function buildSchema(registry: LayerRegistry, training: TrainRegistry = trainRegistry): JsonSchema {
  const train = trainSchema(training);
  const defs: Record<string, JsonSchema> = { ...sharedDefs(), ...train.defs };
  const types = registry.types();
  defs.layer = dispatch(types, 'layer.', 'One layer of the model; `type` says which.');
  for (const def of registry) {
    defs[`layer.${def.type}`] = layerObject(def, true);
    if (def.nested) {
      defs[nestedDefName(def)] = dispatch(registry.nestedTypes(def), 'inner.', def.nested.list ? 'One layer of a block.' : `The layer that ${def.type} wraps.`);
      for (const inner of registry.nestedTypes(def)) defs[`inner.${inner}`] = layerObject(registry.get(inner)!, false);
    }
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'strata spec',
    description: 'A strata spec: one file that describes a neural network, its data and its training.',
    type: 'object',
    required: ['version', 'model'],
    properties: {
      version: { const: SPEC_VERSION, description: `The spec format version; the current one is ${SPEC_VERSION}.` },
      name: { type: 'string', pattern: NAME_PATTERN, description: 'The experiment name, used for run directories.' },
      description: { type: 'string', description: 'Free text about the experiment.' },
      seed: { type: 'integer', minimum: 0, description: 'Seeds every source of randomness (initializers, shuffling, dropout).' },
      data: dataSchema,
      model: {
        type: 'object',
        description: 'The network.',
        required: ['layers'],
        properties: {
          layers: { type: 'array', minItems: 1, items: { $ref: '#/$defs/layer' }, description: 'The layers, run in order unless `inputs:` says otherwise.' },
          outputs: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'The names of the output layers (default: the last layer).' },
        },
        additionalProperties: false,
      },
      train: train.section,
      search: searchSchema,
    },
    additionalProperties: false,
    $defs: defs,
  };
}
