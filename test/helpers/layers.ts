/** Helpers for layer tests: save/reload through TensorFlow.js serialization, comparisons, finite differences. */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Engine } from '../../src/backend/select.js';
import { registerStrataLayers } from '../../src/index.js';
import type { LayersModel } from '../../src/tf-types.js';

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Max |a-b| / max(1, |b|) over all elements (relative where values are large, absolute near zero). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

/**
 * Save a model in memory (topology through JSON text, as a file would hold
 * it) and load it back with `tf.loadLayersModel`, strata's layers registered.
 */
export async function saveAndReload(engine: Engine, model: LayersModel): Promise<LayersModel> {
  const { tf, tfl } = engine;
  let saved: import('@tensorflow/tfjs-core').io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = { ...artifacts, modelTopology: JSON.parse(JSON.stringify(artifacts.modelTopology)) as object };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  registerStrataLayers();
  return tfl.loadLayersModel(tf.io.fromMemory(saved!));
}

/**
 * Central finite differences of `f` (a scalar function of one tensor) at `x`,
 * in float32: returns the numeric gradient for comparison with tf.grad.
 */
export function numericGrad(engine: Engine, f: (x: Tensor) => Tensor, x: Tensor, h = 1e-2): Float32Array {
  const { tf } = engine;
  const base = x.dataSync().slice() as Float32Array;
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const at = (d: number) => {
      const v = base.slice();
      v[i] = v[i]! + d;
      return tf.tidy(() => f(tf.tensor(v, x.shape)).dataSync()[0]!);
    };
    out[i] = (at(h) - at(-h)) / (2 * h);
  }
  return out;
}
