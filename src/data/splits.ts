/**
 * Splits over flat typed arrays. Each split is a view (a list of example
 * indices) over arrays shared by all splits, and copies rows into a batch
 * only when asked, so nothing is materialized twice.
 */
import type { Batch, Split } from './types.js';

/**
 * How class labels reach the loss: one-hot rows, class ids (`sparse`), or for
 * two classes and one sigmoid unit the class id as one 0/1 value (`binary`).
 */
export type LabelMode = 'one_hot' | 'sparse' | 'binary';

/** The shape and type of one example's target for class labels in `mode`. */
export function labelTarget(mode: LabelMode, classes: number): { targetShape: number[]; targetDtype: 'int32' | 'float32' } {
  if (mode === 'sparse') return { targetShape: [], targetDtype: 'int32' };
  return { targetShape: mode === 'binary' ? [1] : [classes], targetDtype: 'float32' };
}

/** Rows of `x` (each `xSize` long) with class labels, one-hot or sparse in batches. */
export function labelledRows(x: Float32Array | Int32Array, xSize: number, labels: Int32Array, classes: number, mode: LabelMode, indices: Int32Array): Split {
  return {
    size: indices.length,
    batch(idx): Batch {
      const n = idx.length;
      const bx = x instanceof Int32Array ? new Int32Array(n * xSize) : new Float32Array(n * xSize);
      const by = mode === 'sparse' ? new Int32Array(n) : new Float32Array(mode === 'binary' ? n : n * classes);
      for (let i = 0; i < n; i++) {
        const j = indices[idx[i]!]!;
        bx.set(x.subarray(j * xSize, (j + 1) * xSize), i * xSize);
        if (mode === 'one_hot') by[i * classes + labels[j]!] = 1;
        else by[i] = labels[j]!;
      }
      return { x: bx, y: by, size: n };
    },
  };
}

/** Rows of `x` with real-valued targets of `ySize` (regression). */
export function regressionRows(x: Float32Array, xSize: number, y: Float32Array, ySize: number, indices: Int32Array): Split {
  return {
    size: indices.length,
    batch(idx): Batch {
      const n = idx.length;
      const bx = new Float32Array(n * xSize);
      const by = new Float32Array(n * ySize);
      for (let i = 0; i < n; i++) {
        const j = indices[idx[i]!]!;
        bx.set(x.subarray(j * xSize, (j + 1) * xSize), i * xSize);
        by.set(y.subarray(j * ySize, (j + 1) * ySize), i * ySize);
      }
      return { x: bx, y: by, size: n };
    },
  };
}

/**
 * Windows of a token stream for language modelling: example i reads
 * `length` tokens from `first + i·stride`; its target is the next token
 * (`last`) or the stream shifted by one (`all`: a target per position).
 */
export function tokenWindows(tokens: Int32Array, first: number, end: number, length: number, stride: number, targets: 'last' | 'all', vocab: number, mode: LabelMode): Split {
  const size = Math.max(0, Math.floor((end - first - length - 1) / stride) + 1);
  const ySize = targets === 'all' ? length : 1;
  return {
    size,
    continuous: stride === length,
    batch(idx): Batch {
      const n = idx.length;
      const bx = new Int32Array(n * length);
      const by = mode === 'sparse' ? new Int32Array(n * ySize) : new Float32Array(n * ySize * vocab);
      for (let i = 0; i < n; i++) {
        const s = first + idx[i]! * stride;
        bx.set(tokens.subarray(s, s + length), i * length);
        for (let k = 0; k < ySize; k++) {
          const t = tokens[s + (targets === 'all' ? k + 1 : length)]!;
          if (mode === 'sparse') by[i * ySize + k] = t;
          else by[(i * ySize + k) * vocab + t] = 1;
        }
      }
      return { x: bx, y: by, size: n };
    },
  };
}

/**
 * Sliding windows over a multivariate series `values` ([time, features]):
 * example i sees `window` steps from `first + i·stride` and predicts the
 * next `horizon` values of the target column.
 */
export function seriesWindows(values: Float32Array, features: number, target: Float32Array, first: number, end: number, window: number, horizon: number, stride: number): Split {
  const size = Math.max(0, Math.floor((end - first - window - horizon) / stride) + 1);
  return {
    size,
    continuous: stride === window,
    batch(idx): Batch {
      const n = idx.length;
      const bx = new Float32Array(n * window * features);
      const by = new Float32Array(n * horizon);
      for (let i = 0; i < n; i++) {
        const s = first + idx[i]! * stride;
        bx.set(values.subarray(s * features, (s + window) * features), i * window * features);
        by.set(target.subarray(s + window, s + window + horizon), i * horizon);
      }
      return { x: bx, y: by, size: n };
    },
  };
}

/** 0..n-1 as an index list. */
export function range(n: number, from = 0): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => from + i);
}

/** The first `limit` examples of a split (the descriptors' `limit`), or the split itself if it has no more. */
export function limitSplit(s: Split, limit: number | undefined): Split {
  return limit && s.size > limit ? { size: limit, batch: s.batch, ...(s.continuous ? { continuous: true } : {}) } : s;
}
