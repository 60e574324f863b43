/**
 * strata's own layers and activations, registered with TensorFlow.js
 * serialization so that a saved model reloads with `tf.loadLayersModel`.
 */
import { createRequire } from 'node:module';
import type { Layer } from '../../tf-types.js';
import { activationClasses } from './activation-fn.js';
import { adaptivePoolClasses } from './adaptive-pool.js';
import { attentionClasses } from './attention.js';
import { convFixClasses } from './conv-fixes.js';
import { layerNormClasses } from './layer-norm.js';
import type { Env, LayerClass, StrataLayerArgs } from './base.js';
import { groupNormClasses } from './group-norm.js';
import { moeClasses } from './moe.js';
import { positionClasses } from './position.js';
import { recurrentFastClasses } from './recurrent-fast.js';
import { transformerClasses } from './transformer.js';

let classes: Map<string, LayerClass> | undefined;
let registeredWith: Env['tf'] | undefined;

/** The custom layer classes (made once, against the TensorFlow.js modules of `env`), by class name. */
export function strataLayerClasses(env: Env): Map<string, LayerClass> {
  if (!classes) {
    classes = new Map();
    for (const make of [attentionClasses, transformerClasses, positionClasses, groupNormClasses, adaptivePoolClasses, moeClasses, convFixClasses, layerNormClasses, recurrentFastClasses]) {
      for (const cls of make(env)) classes.set(cls.className, cls);
    }
    const registerAll = () => {
      for (const cls of classes!.values()) env.tf.serialization.registerClass(cls as unknown as Parameters<typeof env.tf.serialization.registerClass>[0]);
      for (const cls of activationClasses(env)) env.tf.serialization.registerClass(cls as unknown as Parameters<typeof env.tf.serialization.registerClass>[0]);
    };
    registerAll();
    registeredWith = env.tf;
  }
  return classes;
}

/** Construct one of strata's custom layers by class name (such as 'strata>MultiHeadAttention'). */
export function makeStrataLayer(env: Env, className: string, args: StrataLayerArgs): Layer {
  const cls = strataLayerClasses(env).get(className);
  if (!cls) throw new Error(`no custom layer class '${className}'`);
  return new cls(args);
}

/**
 * Register strata's custom layers and activations with TensorFlow.js, so that
 * `tf.loadLayersModel` can rebuild models strata saved. Safe to call more than
 * once. Without an argument it uses the installed @tensorflow/tfjs-core and
 * @tensorflow/tfjs-layers (the same module instances an `import` gives).
 */
export function registerStrataLayers(env?: Pick<Env, 'tf' | 'tfl'>): void {
  if (registeredWith) return;
  if (env) {
    strataLayerClasses({ tf: env.tf, tfl: env.tfl });
    return;
  }
  const require = createRequire(import.meta.url);
  strataLayerClasses({ tf: require('@tensorflow/tfjs-core') as Env['tf'], tfl: require('@tensorflow/tfjs-layers') as Env['tfl'] });
}
