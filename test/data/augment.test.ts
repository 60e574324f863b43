/** Image augmentation: seeded, training batches only, and it really moves pixels. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageAugmenter } from '../../src/data/augment.js';
import { loadDataset } from '../../src/data/load.js';
import { Rng } from '../../src/rng.js';

const image = () => {
  const x = new Float32Array(2 * 8 * 8);
  for (let i = 0; i < 8; i++) x[i * 8 + 3] = 1; // a vertical bar in each of two images
  for (let i = 0; i < 8; i++) x[64 + i * 8 + 3] = 1;
  return { x, y: new Float32Array(2), size: 2 };
};

test('the same random stream gives the same augmented batch; shifting moves the bar, noise changes values', () => {
  const aug = imageAugmenter([8, 8, 1], { shift: 0.25, rotation: 15, zoom: 0.1 })!;
  const a = image();
  const b = image();
  const r1 = new Rng(7);
  const r2 = new Rng(7);
  aug(a, () => r1.next());
  aug(b, () => r2.next());
  assert.deepEqual(Array.from(a.x), Array.from(b.x));
  assert.notDeepEqual(Array.from(a.x), Array.from(image().x));
  const noisy = image();
  const r3 = new Rng(1);
  imageAugmenter([8, 8, 1], { noise: 0.1 })!(noisy, () => r3.next());
  const diffs = Array.from(noisy.x, (v, i) => v - image().x[i]!);
  const std = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length);
  assert.ok(std > 0.07 && std < 0.13, `noise std ${std}`);
});

test('no augmentation asked, none applied; with augment in data the dataset carries an augmenter for training only', async () => {
  assert.equal(imageAugmenter([8, 8, 1], {}), undefined);
  const d = await loadDataset({ dataset: 'mnist', limit: 4, augment: { shift: 0.1 } }, { seed: 1, baseDir: '.' });
  assert.equal(typeof d.augment, 'function');
  // Splits themselves are never augmented: the training loop applies it to training batches.
  const first = Array.from(d.train.batch([0]).x);
  assert.deepEqual(Array.from(d.train.batch([0]).x), first);
});
