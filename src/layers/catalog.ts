/** The registry of every layer type strata knows. */
import { activationLayers } from './activations.js';
import { attentionLayers } from './attention.js';
import { blockLayers } from './blocks.js';
import { convLayers } from './conv.js';
import { coreLayers } from './core.js';
import { embeddingLayers } from './embedding.js';
import { mergeLayers } from './merge.js';
import { normalizationLayers } from './normalization.js';
import { poolingLayers } from './pooling.js';
import { recurrentLayers } from './recurrent.js';
import { LayerRegistry } from './registry.js';
import { wrapperLayers } from './wrappers.js';

export const layerRegistry = new LayerRegistry([
  ...coreLayers,
  ...activationLayers,
  ...convLayers,
  ...poolingLayers,
  ...normalizationLayers,
  ...embeddingLayers,
  ...attentionLayers,
  ...recurrentLayers,
  ...wrapperLayers,
  ...mergeLayers,
  ...blockLayers,
]);
