/**
 * Copying a box out of a row-major array, for the wasm backend's Slice, SplitV
 * and Unpack. The backend's own Slice (4.22) first copies the whole input out
 * of the heap (`readSync`) and then the box out of that copy, so taking one
 * step's 64 rows of a [4096, 384] matrix cost 3.7 ms, and SplitV and Unpack,
 * which call it once per output, cost quadratically (an unstack of
 * [64, 64, 384]: 180 ms). Here the box is copied from a view of the heap.
 */

type Numbers = Float32Array | Int32Array | Uint8Array;

/**
 * Runs of elements to copy: `rows` runs of `run` elements from element `from` of the
 * input (the next run `stride` elements further) to element `to` of the output, one
 * after another. strata's SIMD module does it with a memory.copy a run (register.ts).
 */
export type CopyRuns = (from: number, to: number, rows: number, run: number, stride: number) => void;

/** Copy x[begin … begin + size) (x of `shape`, row-major) into `out`, row-major; with `copy`, by runs. */
export function sliceInto(x: Numbers, shape: readonly number[], begin: readonly number[], size: readonly number[], out: Numbers, copy?: CopyRuns): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  // The innermost axes the box spans whole join the contiguous run along axis d.
  let d = rank - 1;
  while (d > 0 && begin[d] === 0 && size[d] === shape[d]) d--;
  const run = size[d]! * strides[d]!;
  let from = begin.reduce((p, b, i) => p + b * strides[i]!, 0);
  let to = 0;
  // With `copy`, axis d − 1 goes to it whole, as rows of the run; the odometer walks the axes before it.
  const last = copy && d > 0 ? d - 1 : d;
  const outer = size.slice(0, last).reduce((p, n) => p * n, 1);
  const index = new Array<number>(last).fill(0);
  for (let k = 0; k < outer; k++) {
    if (copy) {
      const rows = last < d ? size[last]! : 1;
      copy(from, to, rows, run, last < d ? strides[last]! : 0);
      to += rows * run;
    } else {
      if (run < 16) for (let j = 0; j < run; j++) out[to + j] = x[from + j]!;
      else out.set(x.subarray(from, from + run), to);
      to += run;
    }
    // Next index over the outer axes, odometer-wise.
    for (let a = last - 1; a >= 0; a--) {
      from += strides[a]!;
      if (++index[a]! < size[a]!) break;
      from -= size[a]! * strides[a]!;
      index[a] = 0;
    }
  }
}
