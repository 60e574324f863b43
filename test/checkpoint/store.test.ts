/** Checkpoint names said in words: the names count finished epochs, the words say where training was. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointName, checkpointPosition, describeCheckpoint, positionText } from '../../src/checkpoint/store.js';

test('a checkpoint cut during epoch 2 after 132 batches is named epoch-0001-batch-00132 and said as "epoch 2, 132 batches done"', () => {
  assert.equal(checkpointName(1, 132), 'epoch-0001-batch-00132');
  assert.equal(checkpointPosition('epoch-0001-batch-00132'), 'epoch 2, 132 batches done');
  assert.equal(positionText(1, 132), 'epoch 2, 132 batches done');
  assert.equal(checkpointPosition('runs/x/checkpoints/epoch-0000-batch-00001'), 'epoch 1, 1 batch done');
  assert.equal(describeCheckpoint('runs/x/checkpoints/epoch-0001-batch-00132'), 'runs/x/checkpoints/epoch-0001-batch-00132 (epoch 2, 132 batches done)');
});

test('an end-of-epoch checkpoint is said as "end of epoch N"; other names are left as they are', () => {
  assert.equal(describeCheckpoint(`runs/x/checkpoints/${checkpointName(3, 0)}`), 'runs/x/checkpoints/epoch-0003 (end of epoch 3)');
  assert.equal(checkpointPosition('runs\\x\\checkpoints\\epoch-0010\\'), 'end of epoch 10');
  assert.equal(positionText(0, 0), 'before training');
  assert.equal(describeCheckpoint('exported/model'), 'exported/model');
  assert.equal(checkpointPosition('my-epoch-0003-copy'), undefined);
});
