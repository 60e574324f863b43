import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, editDistance } from '../../src/document/suggest.js';

test('edit distance counts insertions, deletions, substitutions and transpositions', () => {
  assert.equal(editDistance('conv2', 'conv2d'), 1);
  assert.equal(editDistance('dense', 'dense'), 0);
  assert.equal(editDistance('untis', 'units'), 1);
  assert.equal(editDistance('abc', 'xyz'), 3);
});

test('closest suggests near misses and nothing for far ones', () => {
  const types = ['dense', 'conv2d', 'max_pool2d', 'lstm'];
  assert.equal(closest('conv2', types), 'conv2d');
  assert.equal(closest('Dense', types), 'dense');
  assert.equal(closest('maxpool2d', types), 'max_pool2d');
  assert.equal(closest('transformer', types), undefined);
  assert.equal(closest('x', types), undefined);
});
