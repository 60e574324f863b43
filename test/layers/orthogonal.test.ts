import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orthogonalMatrix } from '../../src/layers/orthogonal.js';

function maxOffIdentity(a: Float32Array, rows: number, cols: number, gain: number): number {
  // Gram matrix of the shorter side must be gain² · I.
  const byCols = rows >= cols;
  const n = byCols ? cols : rows;
  const len = byCols ? rows : cols;
  const at = (i: number, k: number) => (byCols ? a[k * cols + i]! : a[i * cols + k]!);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += at(i, k) * at(j, k);
      worst = Math.max(worst, Math.abs(dot - (i === j ? gain * gain : 0)));
    }
  }
  return worst;
}

test('orthogonal matrices are orthonormal in both orientations, scaled by gain', () => {
  for (const [rows, cols, gain] of [[64, 16, 1], [16, 64, 1], [32, 32, 2], [300, 100, 1]] as const) {
    const a = orthogonalMatrix(rows, cols, gain, 5);
    assert.ok(maxOffIdentity(a, rows, cols, gain) < 1e-5, `${rows}×${cols}`);
  }
});

test('the same seed gives the same matrix, another seed another', () => {
  assert.deepEqual(orthogonalMatrix(8, 4, 1, 3), orthogonalMatrix(8, 4, 1, 3));
  assert.notDeepEqual(orthogonalMatrix(8, 4, 1, 3), orthogonalMatrix(8, 4, 1, 4));
});
