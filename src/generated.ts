/** The files derived from the code (the layer and training registries, the descriptor schema), by their path in the repository. */
import { descriptorSchema } from './data/descriptor.js';
import { renderLayerDocs } from './docs/layers.js';
import { renderTrainingDocs } from './docs/training.js';
import { layerRegistry } from './layers/catalog.js';
import { buildSchema } from './spec/schema.js';
import { trainRegistry } from './train-registry/catalog.js';

export function generatedFiles(): Record<string, string> {
  return {
    'schema/strata.schema.json': `${JSON.stringify(buildSchema(layerRegistry), null, 2)}\n`,
    'docs/layers.md': renderLayerDocs(layerRegistry),
    'docs/training.md': renderTrainingDocs(trainRegistry),
    'schema/dataset.schema.json': `${JSON.stringify({ $id: 'https://strata.dev/schema/dataset.schema.json', ...descriptorSchema }, null, 2)}\n`,
  };
}
