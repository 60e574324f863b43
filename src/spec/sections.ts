/**
 * The schema of the spec's `data:` section (the `train:` section's comes from
 * the training registry, the layers' from the layer registry); every key
 * listed here is one strata reads.
 */
import type { JsonSchema } from '../document/json-schema.js';
import { preprocessingProperties } from '../data/descriptor.js';

export const SPEC_VERSION = 1;

export const dataSchema: JsonSchema = {
  type: 'object',
  description: 'Where the training data comes from.',
  required: ['dataset'],
  properties: {
    dataset: { type: 'string', minLength: 1, description: 'A bundled dataset (see `strata datasets`) or a path to a dataset descriptor or data file.' },
    validation: {
      type: ['number', 'string'],
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      minLength: 1,
      description: 'The validation split: a fraction of the training data, such as 0.1, or the name of a split of the dataset.',
    },
    label: {
      type: 'string',
      minLength: 1,
      description: 'csv and jsonl: the label column or field (the descriptor\'s `label`, which it overrides); a bare CSV file then needs no column named `label`.',
    },
    augment: {
      type: 'object',
      description: 'Random changes to training images (never to validation or test): shift, rotation, zoom, noise.',
      properties: {
        shift: { type: 'number', minimum: 0, maximum: 0.5, description: 'Largest shift, as a fraction of the height and width.' },
        rotation: { type: 'number', minimum: 0, maximum: 180, description: 'Largest rotation, in degrees.' },
        zoom: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'Largest zoom in or out, as a fraction (0.1: 90% to 110%).' },
        noise: { type: 'number', minimum: 0, description: 'Standard deviation of added Gaussian noise.' },
      },
      additionalProperties: false,
    },
    ...preprocessingProperties,
  },
  additionalProperties: false,
};
