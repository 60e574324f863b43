/** What changed on resume, and which changes are safe. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeChange, diffSpecs } from '../../src/run/spec-diff.js';

const base = { version: 1, seed: 3, model: { layers: [{ type: 'input', shape: [4] }, { type: 'dense', units: 8 }] }, train: { epochs: 3, optimizer: 'adam' } };

test('no change, no diff', () => {
  assert.deepEqual(diffSpecs(base, structuredClone(base)), []);
});

test('more epochs and a schedule are safe; a new optimizer and a model change are not', () => {
  const after = structuredClone(base) as Record<string, any>;
  after.train.epochs = 5;
  after.train.schedule = { type: 'cosine' };
  after.train.optimizer = 'sgd';
  after.model.layers[1].units = 16;
  const changes = diffSpecs(base, after);
  assert.deepEqual(
    changes.map((c) => [c.path, c.safe]),
    [
      ['model.layers[1].units', false],
      ['train.epochs', true],
      ['train.optimizer', false],
      ['train.schedule', true],
    ],
  );
  assert.equal(describeChange(changes[1]!), '  train.epochs: 3 → 5');
  assert.match(describeChange(changes[2]!), /"adam" → "sgd"  \(the run will no longer match an uninterrupted one\)/);
});
