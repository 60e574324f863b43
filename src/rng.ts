/**
 * Seeded randomness for training. TensorFlow.js draws the seed of every
 * unseeded random op (dropout masks, initializers without a seed) from
 * `Math.random`, so strata replaces `Math.random` with a seeded generator for
 * the length of a run: the spec's `seed` then decides every random choice,
 * and the generator's state — one 32-bit word — is saved with checkpoints so
 * that a resumed run continues the same sequence. Shuffling uses its own
 * generator per epoch, derived from the seed and the epoch, so the batch order
 * of an epoch never depends on what happened before it.
 */

/** mulberry32 with its state exposed. */
export class Rng {
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** Mix integers into one 32-bit seed (for per-epoch and per-purpose streams). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Route `Math.random` through `rng` until the returned function is called.
 * Everything in the process that calls Math.random meanwhile draws from it.
 */
export function installGlobalRng(rng: Rng): () => void {
  const original = Math.random;
  Math.random = () => rng.next();
  return () => {
    Math.random = original;
  };
}
