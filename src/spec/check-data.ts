/**
 * Does the model fit its dataset? Checked before training, so a mismatch is
 * a clear message at the layer to change, not a TensorFlow.js error mid-run.
 */
import type { Diagnostic, Place } from '../errors.js';
import { layerRegistry } from '../layers/catalog.js';
import type { SpecPath } from '../document/source.js';
import type { ResolvedLayer, Spec } from './types.js';
import { placeIn } from './place.js';
import type { Dataset } from '../data/types.js';
import { trainRegistry, VALIDATION_PREFIX } from '../train-registry/catalog.js';
import { MONITORING_SECTIONS } from '../train-registry/monitor.js';
import { trainKeys } from '../train-registry/section.js';
import { bytesInWords, countInWords, grouped, howToRaise, limitOf, LIMITS, MAX_TENSOR_ELEMENTS } from '../document/limits.js';
import { labelOf, valuesOf } from './graph.js';

const shapeText = (s: readonly (number | null)[]) => `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

export function checkModelAgainstData(spec: Spec, dataset: Dataset): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (path: SpecPath): Place => placeIn(spec, path);
  const byName = new Map(spec.model.layers.map((l) => [l.name, l]));
  const label = (l: ResolvedLayer) => `layers[${l.index}] (${l.type})`;
  const inputs = spec.model.inputs.map((n) => byName.get(n)!);
  const outputs = spec.model.outputs.map((n) => byName.get(n)!);
  const data = `${dataset.name}`;

  if (inputs.length !== 1) {
    out.push({ ...at(['model', 'layers']), code: 'data-mismatch', message: `the model has ${inputs.length} inputs but ${data} gives one input per example; use one input layer` });
    return out;
  }
  const input = inputs[0]!;
  const shape = input.outputShape;
  const want = dataset.inputShape;
  if (shape.length !== want.length || shape.some((d, i) => d !== null && d !== want[i])) {
    out.push({ ...at([...input.path, 'shape']), code: 'data-mismatch', message: `${label(input)} has shape ${shapeText(shape)} but ${data} examples have shape ${shapeText(want)}; set shape: ${shapeText(want)}` });
  }
  const dtype = (input.params.dtype as string | undefined) ?? 'float32';
  if (dtype !== dataset.inputDtype) {
    const why = dataset.inputDtype === 'int32' ? 'token ids' : 'real values';
    out.push({ ...at(input.path), code: 'data-mismatch', message: `${label(input)} takes ${dtype} but ${data} gives ${why} (${dataset.inputDtype}); set dtype: ${dataset.inputDtype}` });
  }
  // Token ids must fit the embedding that reads them.
  const vocab = dataset.vocabulary?.length;
  if (vocab && dataset.inputDtype === 'int32') {
    for (const l of spec.model.layers) {
      if (l.type === 'embedding' && l.inputs.includes(input.name) && typeof l.params.input_dim === 'number' && l.params.input_dim < vocab) {
        out.push({ ...at([...l.path, 'input_dim']), code: 'data-mismatch', message: `${label(l)} has input_dim ${l.params.input_dim} but ${data} has a vocabulary of ${vocab} tokens; set input_dim: ${vocab}` });
      }
    }
  }

  if (outputs.length !== 1) {
    out.push({ ...at(['model', 'outputs']), code: 'data-mismatch', message: `the model has ${outputs.length} outputs but ${data} has one target per example; give one output` });
    return out;
  }
  const output = outputs[0]!;
  const got = output.outputShape;
  let expected: number[];
  let what: string;
  switch (dataset.task) {
    case 'classification': {
      const k = dataset.classes?.length ?? 0;
      // Labels come as one 0/1 value when the loss takes them so (labelModeFor); one unit fits only those.
      const binaryLabels = dataset.targetShape.length === 1 && dataset.targetShape[0] === 1;
      const binaryLosses = trainRegistry.losses.names().filter((n) => trainRegistry.losses.must(n).targets === 'binary');
      expected = binaryLabels && k === 2 ? [1] : [k];
      what =
        k === 2 && got[got.length - 1] === 1 && !binaryLabels
          ? `2 classes, and one sigmoid unit needs a loss that takes 0/1 targets; set train.loss: ${binaryLosses.join(' or ')}, or give the layer 2 units (softmax)`
          : `${k} classes, so its last layer needs ${k} units (softmax)${k === 2 ? `, or 1 unit (sigmoid) with ${binaryLosses.join(' or ')}` : ''}`;
      break;
    }
    case 'language_model': {
      const v = vocab ?? 0;
      const perStep = dataset.targetShape.length === (dataset.targetDtype === 'int32' ? 1 : 2);
      expected = perStep ? [dataset.inputShape[0]!, v] : [v];
      what = `a vocabulary of ${v} tokens, so its last layer needs ${v} units (softmax)${perStep ? ' at every step (return_sequences: true)' : ''}`;
      break;
    }
    case 'forecasting': {
      const h = dataset.targetShape[0]!;
      expected = [h];
      what = `a horizon of ${h} steps, so its last layer needs ${h} units`;
      break;
    }
    default:
      expected = dataset.targetShape.length ? dataset.targetShape : [1];
      what = `targets of shape ${shapeText(expected)}`;
  }
  if (got.length !== expected.length || got.some((d, i) => d !== null && d !== expected[i])) {
    const key = output.type === 'dense' ? [...output.path, 'units'] : output.path;
    out.push({ ...at(key), code: 'data-mismatch', message: `${label(output)} outputs ${shapeText(got)} but ${data} has ${what}` });
  }
  if (spec.train?.['carry_state'] === true) out.push(...checkCarryState(spec, dataset, at, label));
  if (!dataset.validation) out.push(...checkValidationMonitors(spec.train, at));
  out.push(...checkBatchMemory(spec, at));
  return out;
}

/** A `val_` metric is never logged without validation data: a monitor that watches one would never improve. */
function checkValidationMonitors(train: Record<string, unknown> | undefined, at: (path: SpecPath) => Place): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const section of MONITORING_SECTIONS) {
    const monitor = (train?.[section] as Record<string, unknown> | undefined)?.['monitor'];
    if (typeof monitor !== 'string' || !monitor.startsWith(VALIDATION_PREFIX)) continue;
    const base = monitor.slice(VALIDATION_PREFIX.length);
    out.push({
      ...at(['train', section, 'monitor']),
      code: 'no-validation',
      message: `train.${section}.monitor watches ${monitor}, but the data has no validation split, so it is never computed; set data.validation (such as 0.1) or watch ${base}`,
    });
  }
  return out;
}

/** The recurrent layers whose strata classes can start from a carried state (layers/custom/recurrent-fast.ts). */
const CARRIES = new Set(['lstm', 'gru']);
const isRecurrent = (type: unknown) => typeof type === 'string' && layerRegistry.get(type)?.category === 'recurrent';

/** Recurrent layers anywhere inside a layer's keys (blocks, wrappers). */
function nestedRecurrent(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(nestedRecurrent);
  if (!v || typeof v !== 'object') return [];
  const o = v as Record<string, unknown>;
  return [...(isRecurrent(o['type']) ? [o['type'] as string] : []), ...Object.values(o).flatMap(nestedRecurrent)];
}

/** train.carry_state: windows that follow each other, and recurrent layers that can start from a carried state. */
function checkCarryState(spec: Spec, dataset: Dataset, at: (path: SpecPath) => Place, label: (l: ResolvedLayer) => string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const here = at(['train', 'carry_state']);
  if (!dataset.train.continuous) {
    const fix =
      dataset.task === 'language_model'
        ? `set data.stride equal to data.sequence_length (${dataset.inputShape[0]})`
        : dataset.task === 'forecasting'
          ? `set data.stride equal to data.window (${dataset.inputShape[0]})`
          : 'it is for text and series windows; remove it';
    out.push({ ...here, code: 'carry-state', message: `train.carry_state carries a recurrent state from each window into the next, but the examples of ${dataset.name} do not follow each other; ${fix}` });
  }
  let carriers = 0;
  for (const l of spec.model.layers) {
    const p = l.params as Record<string, unknown>;
    if (CARRIES.has(l.type)) {
      carriers++;
      const bad = [
        p['go_backwards'] === true ? 'go_backwards: true (a state cannot flow backwards into the next window)' : '',
        (p['dropout'] as number) > 0 ? 'dropout (use a dropout layer after it instead)' : '',
        (p['recurrent_dropout'] as number) > 0 ? 'recurrent_dropout' : '',
        p['activation'] !== 'tanh' ? `activation: ${String(p['activation'])} (tanh only)` : '',
        p['recurrent_activation'] !== 'sigmoid' ? `recurrent_activation: ${String(p['recurrent_activation'])} (sigmoid only)` : '',
      ].filter(Boolean);
      if (bad.length > 0) out.push({ ...at(l.path), code: 'carry-state', message: `${label(l)} cannot carry its state (train.carry_state) with ${bad.join(', ')}` });
    } else {
      const inner = isRecurrent(l.type) ? [l.type] : nestedRecurrent(p);
      if (inner.length > 0) {
        const what = l.type === inner[0] ? label(l) : `the ${inner[0]} inside ${label(l)}`;
        out.push({ ...at(l.path), code: 'carry-state', message: `${what} cannot carry its state (train.carry_state): only lstm and gru layers directly in model.layers can; use one of those, or remove carry_state` });
      }
    }
  }
  if (carriers === 0) out.push({ ...here, code: 'carry-state', message: 'train.carry_state carries the state of lstm and gru layers, and the model has none; remove it' });
  return out;
}

/**
 * A training batch's memory, estimated before training: every layer's output
 * for batch_size examples (a dimension of any size counted as 1), in float32,
 * three times over for the gradients and what the optimizer keeps of them.
 * Refused at train.batch_size above the limit, or when one output alone is
 * larger than a tensor can be.
 */
export function checkBatchMemory(spec: Spec, at: (path: SpecPath) => Place): Diagnostic[] {
  const batch = (spec.train?.batch_size as number | undefined) ?? (trainKeys().batch_size!.default as number);
  const where = at(['train', 'batch_size']);
  const perExample = spec.model.layers.reduce((n, l) => n + valuesOf(l.outputShape), 0);
  const largest = spec.model.layers.reduce((a, l) => (valuesOf(l.outputShape) > valuesOf(a.outputShape) ? l : a), spec.model.layers[0]!);
  if (batch * valuesOf(largest.outputShape) > MAX_TENSOR_ELEMENTS) {
    return [{
      ...where,
      code: 'batch-too-large',
      message: `train.batch_size: ${grouped(batch)} examples of the output of ${labelOf(largest)} make ${countInWords(batch * valuesOf(largest.outputShape))} values, more than one tensor can hold (${grouped(MAX_TENSOR_ELEMENTS)}); use a batch_size of at most ${grouped(Math.floor(MAX_TENSOR_ELEMENTS / valuesOf(largest.outputShape)))}`,
    }];
  }
  const bytes = batch * perExample * 4 * 3;
  const limit = limitOf(LIMITS.batchBytes);
  if (bytes <= limit) return [];
  return [{
    ...where,
    code: 'batch-too-large',
    message: `train.batch_size: ${grouped(batch)} examples need about ${bytesInWords(bytes)} for the layers' outputs and their gradients (${countInWords(perExample)} values per example, 4 bytes each, 3 times over), more than strata's limit of ${bytesInWords(limit)} for a batch; use a smaller batch_size, or ${howToRaise(LIMITS.batchBytes, bytes)}`,
  }];
}
