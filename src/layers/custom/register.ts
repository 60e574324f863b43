/**
 * strata's own layers, fixed built-ins and activations, registered with
 * TensorFlow.js serialization so that a saved model reloads with
 * `tf.loadLayersModel`. Each class is defined and named beside its code
 * (`customLayer`, `fixedBuiltIn`, `customActivation` in define.ts); this file
 * only lists the modules that define them and collects the handles they export.
 */
import { createRequire } from 'node:module';
import * as activationFn from './activation-fn.js';
import * as adaptivePool from './adaptive-pool.js';
import * as attention from './attention.js';
import type { Env } from './env.js';
import * as convFixes from './conv-fixes.js';
import { isStrataClass } from './define.js';
import type { StrataClass } from './define.js';
import * as groupNorm from './group-norm.js';
import * as layerNorm from './layer-norm.js';
import * as moe from './moe.js';
import * as position from './position.js';
import * as recurrentFast from './recurrent-fast.js';
import * as transformer from './transformer.js';

/** The modules of src/layers/custom/ that define classes (test/layers/registration.test.ts checks none is missing). */
const MODULES: readonly object[] = [activationFn, adaptivePool, attention, convFixes, groupNorm, layerNorm, moe, position, recurrentFast, transformer];

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
 * Register strata's custom layers and activations with TensorFlow.js, so that
 * `tf.loadLayersModel` can rebuild models strata saved. Safe to call more than
 * once, and for more than one copy of TensorFlow.js (each copy has its own
 * serialization map and gets its own classes). Without an argument it uses the
 * installed @tensorflow/tfjs-core and @tensorflow/tfjs-layers (the same module
 * instances an `import` gives).
 */
export function registerStrataLayers(env?: Pick<Env, 'tf' | 'tfl'>): void {
  let modules: Env;
  if (env) {
    modules = { tf: env.tf, tfl: env.tfl };
  } else {
    const require = createRequire(import.meta.url);
    modules = { tf: require('@tensorflow/tfjs-core') as Env['tf'], tfl: require('@tensorflow/tfjs-layers') as Env['tfl'] };
  }
  for (const c of STRATA_CLASSES) c.of(modules);
}
