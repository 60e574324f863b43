/** Small specs built from the registry: each layer type's own `example`. */
import { stringify } from 'yaml';
import type { LayerDef } from '../../src/layers/registry.js';

/** A spec holding one layer type's example, fed by one input layer per example input. */
export function exampleSpec(def: LayerDef): string {
  const inputs = def.example.inputs.map((shape, i) => ({ type: 'input', name: `in_${i}`, shape }));
  const layer =
    def.arity === 'none'
      ? { type: def.type, name: 'under_test', ...def.example.params }
      : { type: def.type, name: 'under_test', inputs: inputs.map((l) => l.name), ...def.example.params };
  return stringify({ version: 1, name: `example-${def.type}`, seed: 1, model: { layers: def.arity === 'none' ? [layer] : [...inputs, layer] } });
}

/** The entry once for its example and once for each of its `variants`, each as the entry's `example`, with a label for test names. */
export function examplesOf(def: LayerDef): { def: LayerDef; label: string }[] {
  return [
    { def, label: def.type },
    ...(def.variants ?? []).map((example) => ({ def: { ...def, example }, label: `${def.type} ${JSON.stringify(example.params)}` })),
  ];
}
