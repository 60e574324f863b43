/**
 * Registering strata's classes in Node, where the TensorFlow.js copy can be
 * found without being given: the installed @tensorflow/tfjs-core and
 * @tensorflow/tfjs-layers (strata's peer dependencies, so the same copy a
 * program's own `import * as tf from '@tensorflow/tfjs'` uses).
 */
import { createRequire } from 'node:module';
import { registerStrataClasses } from './classes.js';
import type { TensorFlow } from './classes.js';
import type { Env } from './env.js';

export type { TensorFlow } from './classes.js';

/**
 * Register strata's custom layers and activations with TensorFlow.js, so that
 * `tf.loadLayersModel` can rebuild models strata saved. Safe to call more than
 * once, and for more than one copy of TensorFlow.js (each copy has its own
 * serialization map and gets its own classes). Takes the namespace of
 * `@tensorflow/tfjs` or `{ tf, tfl }`; without an argument it uses the
 * installed @tensorflow/tfjs-core and @tensorflow/tfjs-layers (the same module
 * instances an `import` gives).
 */
export function registerStrataLayers(tf?: TensorFlow): void {
  if (tf) return registerStrataClasses(tf);
  const require = createRequire(import.meta.url);
  registerStrataClasses({ tf: require('@tensorflow/tfjs-core') as Env['tf'], tfl: require('@tensorflow/tfjs-layers') as Env['tfl'] });
}
