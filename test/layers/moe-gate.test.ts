/**
 * The mixture of experts' top-k routing on every backend: exactly k ones per
 * row of the mask, at the k largest gate logits. On tfjs-backend-wasm 4.22 a
 * float32 oneHot held the int 1's bits (1.4e-45), so every mask was 0 there and
 * the layer mixed all its experts by a plain softmax.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import { topKGate } from '../../src/layers/custom/moe.js';

test('topKGate: k ones per row at the largest logits, and gates only there', async () => {
  const { tf, backend } = await loadEngine();
  const logits = tf.tensor2d([
    [0.1, 2, -1, 3],
    [5, 4, 3, -2],
  ]);
  const { mask, gates } = topKGate(tf, logits, 2);
  assert.deepEqual(await mask.array(), [[0, 1, 0, 1], [1, 1, 0, 0]], `on ${backend}`);
  const g = (await gates.array()) as number[][];
  assert.ok(Math.abs(g[0]![1]! - 1 / (1 + Math.E)) < 1e-6, `gates ${JSON.stringify(g)} on ${backend}`);
  assert.equal(g[0]![0], 0);
  tf.dispose([logits, mask, gates]);
});
