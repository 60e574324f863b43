/** Rounding to the nearest integer with halves to the even one, as numpy's `round` and `tf.math.round` do (JavaScript's `Math.round` takes halves up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
