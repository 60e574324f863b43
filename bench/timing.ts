/** Timing helper shared by the kernel microbenchmarks. */
import type { Tensor } from '@tensorflow/tfjs-core';

/** Median ms per call of `f` (its result read back and disposed), after 3 warm-up calls, over at least 5 calls and about `budgetMs`. */
export function medianMs(f: () => Tensor, budgetMs: number): number {
  for (let i = 0; i < 3; i++) f().dispose();
  const samples: number[] = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || samples.length < 5) {
    const t0 = performance.now();
    const out = f();
    out.dataSync();
    samples.push(performance.now() - t0);
    out.dispose();
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}
