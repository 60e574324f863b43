/**
 * A spec → the Keras 2 (`tf.keras`) model config: the model is built with
 * TensorFlow.js and serialized by it, so the JSON is exactly what
 * `tf.models.modelFromJSON` and Keras `model_from_json` read (`class_name` /
 * `config`, `inbound_nodes` as nested lists, snake_case keys, strata's custom
 * layers under their registered class names). The parts of the spec a Keras
 * config has no place for (name, seed, data, train) ride along under a
 * top-level `strata` key, which Keras and TensorFlow.js ignore and which
 * makes spec → Keras → spec lossless.
 */
import type { Engine } from '../backend/select.js';
import { buildModel } from '../model/build.js';
import type { Spec } from '../spec/types.js';

/** The spec's own parts that are not the model graph. */
function specExtras(spec: Spec): Record<string, unknown> {
  const raw = spec.raw;
  const out: Record<string, unknown> = { version: spec.version, name: spec.name };
  for (const key of ['description', 'seed', 'data', 'train']) if (raw[key] !== undefined) out[key] = raw[key];
  return out;
}

/** The Keras model config of a checked spec. */
export function specToKeras(spec: Spec, engine: Engine): Record<string, unknown> {
  const { model } = buildModel(spec, engine);
  try {
    const json = model.toJSON(null, false) as unknown as Record<string, unknown>;
    return { ...json, strata: specExtras(spec) };
  } finally {
    model.dispose();
  }
}
