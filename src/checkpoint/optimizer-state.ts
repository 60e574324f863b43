/**
 * The optimizer's state (iteration count, moment estimates) as one binary
 * blob plus its manifest, so a resumed run takes the very next step the
 * uninterrupted run would have taken.
 */
import type { io } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import type { StrataOptimizer } from '../train-registry/optimizers.js';

export async function saveOptimizerState(engine: Engine, opt: StrataOptimizer): Promise<{ data: Uint8Array; specs: io.WeightsManifestEntry[] }> {
  const named = await opt.optimizer.getWeights();
  const { data, specs } = await engine.tf.io.encodeWeights(named);
  engine.tf.dispose(named.map((n) => n.tensor).filter((t) => !(t as { isDisposed?: boolean }).isDisposed && !('trainable' in t)));
  return { data: new Uint8Array(data as ArrayBuffer), specs };
}

export async function restoreOptimizerState(engine: Engine, opt: StrataOptimizer, data: Uint8Array, specs: io.WeightsManifestEntry[]): Promise<void> {
  if (specs.length === 0) return;
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const map = engine.tf.io.decodeWeights(buffer, specs);
  const list = specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
  await opt.optimizer.setWeights(list);
  engine.tf.dispose(Object.values(map));
}
