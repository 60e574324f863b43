/**
 * Softmax with sparse cross-entropy and the gradient with respect to the logits, in one
 * pass over each row (kernel-names.ts SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL): what the ops of
 * train-registry/losses.ts compute with some fifteen kernels (softmax, one-hot, clip, log,
 * products and sums). A classifier's logits are a few thousand values, so this runs in
 * JavaScript on views of the heap, with no call into wasm.
 */

/**
 * For each of the `rows` rows of `logits` (`classes` wide): p = softmax(row) and gradient =
 * (p − onehot(label)) · scale; returns the rows' mean of −log(clip(p[label], epsilon, 1 − epsilon)). A
 * label that is not a class id below `classes` (class ids arrive as int32 or float32,
 * truncated as a cast to int32 does) gives a zero loss and gradient, as its one-hot row of zeros would.
 */
export function sparseSoftmaxCrossEntropy(
  logits: Float32Array, labels: ArrayLike<number>, rows: number, classes: number, epsilon: number, scale: number,
  probabilities: Float32Array, gradient: Float32Array,
): number {
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const at = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[at + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(logits[at + c]! - max);
      probabilities[at + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) probabilities[at + c] = probabilities[at + c]! / sum;
    const label = Math.trunc(labels[r]!);
    const valid = label >= 0 && label < classes;
    for (let c = 0; c < classes; c++) gradient[at + c] = valid ? (probabilities[at + c]! - (c === label ? 1 : 0)) * scale : 0;
    // The log of the float32 probability, as the ops take it.
    if (valid) loss -= Math.log(Math.min(Math.max(probabilities[at + label]!, Math.fround(epsilon)), Math.fround(1 - epsilon)));
  }
  return rows > 0 ? loss / rows : Number.NaN;
}
