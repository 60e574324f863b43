/** The end-of-training table and sparkline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochSummary, sparkline } from '../../src/cli/epoch-table.js';

test('sparkline scales values between their min and max, leaving non-finite values blank', () => {
  assert.equal(sparkline([3, 2, 1]), '█▅▁');
  assert.equal(sparkline([1, Number.NaN, 1]), '▄ ▄');
  assert.equal(sparkline([]), '');
});

test('epochSummary has one row per epoch and a sparkline of the validation loss', () => {
  const epochs = [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, accuracy: 0.5, val_loss: 2 / epoch, val_accuracy: 0.4, lr: 0.01, seconds: 1, samples_per_second: 100 }));
  const out = epochSummary(epochs);
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /Epoch.*loss.*accuracy.*val_loss.*val_accuracy.*lr/);
  assert.doesNotMatch(out, /samples_per_second/);
  assert.match(out, /val_loss █▃▁  2\.0000 → 0\.6667/);
});
