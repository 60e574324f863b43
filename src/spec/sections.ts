/**
 * The schemas of the spec's `data:` and `search:` sections (the `train:`
 * section's comes from the training registry, the layers' from the layer
 * registry); every key listed here is one strata reads.
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

const numberSpaces = ['uniform', 'loguniform', 'int'];

/** One parameter's space in a `search:` section (src/search/ reads it). */
const searchSpace: JsonSchema = {
  type: 'object',
  description: 'Where a parameter is drawn from: `space` and its bounds or values; `when` makes it conditional.',
  required: ['space'],
  properties: {
    space: { enum: ['uniform', 'loguniform', 'int', 'choice', 'grid'], description: 'uniform and loguniform: a number between low and high (loguniform: evenly in the logarithm); int: a whole number from low to high; choice: one of values; grid: one of values, every one tried by algorithm grid.' },
    low: { type: 'number', description: 'uniform, loguniform, int: the lowest value.' },
    high: { type: 'number', description: 'uniform, loguniform, int: the highest value.' },
    step: { type: 'number', exclusiveMinimum: 0, description: 'int: the step between values (default 1).' },
    values: { type: 'array', minItems: 1, description: 'choice and grid: the values, any of what the key takes (numbers, names, whole layer lists).' },
    when: { type: 'object', minProperties: 1, maxProperties: 1, description: 'Draw this parameter only when another (listed before it) has one of these values: `{train.optimizer.type: sgd}` or `{model.layers[1].type: [dense, conv2d]}`.' },
  },
  allOf: [
    { if: { properties: { space: { enum: numberSpaces } } }, then: { properties: { low: { type: 'number' }, high: { type: 'number' } }, required: ['low', 'high'] } },
    { if: { properties: { space: { enum: ['choice', 'grid'] } } }, then: { properties: { values: { type: 'array' } }, required: ['values'] } },
  ],
  additionalProperties: false,
};

const searchObjective: JsonSchema = {
  type: 'object',
  required: ['metric', 'goal'],
  properties: {
    metric: { type: 'string', minLength: 1, description: "A metric the runs log, such as val_accuracy or val_loss, or params: the trial model's parameter count." },
    goal: { enum: ['maximize', 'minimize'], description: 'Whether higher or lower is better.' },
  },
  additionalProperties: false,
};

export const searchSchema: JsonSchema = {
  type: 'object',
  description: 'A search over this spec: `strata search` trains a trial for each draw of the parameters and keeps the best (docs/search.md). `strata train` refuses a spec with this section.',
  required: ['parameters', 'objective'],
  properties: {
    parameters: {
      type: 'object',
      minProperties: 1,
      description: 'Key paths into this spec, as `--set` writes them (`train.optimizer.learning_rate`, `model.layers[2].units`), each with its space.',
      additionalProperties: searchSpace,
    },
    objective: {
      type: ['object', 'array'],
      description: "What a trial is judged by: a metric and a goal, or a list of them for a Pareto front (`[{metric: val_accuracy, goal: maximize}, {metric: params, goal: minimize}]`). A trial counts at its best epoch by the first logged metric; the others are read at that epoch.",
      if: { type: 'object' },
      then: searchObjective,
      else: { items: searchObjective, minItems: 1 },
    },
    trials: { type: 'integer', minimum: 1, default: 10, description: 'How many trials to train (algorithm grid: at most every combination once).' },
    algorithm: { enum: ['random', 'grid', 'tpe'], default: 'tpe', description: 'How the next trial is chosen: random draws; grid, every combination of choice and grid values; tpe, the Tree-structured Parzen Estimator (as Optuna), random for the first 10.' },
    seed: { type: 'integer', minimum: 0, description: "Seeds the draws (default: the spec's seed, else 0). Every trial trains with the spec's seed." },
    scheduler: { enum: ['none', 'median', 'asha'], default: 'none', description: "Stops bad trials early by their objective per epoch: median, when a trial's best is worse than the median of the earlier trials' at the same epoch; asha, asynchronous successive halving (rungs at grace_epochs·reduction^k epochs, the best 1/reduction going on)." },
    grace_epochs: { type: 'integer', minimum: 1, default: 1, description: 'Epochs every trial trains before the scheduler may stop it (asha: its first rung).' },
    reduction: { type: 'integer', minimum: 2, default: 3, description: 'asha: the fraction 1/reduction of trials that go on at each rung.' },
    min_trials: { type: 'integer', minimum: 1, default: 3, description: 'median: trials that run to the end before the scheduler stops any.' },
    parallel: { type: 'integer', minimum: 1, default: 1, description: 'Trials trained at a time, each in its own process (the cores shared among them). Trial n is drawn from the trials up to n - parallel, so the draws do not depend on which ends first.' },
    time_budget: { type: 'number', exclusiveMinimum: 0, description: 'Seconds of training after which no new trial starts (the running one finishes).' },
  },
  additionalProperties: false,
};
