/** The files derived from the layer registry, by their path in the repository. */
import { renderLayerDocs } from './docs/layers.js';
import { layerRegistry } from './layers/catalog.js';
import { buildSchema } from './spec/schema.js';

export function generatedFiles(): Record<string, string> {
  return {
    'schema/strata.schema.json': `${JSON.stringify(buildSchema(layerRegistry), null, 2)}\n`,
    'docs/layers.md': renderLayerDocs(layerRegistry),
  };
}
