/**
 * strata in a browser or a bundle: its own layers and activations, for loading
 * models strata saved with the page's TensorFlow.js. No Node imports anywhere
 * below this file (test/library/browser-entry.test.ts walks the import graph):
 *
 *   import * as tf from '@tensorflow/tfjs';
 *   import { registerStrataLayers } from 'strata/browser';
 *   registerStrataLayers(tf);
 *   const model = await tf.loadLayersModel('model/model.json');
 */
import { registerStrataClasses, STRATA_CLASSES } from './layers/custom/classes.js';
import type { TensorFlow } from './layers/custom/classes.js';

export type { TensorFlow } from './layers/custom/classes.js';

/** Register strata's classes with `tf` (the `@tensorflow/tfjs` namespace, or `{ tf, tfl }`); safe to repeat. */
export function registerStrataLayers(tf: TensorFlow): void {
  if (!tf) throw new TypeError('registerStrataLayers(tf): in a browser, pass the page\'s TensorFlow.js (import * as tf from \'@tensorflow/tfjs\', or the global tf of its script tag)');
  registerStrataClasses(tf);
}

/** The class names strata registers (what a saved model.json may name besides Keras's own). */
export const STRATA_CLASS_NAMES: readonly string[] = STRATA_CLASSES.map((c) => c.className);
