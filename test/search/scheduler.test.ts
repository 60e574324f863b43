/** The search schedulers' stopping rules (src/search/scheduler.ts), on hand-made curves (lower is better). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shouldStop } from '../../src/search/scheduler.js';
import type { SchedulerOptions } from '../../src/search/scheduler.js';

const asha: SchedulerOptions = { kind: 'asha', grace: 1, reduction: 3, minTrials: 3 };
const median: SchedulerOptions = { kind: 'median', grace: 1, minTrials: 3, reduction: 3 };

test('none never stops', () => {
  assert.equal(shouldStop({ ...asha, kind: 'none' }, [9, 9, 9], [[1, 1, 1]]), false);
});

test('asha decides only at its rungs (1, 3, 9 epochs with grace 1 and reduction 3), keeping the best third', () => {
  // The first trial at a rung goes on (it is the best so far); so does a better one.
  assert.equal(shouldStop(asha, [0.5], []), false);
  assert.equal(shouldStop(asha, [0.4], [[0.5, 0.4, 0.3]]), false);
  // With fewer than 3 at the rung, only the best goes on.
  assert.equal(shouldStop(asha, [0.6], [[0.5, 0.4, 0.3]]), true);
  // Epoch 2 is not a rung: no decision however bad.
  assert.equal(shouldStop(asha, [0.4, 9], [[0.5, 0.4, 0.3], [0.45, 0.2, 0.1]]), false);
  // Epoch 3: six values at the rung (five earlier, this one) keep the best two.
  const earlier = [[0.5, 0.4, 0.3], [0.6, 0.5, 0.2], [0.7, 0.6, 0.5], [0.8, 0.7, 0.6], [0.9, 0.8, 0.7]];
  assert.equal(shouldStop(asha, [0.5, 0.4, 0.25], earlier), false, 'second best of six');
  assert.equal(shouldStop(asha, [0.5, 0.4, 0.35], earlier), true, 'third of six');
  // A trial stopped before a rung does not count at it.
  assert.equal(shouldStop(asha, [0.5, 0.4, 0.35], [[0.1], [0.5, 0.4, 0.3]]), true, 'two at the rung: only the best goes on');
});

test('median waits for min_trials and grace, then stops a trial worse than the median at the same epoch', () => {
  assert.equal(shouldStop(median, [9], [[0.5], [0.4]]), false, 'two earlier trials: too few');
  const earlier = [[0.5, 0.4], [0.6, 0.3], [0.7, 0.6]];
  assert.equal(shouldStop(median, [0.65], earlier), true, 'epoch 1: 0.65 against a median of 0.6');
  assert.equal(shouldStop(median, [0.55], earlier), false);
  assert.equal(shouldStop(median, [0.65, 0.35], earlier), false, "epoch 2: its best 0.35 against the others' bests 0.4, 0.3, 0.6");
  assert.equal(shouldStop({ ...median, grace: 2 }, [0.9], earlier), false, 'within grace');
});

test('a non-finite objective stops the trial once past grace', () => {
  assert.equal(shouldStop(median, [Infinity], [[1], [1], [1]]), true);
  assert.equal(shouldStop(asha, [Infinity], []), true);
});
