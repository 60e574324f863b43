/**
 * strata's own layers, fixed built-ins and activations, registered with
 * TensorFlow.js serialization so that a saved model reloads with
 * `tf.loadLayersModel`. Each class is defined and named beside its code
 * (`customLayer`, `fixedBuiltIn`, `customActivation` in define.ts); this file
 * only lists the modules that define them and collects the handles they export.
 *
 * No Node import here or below: the browser entry point (src/browser.ts) uses it.
 */
import * as activationFn from './activation-fn.js';
import * as adaptivePool from './adaptive-pool.js';
import * as attention from './attention.js';
import * as batchNorm from './batch-norm.js';
import * as concatenate from './concatenate.js';
import type { Env } from './env.js';
import * as convFixes from './conv-fixes.js';
import * as dense from './dense.js';
import { isStrataClass } from './define.js';
import type { StrataClass } from './define.js';
import * as groupNorm from './group-norm.js';
import * as layerNorm from './layer-norm.js';
import * as moe from './moe.js';
import * as position from './position.js';
import * as recurrentFast from './recurrent-fast.js';
import * as recurrentLosses from './recurrent-losses.js';
import * as transformer from './transformer.js';

/** The modules of src/layers/custom/ that define classes (test/layers/registration.test.ts checks none is missing). */
const MODULES: readonly object[] = [activationFn, adaptivePool, attention, batchNorm, concatenate, convFixes, dense, groupNorm, layerNorm, moe, position, recurrentFast, recurrentLosses, transformer];

/** The handles `module` exports. */
export function strataClassesIn(module: object): StrataClass[] {
  return Object.values(module).filter(isStrataClass);
}

/** Every class strata registers with TensorFlow.js, each under its own class name. */
export const STRATA_CLASSES: readonly StrataClass[] = (() => {
  const all = MODULES.flatMap(strataClassesIn);
  const seen = new Set<string>();
  for (const c of all) {
    if (seen.has(c.className)) throw new Error(`two strata classes are named '${c.className}'`);
    seen.add(c.className);
  }
  return all;
})();

/**
 * What registration takes: the core and layers modules of one TensorFlow.js
 * copy (`{ tf, tfl }`, as strata's engine holds them), or the namespace of
 * `@tensorflow/tfjs`, which holds both.
 */
export type TensorFlow = Pick<Env, 'tf' | 'tfl'> | (Env['tf'] & Env['tfl']);

/** The `{ tf, tfl }` pair of what `registerStrataLayers` was given. */
export function envOf(given: TensorFlow): Env {
  if ('tfl' in given && 'tf' in given && typeof (given as Env).tfl === 'object') {
    const e = given as Env;
    return { tf: e.tf, tfl: e.tfl };
  }
  const ns = given as Env['tf'] & Env['tfl'];
  if (typeof ns.serialization?.registerClass !== 'function' || typeof ns.layers?.dense !== 'function') {
    throw new TypeError('registerStrataLayers(tf): pass the namespace of @tensorflow/tfjs (import * as tf from \'@tensorflow/tfjs\'), or { tf, tfl } with @tensorflow/tfjs-core and @tensorflow/tfjs-layers');
  }
  return { tf: ns, tfl: ns };
}

/** Register every class of strata's with the TensorFlow.js copy `given` (once per copy; safe to repeat). */
export function registerStrataClasses(given: TensorFlow): void {
  const env = envOf(given);
  for (const c of STRATA_CLASSES) c.of(env);
}
