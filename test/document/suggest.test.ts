import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, editDistance, nearest } from '../../src/document/suggest.js';

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

test('nearest gives up to three near names, nearest first, and none for far ones', () => {
  const classes = ['Dense', 'Conv1D', 'Conv2D', 'Conv2DTranspose', 'LSTM', 'Dropout', 'Add', 'MaxPooling1D', 'MaxPooling2D'];
  assert.deepEqual(nearest('Conv3D', classes), ['Conv1D', 'Conv2D']);
  assert.deepEqual(nearest('CuDNNLSTM', classes), ['LSTM'], 'a name it contains');
  assert.deepEqual(nearest('SpatialDropout1D', classes), ['Dropout']);
  assert.deepEqual(nearest('Lambda', classes), []);
  assert.deepEqual(nearest('AdditiveAttention', classes), [], 'Add is too short to count as contained');
  assert.deepEqual(nearest('Conv', classes, 2), ['Conv1D', 'Conv2D'], 'at most n');
});
