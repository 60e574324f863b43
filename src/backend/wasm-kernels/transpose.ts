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
 * If `perm` keeps its first b axes and rotates the rest (output = axes 0…b−1, then
 * b+k…r−1, then b…b+k−1), the transpose is that of `batch` [rows, cols] matrices one
 * after another: batch = the product of axes 0…b−1, rows of axes b…b+k−1, cols of the
 * rest. Else null (and null for no change at all).
 */
export function asMatrixTranspose(shape: readonly number[], perm: readonly number[]): { batch: number; rows: number; cols: number } | null {
  const r = perm.length;
  let b = 0;
  while (b < r && perm[b] === b) b++;
  if (b >= r - 1) return null;
  const k = perm[b]! - b;
  if (k <= 0 || !perm.every((a, i) => i < b || a === b + ((i - b + k) % (r - b)))) return null;
  const product = (axes: readonly number[]) => axes.reduce((p, n) => p * n, 1);
  return { batch: product(shape.slice(0, b)), rows: product(shape.slice(b, b + k)), cols: product(shape.slice(b + k)) };
}

/** out = the transposes of `batch` matrices x [rows, cols] one after another, in TILE × TILE blocks. */
export function transposeTiled(x: Numbers, batch: number, rows: number, cols: number, out: Numbers): void {
  const step = rows * cols;
  for (let i = 0; i < batch; i++) transposeOne(x.subarray(i * step, (i + 1) * step), rows, cols, out.subarray(i * step, (i + 1) * step));
}

function transposeOne(x: Numbers, rows: number, cols: number, out: Numbers): void {
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
