/** strata as a library in Node: read and check specs, build models, pick a backend, load the models runs saved. (In a browser: src/browser.ts.) */
export { formatDiagnostic, RuntimeFailure, StrataError, UsageError } from './errors.js';
export type { Diagnostic, Place } from './errors.js';
export { parseSpec, readSpecFile, specSchema } from './spec/read.js';
export type { ModelGraph, ResolvedLayer, Spec } from './spec/types.js';
export { layerRegistry } from './layers/catalog.js';
export type { LayerDef } from './layers/registry.js';
export { buildModel } from './model/build.js';
export { BACKENDS, loadEngine } from './backend/select.js';
export type { BackendName, Engine } from './backend/select.js';
export { registerStrataLayers } from './layers/custom/register.js';
export type { TensorFlow } from './layers/custom/register.js';
export { loadModel } from './checkpoint/load-model.js';
