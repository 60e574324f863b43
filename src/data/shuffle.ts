/** Seeded shuffles and hold-out splits of example indices. */
import { permutation } from '../rng.js';
import { range } from './splits.js';

/** Split 0..n-1 into a (shuffled, by `seed`) kept part and a held-out fraction. */
export function holdOut(n: number, fraction: number, seed: number): { keep: Int32Array; held: Int32Array } {
  const order = permutation(n, seed);
  const held = Math.max(1, Math.round(n * fraction));
  return { keep: Int32Array.from(order.subarray(0, n - held)).sort(), held: Int32Array.from(order.subarray(n - held)).sort() };
}

/** The first part and the last fraction of 0..n-1, in order (for sequences, where the future must not leak). */
export function tail(n: number, fraction: number): { keep: Int32Array; held: Int32Array } {
  const held = Math.max(1, Math.round(n * fraction));
  return { keep: range(n - held), held: range(held, n - held) };
}

export function limited(indices: Int32Array, limit?: number): Int32Array {
  return limit !== undefined && indices.length > limit ? indices.subarray(0, limit) : indices;
}
