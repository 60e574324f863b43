/** Building strata's custom layers from registry entries. */
import type { Layer } from '../../tf-types.js';
import type { BuildContext, LayerParams } from '../registry.js';
import type { Init, Reg } from './base.js';
import type { Env } from './env.js';
import type { CustomLayer, FixedBuiltInClass, StrataClass } from './define.js';

const envOf = (c: BuildContext): Env => ({ tf: c.core, tfl: c.tf });

/**
 * A custom layer named after the spec layer, holding the spec keys; `slots`
 * maps each weight slot to the spec key of its initializer (or a fixed name
 * such as 'ones') and, optionally, of its regularizer.
 */
export function buildCustom(c: BuildContext, layer: CustomLayer, p: LayerParams, slots: Record<string, { init: string; reg?: string }> = {}): Layer {
  const inits: Record<string, Init> = {};
  const regs: Record<string, Reg | undefined> = {};
  for (const [slot, { init, reg }] of Object.entries(slots)) {
    inits[slot] = c.initializer(p[init] ?? init, slot);
    if (reg) regs[slot] = c.regularizer(p[reg]);
  }
  const Custom = layer.of(envOf(c));
  return new Custom({ name: c.name, strata: p, inits, regs });
}

/**
 * One of strata's subclasses of a TensorFlow.js layer (registered under the
 * built-in's own class name: conv-fixes.ts, layer-norm.ts, recurrent-fast.ts), made with the
 * arguments the built-in takes; also the extended built-ins saved under a strata name (`extendedBuiltIn`).
 */
export function buildFixedBuiltIn(c: BuildContext, layer: StrataClass<FixedBuiltInClass>, args: object): Layer {
  const Fixed = layer.of(envOf(c));
  return new Fixed(args);
}
