/**
 * The layers inside a layer's parameters: a wrapper's `layer`, a block's `layers`, at
 * any depth, each with its type and its path in the spec (for errors at its line).
 */
import type { SpecPath } from '../document/source.js';
import type { Spec } from './types.js';

export interface InnerLayer {
  type: string;
  path: SpecPath;
}

/** The layers nested in `params` (found at `path`), outermost first. */
export function innerLayers(params: unknown, path: SpecPath, out: InnerLayer[] = []): InnerLayer[] {
  if (Array.isArray(params)) {
    params.forEach((p, i) => innerLayers(p, [...path, i], out));
    return out;
  }
  if (!params || typeof params !== 'object') return out;
  const o = params as Record<string, unknown>;
  if (typeof o.type === 'string' && path.length > 0) out.push({ type: o.type, path });
  for (const [k, v] of Object.entries(o)) if (k !== 'type' && v && typeof v === 'object') innerLayers(v, [...path, k], out);
  return out;
}

/** Every layer type of the spec: its top-level layers' and those nested in them. */
export function allLayerTypes(spec: Spec): Set<string> {
  const types = new Set<string>();
  for (const layer of spec.model.layers) {
    types.add(layer.type);
    for (const inner of innerLayers(layer.params, layer.path)) types.add(inner.type);
  }
  return types;
}
