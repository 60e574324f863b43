/**
 * Transposing a large matrix in tiles, for the wasm backend's Transpose. The
 * backend's own kernel (4.22) walks the output an element at a time, which is
 * fine while the matrix fits in cache and slow beyond it: 3.2 ms for a
 * [4096, 128] matrix (the left operand of a weight gradient over 64 steps of
 * 64 samples) where copying 32 × 32 tiles takes 1.2 ms. Below about 256 K
 * elements the backend's kernel is faster and is kept.
 */

type Numbers = Float32Array | Int32Array | Uint8Array;

const TILE = 32;

/** Below this many elements the backend's own transpose is faster (measured: 256×256 and 784×128 are). */
export const MIN_TILED_TRANSPOSE = 262144;

/**
 * If `perm` rotates the axes (output = input axes k…r−1 then 0…k−1), the transpose is
 * that of a [rows, cols] matrix: rows = the product of input axes 0…k−1, cols of the rest. Else null.
 */
export function asMatrixTranspose(shape: readonly number[], perm: readonly number[]): { rows: number; cols: number } | null {
  const r = perm.length;
  const k = perm[0]!;
  if (k <= 0 || k >= r || !perm.every((a, i) => a === (i + k) % r)) return null;
  const rows = shape.slice(0, k).reduce((p, n) => p * n, 1);
  const cols = shape.slice(k).reduce((p, n) => p * n, 1);
  return { rows, cols };
}

/** out [cols, rows] = the transpose of x [rows, cols], in TILE × TILE blocks. */
export function transposeTiled(x: Numbers, rows: number, cols: number, out: Numbers): void {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const iEnd = Math.min(rows, i0 + TILE);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const jEnd = Math.min(cols, j0 + TILE);
      for (let j = j0; j < jEnd; j++) {
        const d = j * rows;
        for (let i = i0; i < iEnd; i++) out[d + i] = x[i * cols + j]!;
      }
    }
  }
}
