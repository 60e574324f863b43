/**
 * Phase two of validation, after the schema: expand `repeat`, name every
 * layer, resolve `inputs:`, refuse duplicate names, dangling references,
 * cycles and unused layers, and run each layer's shape rule, so a spec that
 * passes here builds.
 */
import type { Diagnostic } from '../errors.js';
import type { LayerRegistry, LayerParams } from '../layers/registry.js';
import { formatShape, ShapeProblem } from '../layers/shape.js';
import type { Shape } from '../layers/shape.js';
import { placeOf } from '../document/source.js';
import type { SpecPath, SpecSource } from '../document/source.js';
import { didYouMean } from '../document/suggest.js';
import { bytesInWords, countInWords, grouped, howToRaise, limitOf, LIMITS, MAX_TENSOR_ELEMENTS } from '../document/limits.js';
import type { ModelGraph, ResolvedLayer } from './types.js';

interface RawLayer {
  type: string;
  name?: string;
  inputs?: string[];
  repeat?: number;
  trainable?: boolean;
  [key: string]: unknown;
}

/** `layers[3] (dense)`, with the copy for layers made by `repeat`. */
export function labelOf(l: Pick<ResolvedLayer, 'index' | 'type' | 'copy'>): string {
  const copy = l.copy ? `, copy ${l.copy.n} of ${l.copy.of}` : '';
  return `layers[${l.index}] (${l.type}${copy})`;
}

/** A layer's own keys with the registry's defaults filled in, nested layers too. */
export function withDefaults(raw: Record<string, unknown>, registry: LayerRegistry): LayerParams {
  const def = registry.get(String(raw.type))!;
  const params: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(def.params)) {
    if (raw[key] !== undefined) params[key] = raw[key];
    else if (p.default !== undefined) params[key] = p.default;
  }
  if (def.nested && params[def.nested.key]) {
    const fill = (inner: Record<string, unknown>) => ({ type: inner.type, ...withDefaults(inner, registry) });
    const value = params[def.nested.key];
    params[def.nested.key] = Array.isArray(value) ? value.map((v: Record<string, unknown>) => fill(v)) : fill(value as Record<string, unknown>);
  }
  return params;
}

export function resolveGraph(spec: { model: { layers: RawLayer[]; outputs?: string[] } }, source: SpecSource, registry: LayerRegistry): { graph?: ModelGraph; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (path: SpecPath, code: string, message: string, part: 'key' | 'value' = 'value') => diagnostics.push({ ...placeOf(source, path, part), code, message });
  const layersPath = ['model', 'layers'];

  // 0. The number of layers `repeat` and blocks make, counted before anything is expanded.
  const tooMany = checkLayerCount(spec.model.layers, registry);
  if (tooMany) {
    const { index, total, limit } = tooMany;
    const raw = spec.model.layers[index]!;
    const what = `layers[${index}] (${raw.type})`;
    const repeated = raw.repeat !== undefined && raw.repeat > 1;
    const message = `${what}${repeated ? ` with repeat: ${raw.repeat}` : ''} takes the model past strata's limit of ${grouped(limit)} layers (it has ${grouped(total)} with repeat and blocks expanded); ${howToRaise(LIMITS.layers, total)}`;
    report(repeated ? [...layersPath, index, 'repeat'] : [...layersPath, index], 'too-many-layers', message);
    return { diagnostics };
  }

  // 1. Expand repeat and assign names.
  const explicit = new Map<string, number>();
  spec.model.layers.forEach((raw, index) => {
    if (raw.name === undefined) return;
    const earlier = explicit.get(raw.name);
    if (earlier !== undefined) {
      report([...layersPath, index, 'name'], 'duplicate-name', `layer name '${raw.name}' is already used by layers[${earlier}]; names must be unique`);
    } else explicit.set(raw.name, index);
  });
  if (diagnostics.length > 0) return { diagnostics };

  const taken = new Set<string>();
  for (const raw of spec.model.layers) {
    const n = raw.repeat ?? 1;
    if (raw.name === undefined) continue;
    if (n === 1) taken.add(raw.name);
    else for (let k = 1; k <= n; k++) taken.add(`${raw.name}_${k}`);
  }
  const counters = new Map<string, number>();
  const autoName = (type: string) => {
    let k = counters.get(type) ?? 0;
    let name: string;
    do name = `${type}_${++k}`;
    while (taken.has(name) || explicit.has(name));
    counters.set(type, k);
    taken.add(name);
    return name;
  };

  const nodes: ResolvedLayer[] = [];
  const byName = new Map<string, ResolvedLayer>();
  /** Names as written in the spec; a repeated layer's name means its last copy. */
  const alias = new Map<string, string>();
  const rawInputs = new Map<ResolvedLayer, { names: string[] | undefined; explicit: boolean }>();
  spec.model.layers.forEach((raw, index) => {
    const n = raw.repeat ?? 1;
    const params = withDefaults(raw, registry);
    for (let k = 1; k <= n; k++) {
      const name = raw.name === undefined ? autoName(raw.type) : n === 1 ? raw.name : `${raw.name}_${k}`;
      const node: ResolvedLayer = {
        index,
        path: [...layersPath, index],
        type: raw.type,
        name,
        params,
        trainable: raw.trainable ?? true,
        inputs: [],
        inputShapes: [],
        outputShape: [],
        ...(n > 1 ? { copy: { n: k, of: n } } : {}),
      };
      const prev = nodes[nodes.length - 1];
      // Later copies take the previous copy; a copy of a cross-attending layer (arity one_or_two) keeps its other input, such as a decoder's encoder output.
      const others = registry.get(raw.type)!.arity === 'one_or_two' ? (raw.inputs?.slice(1) ?? []) : [];
      const inputs = k === 1 ? raw.inputs : prev ? [prev.name, ...others] : undefined;
      rawInputs.set(node, { names: inputs, explicit: k === 1 && raw.inputs !== undefined });
      nodes.push(node);
      byName.set(name, node);
    }
    if (raw.name !== undefined) alias.set(raw.name, nodes[nodes.length - 1]!.name);
  });

  // 2. Resolve inputs.
  const known = () => [...alias.keys(), ...byName.keys()];
  const resolve = (name: string) => byName.get(alias.get(name) ?? name);
  nodes.forEach((node, i) => {
    const def = registry.get(node.type)!;
    const { names, explicit: wrote } = rawInputs.get(node)!;
    const inputsPath = [...node.path, 'inputs'];
    if (def.arity === 'none') {
      if (wrote) report(inputsPath, 'bad-inputs', `${labelOf(node)} is a model input and takes no inputs; remove 'inputs'`, 'key');
      return;
    }
    if (names === undefined) {
      const prev = nodes[i - 1];
      if (!prev) {
        report(node.path, 'no-input', `${labelOf(node)} has nothing before it to take as input; start the list with an input layer, such as {type: input, shape: [784]}`);
        return;
      }
      if (def.arity === 'many') {
        report(node.path, 'bad-inputs', `${labelOf(node)} merges two or more inputs; list them, such as inputs: [${prev.name}, other]`);
        return;
      }
      node.inputs = [prev.name];
      return;
    }
    if (def.arity === 'one_or_two' && names.length > 2) {
      report(inputsPath, 'bad-inputs', `${labelOf(node)} takes one input (self-attention) or two, [query, key_value] (cross-attention), but lists ${names.length}`, 'key');
      return;
    }
    if (def.arity === 'one' && names.length > 1) {
      report(inputsPath, 'bad-inputs', `${labelOf(node)} takes one input but lists ${names.length}; merge them first with add or concatenate`, 'key');
      return;
    }
    if (def.arity === 'many' && names.length < 2) {
      report(inputsPath, 'bad-inputs', `${labelOf(node)} merges two or more inputs but lists ${names.length}; add the other input`, 'key');
      return;
    }
    const resolved: string[] = [];
    names.forEach((ref, j) => {
      const target = resolve(ref);
      if (!target) {
        report([...inputsPath, j], 'bad-reference', `${labelOf(node)} takes input '${ref}', but no layer has that name${didYouMean(ref, known())}`);
      } else if (target === node) {
        report([...inputsPath, j], 'cycle', `${labelOf(node)} takes its own output as input`);
      } else resolved.push(target.name);
    });
    if (resolved.length === names.length) node.inputs = resolved;
  });
  if (diagnostics.length > 0) return { diagnostics };

  // 3. Order: every layer after its inputs; a cycle is an error.
  // Depth-first without recursion, so that a chain of many layers cannot exhaust the stack.
  const order: ResolvedLayer[] = [];
  const state = new Map<ResolvedLayer, 'visiting' | 'done'>();
  const visit = (start: ResolvedLayer): boolean => {
    if (state.get(start) === 'done') return true;
    /** The path from `start`, each with the index of its next input to visit. */
    const trail: { node: ResolvedLayer; next: number }[] = [{ node: start, next: 0 }];
    state.set(start, 'visiting');
    while (trail.length > 0) {
      const top = trail[trail.length - 1]!;
      if (top.next === top.node.inputs.length) {
        state.set(top.node, 'done');
        order.push(top.node);
        trail.pop();
        continue;
      }
      const input = byName.get(top.node.inputs[top.next++]!)!;
      const s = state.get(input);
      if (s === 'done') continue;
      if (s === 'visiting') {
        const nodes = trail.map((t) => t.node);
        const loop = [...nodes.slice(nodes.indexOf(input)), input].map((n) => n.name).join(' → ');
        report([...input.path, 'inputs'], 'cycle', `the layers form a cycle: ${loop}; a layer cannot take, directly or through others, its own output`, 'key');
        return false;
      }
      state.set(input, 'visiting');
      trail.push({ node: input, next: 0 });
    }
    return true;
  };
  for (const node of nodes) if (!visit(node)) return { diagnostics };

  // 4. Outputs, and layers that lead to none of them.
  let outputs: string[];
  if (spec.model.outputs) {
    outputs = [];
    spec.model.outputs.forEach((ref, j) => {
      const target = resolve(ref);
      if (!target) report(['model', 'outputs', j], 'bad-reference', `model.outputs names '${ref}', but no layer has that name${didYouMean(ref, known())}`);
      else outputs.push(target.name);
    });
    if (diagnostics.length > 0) return { diagnostics };
  } else {
    outputs = [nodes[nodes.length - 1]!.name];
  }
  const used = new Set<string>();
  const toMark = [...outputs];
  while (toMark.length > 0) {
    const name = toMark.pop()!;
    if (used.has(name)) continue;
    used.add(name);
    toMark.push(...byName.get(name)!.inputs);
  }
  for (const node of nodes) {
    if (!used.has(node.name)) {
      report(node.path, 'unused', `${labelOf(node)} '${node.name}' does not lead to the model's output; connect it through inputs:, list it in model.outputs, or remove it`);
    }
  }
  if (diagnostics.length > 0) return { diagnostics };

  // 5. Shapes, in order. A layer whose input already failed is skipped.
  const failed = new Set<string>();
  for (const node of order) {
    if (node.inputs.some((n) => failed.has(n))) {
      failed.add(node.name);
      continue;
    }
    const producers = node.inputs.map((n) => byName.get(n)!);
    node.inputShapes = producers.map((p) => p.outputShape);
    try {
      node.outputShape = registry.get(node.type)!.outputShape(node.inputShapes, node.params, registry);
    } catch (e) {
      if (!(e instanceof ShapeProblem)) throw e;
      failed.add(node.name);
      report(node.path, 'shape-mismatch', shapeMessage(node, producers, e));
    }
  }
  if (diagnostics.length > 0) return { diagnostics };

  // 6. Sizes that could never be allocated, refused before anything is built.
  checkSizes(order, registry, report);
  if (diagnostics.length > 0) return { diagnostics };

  return { graph: { layers: order, inputs: order.filter((n) => registry.get(n.type)!.arity === 'none').map((n) => n.name), outputs }, diagnostics };
}

/** Values in one example of a shape: a dimension of any size (null) counts as 1. */
export const valuesOf = (shape: Shape): number => shape.reduce<number>((n, d) => n * (d ?? 1), 1);

/**
 * Refuse a weight tensor or an output larger than any tensor can be, and weights
 * past the model's limit in bytes, at the layer that makes it so.
 */
function checkSizes(order: readonly ResolvedLayer[], registry: LayerRegistry, report: (path: SpecPath, code: string, message: string) => void): void {
  const limit = limitOf(LIMITS.weightBytes);
  let total = 0;
  for (const node of order) {
    const outputs = valuesOf(node.outputShape);
    if (outputs > MAX_TENSOR_ELEMENTS) {
      report(node.path, 'too-large', `${labelOf(node)} would output ${countInWords(outputs)} values per example (${formatShape(node.outputShape)}), more than one tensor can hold (${grouped(MAX_TENSOR_ELEMENTS)} values); make its input smaller`);
      return;
    }
    const weights = registry.get(node.type)!.weights?.(node.inputShapes, node.params) ?? [];
    const largest = Math.max(0, ...weights);
    const own = weights.reduce((a, b) => a + b, 0);
    if (largest > MAX_TENSOR_ELEMENTS) {
      report(node.path, 'too-large', `${labelOf(node)} would hold a weight tensor of ${countInWords(largest)} values (${bytesInWords(largest * 4)} of float32), more than one tensor can hold (${grouped(MAX_TENSOR_ELEMENTS)} values); make it smaller`);
      return;
    }
    total += own;
    if (total * 4 > limit) {
      const all = total === own ? '' : `; with the layers before it the model holds ${countInWords(total)} (${bytesInWords(total * 4)})`;
      report(node.path, 'too-large', `${labelOf(node)} would hold ${countInWords(own)} weights (${bytesInWords(own * 4)} of float32)${all}, more than strata's limit of ${bytesInWords(limit)} of weights; ${howToRaise(LIMITS.weightBytes, total * 4)}`);
      return;
    }
  }
}

/** How many layers a layer of the spec becomes: its copies, each with a block's inner layers. */
function expandedSize(raw: { type?: unknown; repeat?: unknown; [key: string]: unknown }, registry: LayerRegistry): number {
  const copies = typeof raw.repeat === 'number' && raw.repeat > 1 ? raw.repeat : 1;
  const def = registry.get(String(raw.type));
  const inner = def?.nested?.list ? raw[def.nested.key] : undefined;
  let size = 1;
  if (Array.isArray(inner)) for (const l of inner) if (l && typeof l === 'object') size += expandedSize(l as Record<string, unknown>, registry);
  return copies * size;
}

/** The first layer past the layer limit, with the model's total, or undefined when the model is within it. */
function checkLayerCount(layers: readonly RawLayer[], registry: LayerRegistry): { index: number; total: number; limit: number } | undefined {
  const limit = limitOf(LIMITS.layers);
  let total = 0;
  let first: number | undefined;
  layers.forEach((raw, index) => {
    total += expandedSize(raw, registry);
    if (total > limit && first === undefined) first = index;
  });
  return first === undefined ? undefined : { index: first, total, limit };
}

function shapeMessage(node: ResolvedLayer, producers: ResolvedLayer[], e: ShapeProblem): string {
  const from = (p: ResolvedLayer) => `${formatShape(p.outputShape)} from ${labelOf(p)}`;
  const hint = e.hint ? `; ${e.hint}` : '';
  if (e.expects !== undefined) {
    const p = producers[e.inputIndex ?? 0]!;
    return `${labelOf(node)} expects input ${e.expects} but receives ${from(p)}${hint}`;
  }
  if (e.pair) {
    const [a, b] = e.pair.map((i) => producers[i]!);
    return `${labelOf(node)} cannot merge ${from(a!)} with ${from(b!)}: ${e.message}`;
  }
  const inputs = producers.length === 1 ? ` (input ${from(producers[0]!)})` : '';
  return `${labelOf(node)}: ${e.message}${inputs}${hint}`;
}

export type { RawLayer, Shape };
