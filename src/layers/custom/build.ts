/** Building strata's custom layers from registry entries. */
import type { Layer } from '../../tf-types.js';
import type { BuildContext, LayerParams } from '../registry.js';
import type { Init, Reg } from './base.js';
import { makeStrataLayer, strataLayerClasses } from './register.js';

/**
 * A custom layer named after the spec layer, holding the spec keys; `slots`
 * maps each weight slot to the spec key of its initializer (or a fixed name
 * such as 'ones') and, optionally, of its regularizer.
 */
export function buildCustom(c: BuildContext, className: string, p: LayerParams, slots: Record<string, { init: string; reg?: string }> = {}): Layer {
  const inits: Record<string, Init> = {};
  const regs: Record<string, Reg | undefined> = {};
  for (const [slot, { init, reg }] of Object.entries(slots)) {
    inits[slot] = c.initializer(p[init] ?? init, slot);
    if (reg) regs[slot] = c.regularizer(p[reg]);
  }
  return makeStrataLayer({ tf: c.core, tfl: c.tf }, className, { name: c.name, strata: p, inits, regs });
}

/**
 * One of strata's subclasses of a TensorFlow.js layer (registered under the
 * built-in's own class name: conv-fixes.ts, layer-norm.ts, recurrent-fast.ts), made with the
 * arguments the built-in takes.
 */
export function buildFixedBuiltIn(c: BuildContext, className: 'Conv1D' | 'Conv2D' | 'DepthwiseConv2D' | 'SeparableConv2D' | 'LayerNormalization' | 'LSTM' | 'GRU', args: object): Layer {
  const Fixed = strataLayerClasses({ tf: c.core, tfl: c.tf }).get(className) as unknown as new (a: object) => Layer;
  return new Fixed(args);
}
