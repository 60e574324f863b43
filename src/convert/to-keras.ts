/**
 * A spec → the Keras 2 (`tf.keras`) model config: the model is built with
 * TensorFlow.js and serialized by it, so the JSON is exactly what
 * `tf.models.modelFromJSON` and Keras `model_from_json` read (`class_name` /
 * `config`, `inbound_nodes` as nested lists, snake_case keys, strata's custom
 * layers under their registered class names). The parts of the spec a Keras
 * config has no place for (name, seed, data, train) ride along under a
 * top-level `strata` key, which Keras and TensorFlow.js ignore and which
 * makes spec → Keras → spec lossless. A GRU with `reset_after: true`, which
 * strata saves in model.json as its own class (`strata>GRU`), is written as
 * Keras's `GRU` with `reset_after: true`, which Keras reads as it is (and
 * TensorFlow.js with strata's classes registered).
 */
import type { Engine } from '../backend/select.js';
import { GRU_RESET_AFTER } from '../layers/custom/recurrent-fast.js';
import { buildModel } from '../model/build.js';
import type { Spec } from '../spec/types.js';

/** The spec's own parts that are not the model graph. */
function specExtras(spec: Spec): Record<string, unknown> {
  const raw = spec.raw;
  const out: Record<string, unknown> = { version: spec.version, name: spec.name };
  for (const key of ['description', 'seed', 'data', 'train', 'search']) if (raw[key] !== undefined) out[key] = raw[key];
  return out;
}

/** Keras's class names for strata's classes that Keras has under its own name. */
const KERAS_CLASS: Record<string, string> = { [GRU_RESET_AFTER.className]: 'GRU' };

/** `value` with every `class_name` strata names differently from Keras renamed (wrapped layers included). */
function kerasClassNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(kerasClassNames);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'class_name' && typeof v === 'string' ? (KERAS_CLASS[v] ?? v) : kerasClassNames(v);
  return out;
}

/** The Keras model config of a checked spec. */
export function specToKeras(spec: Spec, engine: Engine): Record<string, unknown> {
  const { model } = buildModel(spec, engine);
  try {
    const json = kerasClassNames(model.toJSON(null, false)) as Record<string, unknown>;
    return { ...json, strata: specExtras(spec) };
  } finally {
    model.dispose();
  }
}
