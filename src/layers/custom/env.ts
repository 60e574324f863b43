/**
 * The TensorFlow.js copy strata's classes are made against. A process can hold
 * more than one copy (each with its own serialization map), so what is made
 * from one is kept per copy.
 */
import type { TfCore, TfLayers } from '../../tf-types.js';

export interface Env {
  tf: TfCore;
  tfl: TfLayers;
}

/** The identity of a TensorFlow.js copy: its serialization namespace (the same object through `import` and `require`). */
export const copyOf = (env: Env): object => env.tf.serialization;

/** `make(env)` once per TensorFlow.js copy: for what several classes of one module share (a base class, helpers). */
export function perCopy<T>(make: (env: Env) => T): (env: Env) => T {
  const made = new WeakMap<object, T>();
  return (env) => {
    const key = copyOf(env);
    if (!made.has(key)) made.set(key, make(env));
    return made.get(key)!;
  };
}
