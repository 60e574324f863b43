/**
 * Before the torch engine starts: every layer of the spec is one it runs
 * (support.ts), each refusal at the layer's line, naming the type and the
 * engine; and the keys of the spec it cannot honour, at theirs.
 */
import type { SpecPath } from '../document/source.js';
import type { Diagnostic } from '../errors.js';
import { innerLayers } from '../spec/inner-layers.js';
import { placeIn } from '../spec/place.js';
import type { Spec } from '../spec/types.js';
import { TORCH_LAYER_TYPES, TORCH_TRAIN_KEYS } from './support.js';

/** The spec's refusals on the torch engine (`supported`: the types it runs, support.ts's list unless a test gives another; `trainKeys`: the `train:` keys it honours). */
export function checkTorchSpec(spec: Spec, supported: ReadonlySet<string> = TORCH_LAYER_TYPES, trainKeys: ReadonlySet<string> = TORCH_TRAIN_KEYS): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const names = [...supported].sort().join(', ');
  const refuse = (type: string, path: SpecPath) => {
    const key = `${type}@${path.join('.')}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({
      ...placeIn(spec, [...path, 'type']),
      code: 'torch-unsupported-layer',
      message: `layer type ${type} is not supported by the torch engine; train this spec on the tfjs engine (--engine tfjs), or use a type the torch engine runs: ${names}`,
    });
  };
  for (const layer of spec.model.layers) {
    if (!supported.has(layer.type)) refuse(layer.type, layer.path);
    for (const n of innerLayers(layer.params, layer.path)) if (!supported.has(n.type)) refuse(n.type, n.path);
  }
  for (const key of Object.keys(spec.train ?? {})) {
    if (trainKeys.has(key)) continue;
    out.push({
      ...placeIn(spec, ['train', key]),
      code: 'torch-unsupported-train-key',
      message: `train.${key} is not supported by the torch engine; train this spec on the tfjs engine (--engine tfjs), or remove train.${key}`,
    });
  }
  return out;
}
