/**
 * The thread count a model trains fastest on with the wasm backend, chosen from
 * its layers so that a user never needs STRATA_THREADS for it: every core for a
 * model with convolutions (at any depth, inside blocks and wrappers too), one
 * thread otherwise. strata's own products (fused multiply-adds, kernels.wat)
 * run on the calling thread and take every dense, recurrent and attention product
 * they fit, so what a second thread speeds up is XNNPACK's kernels: the
 * convolutions, which earn it back, and the small element-wise and
 * softmax kernels, which do not (each waits tens of µs for the pool to wake).
 * Measured on the 2-core machine (docs/performance.md, "The thread count"): one
 * thread 8–58% faster for mnist-mlp, spam-mlp, births-gru and the bench's lstm,
 * even for spam-transformer; two threads about 10% faster for the bench's cnn.
 */
import type { Category } from '../layers/registry.js';
import { layerRegistry } from '../layers/catalog.js';
import { allLayerTypes } from '../spec/inner-layers.js';
import type { Spec } from '../spec/types.js';

/**
 * Layer categories whose kernels are XNNPACK's and gain from its pool: a model with one of
 * these trains on every core. Not pooling: a global pooling is a mean over one axis (one
 * thread was as fast for spam-transformer), and the windowed ones come after convolutions.
 */
const EVERY_CORE: ReadonlySet<Category> = new Set(['convolution']);

/** 1, unless the model has a layer of EVERY_CORE's categories (then undefined: every core). */
export function preferredThreads(spec: Spec): number | undefined {
  const pooled = [...allLayerTypes(spec)].some((type) => {
    const category = layerRegistry.get(type)?.category;
    return category !== undefined && EVERY_CORE.has(category);
  });
  return pooled ? undefined : 1;
}
