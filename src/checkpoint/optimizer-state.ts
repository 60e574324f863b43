/**
 * The optimizer's state (iteration count, moment estimates) as one binary
 * blob plus its manifest, so a resumed run takes the very next step the
 * uninterrupted run would have taken. The blob is TensorFlow.js's
 * `getWeights()`, which leaves out Adam's running powers of β (β1ᵗ, β2ᵗ): they
 * are saved beside it, in meta.json's `optimizer.beta_powers`, and put back
 * after `setWeights` (which would recompute them, not bit for bit). A
 * checkpoint without them (written before strata saved them) gets them as
 * the steps accumulate them (fused-adam.ts), which is the same unless β changed.
 */
import type { io } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import { betaPowers, setBetaPowers } from '../train-registry/fused-adam.js';
import type { StrataOptimizer } from '../train-registry/optimizers.js';

export interface OptimizerState {
  data: Uint8Array;
  specs: io.WeightsManifestEntry[];
  /** Adam's [β1ᵗ, β2ᵗ] (float32 values, exact in JSON), for the Adam optimizers only. */
  betaPowers?: [number, number];
}

export async function saveOptimizerState(engine: Engine, opt: StrataOptimizer): Promise<OptimizerState> {
  const named = await opt.optimizer.getWeights();
  const { data, specs } = await engine.tf.io.encodeWeights(named);
  engine.tf.dispose(named.map((n) => n.tensor).filter((t) => !(t as { isDisposed?: boolean }).isDisposed && !('trainable' in t)));
  const powers = betaPowers(opt.optimizer);
  return { data: new Uint8Array(data as ArrayBuffer), specs, ...(powers ? { betaPowers: powers } : {}) };
}

export async function restoreOptimizerState(engine: Engine, opt: StrataOptimizer, data: Uint8Array, specs: io.WeightsManifestEntry[], powers?: readonly [number, number]): Promise<void> {
  if (specs.length === 0) return;
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const map = engine.tf.io.decodeWeights(buffer, specs);
  const list = specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
  await opt.optimizer.setWeights(list);
  engine.tf.dispose(Object.values(map));
  if (powers) setBetaPowers(engine.tf, opt.optimizer, powers);
}
