/**
 * The thread count a model trains fastest on with the wasm backend, chosen from
 * its layers and batch so that a user never needs STRATA_THREADS for it: one
 * thread for a model of dense layers alone whose dense products are small per
 * step, every core otherwise. Each kernel run on XNNPACK's pool waits for the
 * pool to wake (tens of µs on two threads), which a small product never earns
 * back; convolutions, recurrent layers, attention and large products do.
 * Measured on the 2-core machine (docs/performance.md, "The thread count"): at
 * 3.3, 6.5, 10 and 15 million multiply-adds of dense layers per step one thread
 * was 4–50% faster, at 30 and 83 million two threads were 2–21% faster.
 */
import type { Category } from '../layers/registry.js';
import { layerRegistry } from '../layers/catalog.js';
import type { Spec } from '../spec/types.js';
import { trainConfig } from './config.js';

/** Layers whose work is the dense products or less: a model of these alone may run on one thread. */
const ONE_THREAD: ReadonlySet<Category> = new Set(['core', 'activation', 'normalization', 'merge']);

/** Multiply-adds of the dense layers per training step (forward) from which every core pays. */
export const ONE_THREAD_LIMIT = 20e6;

/** The dense layers' multiply-adds per example: each one's input size times its units. */
function denseWork(spec: Spec): number {
  return spec.model.layers
    .filter((l) => l.type === 'dense')
    .reduce((sum, l) => sum + (l.inputShapes[0] ?? []).reduce<number>((n, d) => n * (d ?? 1), 1) * Number(l.params.units), 0);
}

/** 1 for a light model (ONE_THREAD's layers only, under ONE_THREAD_LIMIT per step); undefined (every core) otherwise. */
export function preferredThreads(spec: Spec): number | undefined {
  const light = spec.model.layers.every((l) => {
    const category = layerRegistry.get(l.type)?.category;
    return category !== undefined && ONE_THREAD.has(category);
  });
  if (!light) return undefined;
  return denseWork(spec) * trainConfig(spec.train, false).batch_size < ONE_THREAD_LIMIT ? 1 : undefined;
}
