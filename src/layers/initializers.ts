/**
 * Weight initializers: the names a spec may use, the arguments each takes,
 * their Keras defaults, and how each becomes a TensorFlow.js initializer.
 */
import { orthogonalClass } from './orthogonal.js';
import type { TfCore, TfLayers } from '../tf-types.js';

type Init = ReturnType<TfLayers['initializers']['zeros']>;
type Args = Record<string, number>;

interface InitializerDef {
  /** Arguments accepted in the mapping form, with their Keras defaults. */
  args: Args;
  make(tf: TfLayers, a: Args, seed: number | undefined, core: TfCore): Init;
}

export const INITIALIZERS: Record<string, InitializerDef> = {
  glorot_uniform: { args: {}, make: (tf, _a, seed) => tf.initializers.glorotUniform({ seed }) },
  glorot_normal: { args: {}, make: (tf, _a, seed) => tf.initializers.glorotNormal({ seed }) },
  xavier_uniform: { args: {}, make: (tf, _a, seed) => tf.initializers.glorotUniform({ seed }) },
  xavier_normal: { args: {}, make: (tf, _a, seed) => tf.initializers.glorotNormal({ seed }) },
  he_uniform: { args: {}, make: (tf, _a, seed) => tf.initializers.heUniform({ seed }) },
  he_normal: { args: {}, make: (tf, _a, seed) => tf.initializers.heNormal({ seed }) },
  lecun_uniform: { args: {}, make: (tf, _a, seed) => tf.initializers.leCunUniform({ seed }) },
  lecun_normal: { args: {}, make: (tf, _a, seed) => tf.initializers.leCunNormal({ seed }) },
  orthogonal: { args: { gain: 1 }, make: (tf, a, seed, core) => new (orthogonalClass(core, tf))({ gain: a.gain!, seed }) },
  zeros: { args: {}, make: (tf) => tf.initializers.zeros() },
  ones: { args: {}, make: (tf) => tf.initializers.ones() },
  constant: { args: { value: 0 }, make: (tf, a) => tf.initializers.constant({ value: a.value! }) },
  random_normal: { args: { mean: 0, stddev: 0.05 }, make: (tf, a, seed) => tf.initializers.randomNormal({ mean: a.mean!, stddev: a.stddev!, seed }) },
  random_uniform: { args: { minval: -0.05, maxval: 0.05 }, make: (tf, a, seed) => tf.initializers.randomUniform({ minval: a.minval!, maxval: a.maxval!, seed }) },
  truncated_normal: { args: { mean: 0, stddev: 0.05 }, make: (tf, a, seed) => tf.initializers.truncatedNormal({ mean: a.mean!, stddev: a.stddev!, seed }) },
};

/** An initializer from its spec form: a name, or `{type, ...args}`. */
export function makeInitializer(tf: TfLayers, core: TfCore, value: unknown, seed: number | undefined): Init {
  const { type, ...given } = typeof value === 'string' ? { type: value } : (value as { type: string } & Args);
  const def = INITIALIZERS[type];
  if (!def) throw new Error(`unknown initializer '${type}' passed schema validation`);
  return def.make(tf, { ...def.args, ...given }, seed, core);
}
