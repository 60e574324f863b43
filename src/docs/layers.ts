/** The layer reference (`docs/layers.md`), rendered from the registry. */
import { Document, isScalar, visit } from 'yaml';
import type { Category, LayerDef, LayerRegistry } from '../layers/registry.js';
import { COMMON_LAYER_KEYS } from '../spec/schema.js';
import { TORCH_LAYER_TYPES } from '../torch/support.js';
import { keyRow, KEY_TABLE_HEAD } from './tables.js';

const CATEGORY_TITLES: Record<Category, string> = {
  core: 'Core',
  activation: 'Activation',
  convolution: 'Convolution',
  pooling: 'Pooling',
  normalization: 'Normalization',
  embedding: 'Embedding and position',
  attention: 'Attention and transformer',
  recurrent: 'Recurrent',
  merge: 'Merge',
  block: 'Blocks',
};

/** The layer's example as a YAML list entry, short lists written inline. */
function exampleYaml(def: LayerDef): string {
  const inputs = def.arity === 'many' || (def.arity === 'one_or_two' && def.example.inputs.length > 1) ? { inputs: def.example.inputs.map((_, i) => `branch_${i + 1}`) } : {};
  const doc = new Document([{ type: def.type, ...inputs, ...def.example.params }]);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
  });
  return doc.toString({ flowCollectionPadding: false }).trimEnd();
}

/** Which engine trains which type: one row per type, the torch column from src/torch/support.ts. */
function engineTable(defs: readonly LayerDef[]): string[] {
  return [
    '## Engines',
    '',
    `Every type trains on the tfjs engine (the default). The torch engine (\`--engine torch\`, docs/engines.md) runs ${defs.filter((d) => TORCH_LAYER_TYPES.has(d.type)).length} of them; a spec with another type is refused at that layer's line before anything starts.`,
    '',
    '| type | Keras | tfjs | torch |',
    '| --- | --- | --- | --- |',
    ...defs.map((d) => `| [\`${d.type}\`](#${d.type}) | \`${d.keras}\` | yes | ${TORCH_LAYER_TYPES.has(d.type) ? 'yes' : '—'} |`),
    '',
  ];
}

function section(def: LayerDef): string {
  const torch = TORCH_LAYER_TYPES.has(def.type) ? 'Engines: tfjs, torch.' : 'Engines: tfjs (not the torch engine yet).';
  const lines = [`### \`${def.type}\``, '', `${def.description} Keras: \`${def.keras}\`. ${torch}`, ''];
  const keys = Object.entries(def.params);
  if (keys.length > 0) {
    lines.push(...KEY_TABLE_HEAD);
    for (const [key, p] of keys) lines.push(keyRow(key, p.schema, p.required === true));
    lines.push('');
  }
  lines.push('```yaml', exampleYaml(def), '```', '');
  return lines.join('\n');
}

export function renderLayerDocs(registry: LayerRegistry): string {
  const defs = [...registry];
  const out = [
    '# Layer reference',
    '',
    '<!-- Generated from the layer registry by `npm run generate`; do not edit by hand. -->',
    '',
    `strata has ${defs.length} layer types. Every layer also takes these keys:`,
    '',
    ...KEY_TABLE_HEAD,
    ...Object.entries(COMMON_LAYER_KEYS).map(([k, s]) => keyRow(k, s, false)),
    '',
    'Initializers are given by name (`glorot_uniform`, `he_normal`, `orthogonal`, ...) or as a mapping with `type` and arguments, such as `{type: random_normal, stddev: 0.02}`. Regularizers are mappings such as `{l2: 0.0001}`.',
    '',
    ...engineTable(defs),
  ];
  for (const [cat, title] of Object.entries(CATEGORY_TITLES)) {
    const inCat = defs.filter((d) => d.category === cat);
    if (inCat.length === 0) continue;
    out.push(`## ${title}`, '', ...inCat.map(section));
  }
  return `${out.join('\n').trimEnd()}\n`;
}
