/**
 * The train: section built from the registry: its schema takes each
 * optimizer's and schedule's own keys and refuses another entry's; the checks
 * the schema cannot make report a monitored metric that is not logged (or not
 * a metric at all, with a suggestion) and label smoothing on a loss that has
 * no class targets. Iterates over the registry, so new entries are covered.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Place } from '../../src/errors.js';
import { AJV_OPTIONS } from '../../src/document/check-schema.js';
import type { JsonSchema } from '../../src/document/json-schema.js';
import type { SpecPath } from '../../src/document/source.js';
import { trainRegistry } from '../../src/train-registry/catalog.js';
import type { Catalog, Entry } from '../../src/train-registry/entry.js';
import { checkTrainSection, trainSchema } from '../../src/train-registry/section.js';

const { section, defs } = trainSchema();
const validate: ValidateFunction = new Ajv2020({ ...AJV_OPTIONS }).compile({ ...section, $defs: defs });

function accepts(train: Record<string, unknown>): void {
  assert.ok(validate(train), `the schema refuses ${JSON.stringify(train)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
}

function refuses(train: Record<string, unknown>, pattern?: RegExp): void {
  assert.equal(validate(train), false, `the schema accepts ${JSON.stringify(train)}`);
  if (pattern) assert.ok(validate.errors!.some((e) => pattern.test(JSON.stringify(e))), `no error matches ${pattern}: ${JSON.stringify(validate.errors)}`);
}

/** A valid value of a key: its default, else its first choice, else one inside its bounds. */
function sampleOf(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  switch (schema.type) {
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum + 0.5 : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 0.5 : 0.5;
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum + 1 : 1;
    case 'boolean':
      return true;
    case 'string':
      return 'loss';
    default:
      throw new Error(`no sample for ${JSON.stringify(schema)}`);
  }
}

/** Each entry's mapping with all its own keys is valid; with a key only another entry has, it is not. */
function checkEntryKeys(key: 'optimizer' | 'schedule', catalog: Catalog<Entry>): void {
  const all = new Map<string, JsonSchema>();
  for (const def of catalog) for (const [k, p] of Object.entries(def.params)) all.set(k, p.schema);
  for (const def of catalog) {
    const own = Object.fromEntries(Object.entries(def.params).map(([k, p]) => [k, sampleOf(p.schema)]));
    accepts({ [key]: { type: def.name, ...own } });
    accepts({ [key]: { type: def.name } });
    for (const [other, schema] of all) {
      if (other in def.params) continue;
      refuses({ [key]: { type: def.name, [other]: sampleOf(schema) } }, new RegExp(`"additionalProperty":"${other}"`));
    }
  }
}

describe('the train: schema', () => {
  test('adam refuses sgd’s momentum, which sgd takes', () => {
    refuses({ optimizer: { type: 'adam', momentum: 0.9 } }, /"additionalProperty":"momentum"/);
    accepts({ optimizer: { type: 'sgd', momentum: 0.9, nesterov: true } });
  });

  test('every optimizer takes its own keys, and no other optimizer’s', () => {
    checkEntryKeys('optimizer', trainRegistry.optimizers);
  });

  test('every schedule takes its own keys, and no other schedule’s', () => {
    checkEntryKeys('schedule', trainRegistry.schedules);
  });

  test('every optimizer, loss and metric name is accepted, and a misspelt one is not', () => {
    for (const def of trainRegistry.optimizers) accepts({ optimizer: def.name });
    for (const def of trainRegistry.losses) accepts({ loss: def.name });
    accepts({ metrics: trainRegistry.metrics.names() });
    refuses({ optimizer: 'adamx' });
    refuses({ optimizer: { type: 'adamx' } });
    refuses({ loss: 'mse' });
    refuses({ metrics: ['acuracy'] });
    refuses({ schedule: { type: 'cosine_annealing' } });
    refuses({ schedule: { warmup_steps: 5 } }, /"missingProperty":"type"/);
  });

  test('an entry’s keys keep their bounds', () => {
    refuses({ optimizer: { type: 'sgd', momentum: 1 } });
    refuses({ optimizer: { type: 'adam', learning_rate: 0 } });
    refuses({ schedule: { type: 'one_cycle', pct_start: 1 } });
    refuses({ schedule: { type: 'reduce_on_plateau', mode: 'up' } });
  });
});

describe('checkTrainSection', () => {
  const places: SpecPath[] = [];
  const at = (path: SpecPath): Place => {
    places.push(path);
    return { file: 'spec.yaml', line: places.length };
  };
  const check = (train: Record<string, unknown>) => {
    places.length = 0;
    return checkTrainSection(train, at);
  };
  const watchers: [string, (monitor: string) => Record<string, unknown>][] = [
    ['early_stopping', (monitor) => ({ early_stopping: { monitor } })],
    ['checkpoint', (monitor) => ({ checkpoint: { monitor } })],
    ['schedule', (monitor) => ({ schedule: { type: 'reduce_on_plateau', monitor } })],
  ];

  test('loss and val_loss may always be monitored', () => {
    for (const [, section] of watchers) for (const monitor of ['loss', 'val_loss']) assert.deepEqual(check(section(monitor)), []);
  });

  test('a metric monitored but not in train.metrics is reported, with the fix; listed, it is fine', () => {
    for (const metric of trainRegistry.metrics.names()) {
      for (const [key, section] of watchers) {
        for (const monitor of [metric, `val_${metric}`]) {
          const problems = check(section(monitor));
          assert.equal(problems.length, 1, `${key} watching ${monitor}: ${JSON.stringify(problems)}`);
          assert.equal(problems[0]!.code, 'unlogged-metric');
          assert.match(problems[0]!.message, new RegExp(`^train\\.${key}\\.monitor watches ${monitor}, .*add ${metric} to train\\.metrics`));
          assert.deepEqual(places, [['train', key, 'monitor']], 'the problem is placed at the monitor key');
          assert.deepEqual(check({ ...section(monitor), metrics: [metric] }), []);
        }
      }
    }
  });

  test('an unknown monitored name is reported with the nearest logged name', () => {
    const problems = check({ metrics: ['accuracy'], early_stopping: { monitor: 'val_acuracy' }, checkpoint: { monitor: 'val_los' } });
    assert.deepEqual(
      problems.map((p) => [p.code, p.suggestion]),
      [
        ['unknown-metric', 'val_accuracy'],
        ['unknown-metric', 'val_loss'],
      ],
    );
    assert.match(problems[0]!.message, /did you mean 'val_accuracy'/i);
    assert.match(problems[0]!.message, /it logs loss, val_loss, accuracy, val_accuracy$/);
    const far = check({ schedule: { type: 'reduce_on_plateau', monitor: 'throughput' } });
    assert.equal(far.length, 1);
    assert.equal(far[0]!.code, 'unknown-metric');
    assert.equal(far[0]!.suggestion, undefined, 'no suggestion for a name nothing is close to');
  });

  test('label_smoothing is reported on every loss that takes none (mean_squared_error among them), and only there', () => {
    assert.equal(check({ loss: 'mean_squared_error', label_smoothing: 0.1 })[0]?.code, 'no-smoothing');
    for (const def of trainRegistry.losses) {
      const problems = check({ loss: def.name, label_smoothing: 0.1 });
      if (def.smoothing) assert.deepEqual(problems, [], def.name);
      else {
        assert.deepEqual(
          problems.map((p) => p.code),
          ['no-smoothing'],
          def.name,
        );
        assert.match(problems[0]!.message, new RegExp(`${def.name} is not one; remove it`));
        assert.deepEqual(places, [['train', 'label_smoothing']]);
      }
      assert.deepEqual(check({ loss: def.name, label_smoothing: 0 }), [], `${def.name} with label_smoothing 0`);
    }
    assert.deepEqual(check({ label_smoothing: 0.1 }), [], 'the default loss (categorical_crossentropy) takes it');
  });
});
