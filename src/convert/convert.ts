/**
 * The conversions behind `strata convert`: any supported input (spec, Keras
 * or TensorFlow.js model JSON, checkpoint directory) to a YAML spec, a JSON
 * spec or a Keras model config. Everything goes through a checked spec, so
 * the output of every conversion is valid.
 */
import { parseDocument } from 'yaml';
import type { Engine } from '../backend/select.js';
import { UsageError } from '../errors.js';
import { parseSpec, specSchema } from '../spec/read.js';
import type { Spec } from '../spec/types.js';
import { SPEC_VERSION } from '../spec/sections.js';
import { parseSpecText } from '../document/source.js';
import { upgradeSpec } from '../spec/upgrade.js';
import { isRecord } from '../layers/keras.js';
import { kerasToSpec } from './from-keras.js';
import type { LossyItem } from './from-keras.js';
import { readModelInput } from './input.js';
import type { InputKind, ModelInput } from './input.js';
import { readTopology } from './keras-topology.js';
import { orderDocument, orderKeys, toJson, toYaml } from './render.js';
import { specToKeras } from './to-keras.js';

export const TARGETS = ['yaml', 'json', 'keras'] as const;
export type Target = (typeof TARGETS)[number];

export type { LossyItem };

export interface Conversion {
  from: InputKind;
  to: Target;
  /** The converted document. */
  text: string;
  /** What was not carried over. */
  lossy: LossyItem[];
  /** Things worth knowing that lose nothing of the model (such as dropped comments). */
  notes: string[];
}

/** The spec a model input stands for, as a plain value, with what its conversion lost. */
export function inputToSpecValue(input: ModelInput): { value: Record<string, unknown>; lossy: LossyItem[]; upgradedFrom: number[] } {
  if (input.kind === 'keras' || input.kind === 'tfjs') {
    const { spec, lossy } = kerasToSpec(readTopology(input.value, input.file), input.file);
    return { value: withoutAutoNames(spec, input.file), lossy, upgradedFrom: [] };
  }
  // A spec of an older version is upgraded before it is checked; a current one is checked
  // as written, so a broken one is reported at its place.
  const parsed = parseSpecText(input.file, input.text);
  if (isRecord(parsed.value) && typeof parsed.value.version === 'number' && parsed.value.version !== SPEC_VERSION) {
    const { spec, applied } = upgradeSpec(parsed.value, input.file);
    if (applied.length > 0) return { value: spec, lossy: [], upgradedFrom: applied };
  }
  return { value: parseSpec(input.file, input.text).raw, lossy: [], upgradedFrom: [] };
}

/**
 * Leave out layer names that are the ones strata would give anyway (`dense_1`
 * for the first dense layer, ...), when leaving them all out gives every
 * layer the same name: the spec reads as a person writes it, and nothing changes.
 */
function withoutAutoNames(spec: Record<string, unknown>, file: string): Record<string, unknown> {
  const model = spec.model as { layers: Record<string, unknown>[]; outputs?: string[] };
  // As the spec reader names layers: per type, the next `type_k` no kept name uses.
  const counters = new Map<string, number>();
  const kept = new Set(model.layers.map((l) => String(l.name)));
  const layers = model.layers.map((l) => {
    const type = String(l.type);
    kept.delete(String(l.name));
    let k = counters.get(type) ?? 0;
    do k++;
    while (kept.has(`${type}_${k}`));
    if (l.name !== `${type}_${k}`) {
      kept.add(String(l.name));
      return l;
    }
    counters.set(type, k);
    const { name: _name, ...rest } = l;
    return rest;
  });
  const candidate = { ...spec, model: { ...model, layers } };
  try {
    const names = (v: Record<string, unknown>) => parseSpec(file, JSON.stringify(v)).model.layers.map((l) => l.name);
    const before = names(spec);
    const after = names(candidate);
    return before.length === after.length && before.every((n, i) => n === after[i]) ? candidate : spec;
  } catch {
    return spec;
  }
}

/**
 * Check a spec value produced by a conversion. A Keras model can hold values
 * strata's schema refuses (or a shape its rules refuse); that is reported as
 * the model's problem, in the spec's terms.
 */
function check(value: Record<string, unknown>, file: string): Spec {
  try {
    return parseSpec(file, JSON.stringify(value, null, 2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const layers = ((value.model as { layers?: { name?: string }[] } | undefined)?.layers ?? []);
    const named = (m: string) => {
      const name = layers[Number(/\blayers\[(\d+)\]/.exec(m)?.[1] ?? -1)]?.name;
      return name ? `layer '${name}': ${m}` : m;
    };
    throw new UsageError(e.diagnostics.map((d) => ({ file, code: d.code, message: `the converted spec would not be valid: ${named(d.message)}` })));
  }
}

/** Read a spec or model file and its spec: what `summary` uses for model JSON and checkpoints. */
export function readAnySpec(path: string, overrides: readonly string[] = []): { spec: Spec; lossy: LossyItem[]; kind: InputKind } {
  const input = readModelInput(path);
  if (input.kind === 'yaml' || input.kind === 'json') return { spec: parseSpec(input.file, input.text, { overrides }), lossy: [], kind: input.kind };
  const { value, lossy } = inputToSpecValue(input);
  check(value, input.file);
  return { spec: parseSpec(input.file, JSON.stringify(value, null, 2), { overrides }), lossy, kind: input.kind };
}

const countComments = (text: string) => text.split('\n').filter((l) => /^\s*#/.test(l) || /\s#\s/.test(l)).length;

/** Convert `path` to `to`. Engine loading is left to the caller, since only Keras output needs it. */
export async function convert(path: string, to: Target, loadEngine: () => Promise<Engine>): Promise<Conversion> {
  const input = readModelInput(path);
  const { value, lossy, upgradedFrom } = inputToSpecValue(input);
  const notes: string[] = [];
  if (upgradedFrom.length > 0) notes.push(`upgraded the spec from version ${upgradedFrom[0]} to ${value.version}`);
  const comments = input.kind === 'yaml' ? countComments(input.text) : 0;
  const schema = specSchema();
  const spec = check(value, input.file);
  let text: string;
  if (to === 'keras') {
    text = toJson(specToKeras(spec, await loadEngine()));
    if (comments > 0) notes.push(`the ${comments} comment line${comments > 1 ? 's' : ''} of the YAML spec are not carried into JSON`);
  } else if (to === 'json') {
    text = toJson(orderKeys(value, schema, schema));
    if (comments > 0) notes.push(`the ${comments} comment line${comments > 1 ? 's' : ''} of the YAML spec are not carried into JSON`);
  } else if (input.kind === 'yaml' && upgradedFrom.length === 0) {
    // YAML to YAML: reorder the document itself, which keeps comments.
    const doc = parseDocument(input.text);
    orderDocument(doc, schema);
    text = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  } else {
    text = toYaml(orderKeys(value, schema, schema));
  }
  return { from: input.kind, to, text, lossy, notes };
}
