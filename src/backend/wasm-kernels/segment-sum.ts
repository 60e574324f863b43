/**
 * UnsortedSegmentSum as a loop: the gradient of gather, and so of every
 * embedding layer. The wasm backend of TensorFlow.js 4.22 has no kernel for it.
 */

/**
 * out[ids[i], j] += x[i, j] for each of the ids.length rows of x (each `inner`
 * values long); ids outside [0, numSegments) are dropped, as TensorFlow does.
 */
export function unsortedSegmentSum(x: ArrayLike<number>, ids: ArrayLike<number>, inner: number, numSegments: number, out: Float32Array | Int32Array): void {
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j]! += x[src + j]!;
  }
}
