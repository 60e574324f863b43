/**
 * A second copy of TensorFlow.js in this process: tfjs-core and tfjs-layers
 * loaded again from fresh module instances (each with its own serialization
 * map and layer classes), as a program that bundles its own copy would have.
 * The copies share tfjs-core's global engine, so the backend the first copy
 * set up computes for both. The module cache is restored afterwards, so later
 * imports still get the first copy.
 */
import { createRequire } from 'node:module';
import type { Engine } from '../../src/backend/select.js';

/** A fresh copy, computing on `first`'s backend; call after `loadEngine`. */
export function loadSecondCopy(first: Engine): Engine {
  const require = createRequire(import.meta.url);
  const saved = new Map<string, NodeJS.Module>();
  for (const [key, mod] of Object.entries(require.cache)) {
    if (mod && /[\\/]@tensorflow[\\/]tfjs-(core|layers)[\\/]/.test(key)) {
      saved.set(key, mod);
      delete require.cache[key];
    }
  }
  try {
    const tf = require('@tensorflow/tfjs-core') as Engine['tf'];
    const tfl = require('@tensorflow/tfjs-layers') as Engine['tfl'];
    return { tf, tfl, backend: first.backend, threads: first.threads };
  } finally {
    for (const [key, mod] of saved) require.cache[key] = mod;
  }
}
