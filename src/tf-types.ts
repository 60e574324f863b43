/**
 * The types of the TensorFlow.js modules strata computes with, in one place
 * for every module that takes them as arguments (the backend loader, the
 * layer registry, the training registry). Types only: importing this module
 * loads nothing, so `strata validate` never pays for TensorFlow.js.
 */
import type * as TfCoreModule from '@tensorflow/tfjs-core';
import type * as TfLayersModule from '@tensorflow/tfjs-layers';
import type { Layer, SymbolicTensor } from '@tensorflow/tfjs-layers/dist/engine/topology.js';

export type { Layer, SymbolicTensor };
export type TfCore = typeof TfCoreModule;
export type TfLayers = typeof TfLayersModule;
export type LayersModel = TfLayersModule.LayersModel;
