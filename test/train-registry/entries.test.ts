/**
 * What every training-registry entry owes the schema and the docs, whatever
 * its kind: a description, described keys whose defaults pass their own
 * schemas, and snake_case names that do not collide where a spec or a log
 * line could confuse them. Iterates over the registry, so a new entry is held
 * to the same rules as soon as it is listed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { AJV_OPTIONS } from '../../src/document/check-schema.js';
import type { Param } from '../../src/document/json-schema.js';
import { LOSS_KEY, trainRegistry, VALIDATION_PREFIX } from '../../src/train-registry/catalog.js';
import type { Catalog, Entry } from '../../src/train-registry/entry.js';
import { lossEntries } from '../../src/train-registry/losses.js';
import { metricEntries } from '../../src/train-registry/metrics.js';
import { optimizerEntries } from '../../src/train-registry/optimizers.js';
import { scheduleEntries } from '../../src/train-registry/schedules.js';
import { checkpointKeys, earlyStoppingKeys, trainKeys, trainSchema } from '../../src/train-registry/section.js';

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** The entry lists as their files export them (the catalog would throw on a duplicate before a test could name it). */
const kinds: [string, readonly Entry[], Catalog<Entry>][] = [
  ['optimizer', optimizerEntries, trainRegistry.optimizers],
  ['loss', lossEntries, trainRegistry.losses],
  ['schedule', scheduleEntries, trainRegistry.schedules],
  ['metric', metricEntries, trainRegistry.metrics],
];

const ajv = new Ajv2020({ ...AJV_OPTIONS });
/** The optimizer and schedule definitions a key's schema may refer to (`train.optimizer` does). */
const { defs } = trainSchema();

/** Each key is described, and its default (when it has one) passes the key's schema and is the schema's `default`. */
function checkParams(where: string, params: Record<string, Param>): void {
  for (const [key, p] of Object.entries(params)) {
    assert.match(key, SNAKE, `${where}: key '${key}' is not snake_case`);
    const description = p.schema.description;
    assert.ok(typeof description === 'string' && description.trim().length > 0, `${where}: key '${key}' has no description`);
    if (p.default === undefined) {
      assert.equal(p.schema.default, undefined, `${where}: key '${key}' has a schema default but no default`);
      continue;
    }
    const validate = ajv.compile({ ...p.schema, $defs: defs });
    assert.ok(validate(p.default), `${where}: the default of '${key}' (${JSON.stringify(p.default)}) fails its schema: ${ajv.errorsText(validate.errors)}`);
    assert.deepEqual(p.schema.default, p.default, `${where}: key '${key}' has default ${JSON.stringify(p.default)} but its schema says ${JSON.stringify(p.schema.default)}`);
  }
}

describe('every training-registry entry', () => {
  for (const [kind, entries, catalog] of kinds) {
    for (const def of entries) {
      test(`${kind} ${def.name}: snake_case name, a description, described keys with valid defaults`, () => {
        assert.match(def.name, SNAKE, `${kind} '${def.name}' is not snake_case`);
        assert.ok(def.description.trim().length > 0, `${kind} '${def.name}' has no description`);
        assert.ok(/[.)]$/.test(def.description.trim()), `${kind} '${def.name}': the description is a sentence (it ends the docs' paragraph)`);
        assert.ok(!('type' in def.params), `${kind} '${def.name}': 'type' is the key that picks the entry and cannot be one of its own`);
        checkParams(`${kind} ${def.name}`, def.params);
      });
    }
    test(`${kind} names are unique`, () => {
      const names = entries.map((d) => d.name);
      const twice = names.filter((n, i) => names.indexOf(n) !== i);
      assert.deepEqual(twice, [], `${kind} names listed twice`);
      assert.deepEqual(catalog.names(), names, `the ${kind} catalog holds its file’s list, in order`);
    });
  }

  test('metric names are distinct from the loss’s logged name and from validation names', () => {
    for (const def of metricEntries) {
      assert.notEqual(def.name, LOSS_KEY, `metric '${def.name}' would be logged under the loss’s name`);
      assert.ok(!def.name.startsWith(VALIDATION_PREFIX), `metric '${def.name}' starts with ${VALIDATION_PREFIX}, which marks the validation split in logs`);
    }
  });

  test('the train: section’s own keys, early_stopping’s and checkpoint’s are described, with valid defaults', () => {
    checkParams('train', trainKeys());
    checkParams('train.early_stopping', earlyStoppingKeys);
    checkParams('train.checkpoint', checkpointKeys);
  });
});
