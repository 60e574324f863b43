/**
 * A Keras model topology → a strata spec (as a plain value, not yet checked).
 * Each layer's class is found in the registry by its Keras name; its config
 * becomes spec keys through the entry's `fromKeras` or the generic mapping.
 * Whatever cannot be carried over is listed; layers strata has no type for
 * and graphs it cannot express are errors.
 */
import { nearest } from '../document/suggest.js';
import type { Diagnostic } from '../errors.js';
import { UsageError } from '../errors.js';
import { layerRegistry } from '../layers/catalog.js';
import { dtypeName, genericFromKeras, isRecord, savedSpecKeys } from '../layers/keras.js';
import type { FromKerasContext, KerasConfig, LossyField } from '../layers/registry.js';
import type { LayerDef, LayerRegistry } from '../layers/registry.js';
import { ShapeProblem } from '../layers/shape.js';
import type { Shape } from '../layers/shape.js';
import { withDefaults } from '../spec/graph.js';
import { NAME_PATTERN } from '../spec/schema.js';
import { SPEC_VERSION } from '../spec/sections.js';
import type { Topology, TopologyLayer } from './keras-topology.js';

/** One thing not carried over: in which layer, which field, and why. */
export interface LossyItem {
  layer: string;
  field: string;
  why: string;
}

export interface FromKeras {
  spec: Record<string, unknown>;
  lossy: LossyItem[];
}

/** Keras's other spellings of class names strata's registry knows by their main name. */
function canonicalClass(name: string): string {
  return name
    .replace(/^Convolution(\d)D$/, 'Conv$1D')
    .replace(/^(Global)?MaxPool(\d)D$/, '$1MaxPooling$2D')
    .replace(/^(Global)?AvgPool(\d)D$/, '$1AveragePooling$2D');
}

/** Registry entries by the Keras class names they are saved under. */
function byKerasClass(registry: LayerRegistry): Map<string, LayerDef[]> {
  const map = new Map<string, LayerDef[]>();
  const add = (cls: string, def: LayerDef) => map.set(cls, [...(map.get(cls) ?? []), def]);
  for (const def of registry) {
    add(def.keras, def);
    for (const cls of def.kerasClasses ?? []) if (cls !== def.keras) add(cls, def);
  }
  return map;
}

/** The entries for a class name; `package>Name` (a registered custom class) also matches `Name`. */
function candidates(classes: Map<string, LayerDef[]>, cls: string): LayerDef[] {
  return classes.get(cls) ?? classes.get(cls.replace(/^[^>]*>/, '')) ?? [];
}

/** A name the spec accepts, close to the Keras one. */
function specName(name: string): string {
  let n = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (!/^[A-Za-z]/.test(n)) n = `l_${n}`;
  return n;
}

function inputLayer(l: TopologyLayer, lossy: LossyField[]): Record<string, unknown> {
  const batchShape = (l.config.batch_input_shape ?? l.config.batch_shape) as unknown[] | undefined;
  const shape = Array.isArray(batchShape) ? batchShape.slice(1) : undefined;
  const dtype = dtypeName(l.config.dtype) ?? 'float32';
  const params: Record<string, unknown> = { shape };
  if (/^u?int/.test(dtype)) {
    if (dtype !== 'int32') lossy.push({ field: 'dtype', why: `${dtype} is read as int32, the integer type TensorFlow.js has` });
    params.dtype = 'int32';
  } else if (dtype !== 'float32') {
    lossy.push({ field: 'dtype', why: `${dtype} inputs are read as float32` });
  }
  if (l.config.sparse === true) lossy.push({ field: 'sparse', why: 'strata inputs are dense' });
  if (l.config.ragged === true) lossy.push({ field: 'ragged', why: 'strata inputs are not ragged' });
  return params;
}

/**
 * The error for a class no entry has: the class, its layers, the nearest class names strata
 * knows (up to three), and where they are all listed. (Listing them all made a line of
 * some 700 characters.)
 */
export function unknownClass(cls: string, layers: readonly string[], known: Iterable<string>): string {
  // Plain Keras names only: not `strata>Name` registrations, nor descriptions such as `none (strata only)`.
  const near = nearest(cls, [...known].filter((k) => /^\w+$/.test(k)));
  const which = `layer${layers.length > 1 ? 's' : ''} ${layers.map((n) => `'${n}'`).join(', ')}`;
  const hint = near.length > 0 ? `; nearest known: ${near.join(', ')}` : '';
  return `Keras class ${cls} (${which}) has no strata layer type${hint}; docs/layers.md gives the Keras class of every layer type`;
}

/** What a wrapper may hold: the classes when they are few, else the nearest of them and where they are listed. */
function wrapsHint(def: LayerDef, allowed: readonly string[], cls: string, registry: LayerRegistry): string {
  const names = allowed.map((t) => registry.get(t)?.keras ?? t);
  if (names.length <= 6) return `; ${def.type} wraps ${names.join(', ')}`;
  const near = nearest(cls, names.filter((k) => /^\w+$/.test(k)));
  return `${near.length > 0 ? `; nearest it wraps: ${near.join(', ')}` : ''}; docs/layers.md lists the layer types ${def.type} wraps`;
}

/** Convert a topology; throws `UsageError` for what cannot be converted at all. */
export function kerasToSpec(topology: Topology, file: string, registry: LayerRegistry = layerRegistry): FromKeras {
  const classes = byKerasClass(registry);
  const errors: Diagnostic[] = [];
  const error = (message: string) => errors.push({ file, code: 'not-convertible', message });
  const lossy: LossyItem[] = [];

  const byName = new Map(topology.layers.map((l) => [l.name, l]));
  /** The entries a layer may be: by its class, or by the type a strata custom layer saved. */
  const entriesFor = (l: TopologyLayer): LayerDef[] => {
    const found = candidates(classes, canonicalClass(l.className));
    if (found.length > 0) return found;
    const saved = savedSpecKeys(l.config);
    const def = saved ? registry.get(saved.type) : undefined;
    return def ? [def] : [];
  };
  const unsupported = new Map<string, string[]>();
  for (const l of topology.layers) {
    const cls = canonicalClass(l.className);
    if (entriesFor(l).length === 0) unsupported.set(cls, [...(unsupported.get(cls) ?? []), l.name]);
    if (l.calls > 1) error(`layer '${l.name}' (${l.className}) is shared: it is called ${l.calls} times, and a strata layer is called once; give each use its own layer`);
    for (const r of l.inputs) {
      if (!byName.has(r.layer)) error(`layer '${l.name}' takes input from '${r.layer}', which is not in the model`);
      else if (r.node > 0 || r.tensor > 0) error(`layer '${l.name}' takes output ${r.tensor} of call ${r.node} of '${r.layer}'; strata layers have one output and are called once`);
    }
  }
  for (const [cls, names] of unsupported) {
    const nested = ['Sequential', 'Model', 'Functional'].includes(cls);
    error(
      nested
        ? `the nested model${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(', ')} (${cls}) ${names.length > 1 ? 'are' : 'is'} called more than once; strata can inline a nested model used once`
        : unknownClass(cls, names, classes.keys()),
    );
  }
  if (errors.length > 0) throw new UsageError(errors);

  // Order: the model's inputs first (in the model's order), then every layer after its inputs.
  const order: TopologyLayer[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (l: TopologyLayer) => {
    if (placed.has(l.name)) return;
    if (visiting.has(l.name)) throw new UsageError({ file, code: 'not-convertible', message: `the layers form a cycle through '${l.name}'` });
    visiting.add(l.name);
    for (const r of l.inputs) place(byName.get(r.layer)!);
    placed.add(l.name);
    order.push(l);
  };
  for (const r of topology.inputs) if (byName.has(r.layer)) place(byName.get(r.layer)!);
  for (const l of topology.layers) place(l);

  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const l of order) {
    let n = specName(l.name);
    while (taken.has(n)) n = `${n}_`;
    taken.add(n);
    names.set(l.name, n);
    if (n !== l.name) lossy.push({ layer: l.name, field: 'name', why: `renamed to '${n}': strata names start with a letter and hold letters, digits, _ . -` });
  }

  const shapes = new Map<string, Shape>();
  const specLayers: Record<string, unknown>[] = [];
  let previous: string | undefined;
  for (const l of order) {
    const fields: LossyField[] = [];
    let params: Record<string, unknown> = {};
    const unknown = l.inputs.find((r) => !shapes.has(r.layer));
    if (unknown && l.inputs.length > 0) {
      // An input whose shape is unknown: an earlier layer failed (its error is reported), or the input is not a layer.
      if (errors.length === 0) error(`layer '${l.name}' (${l.className}) takes its input from '${unknown.layer}', whose output shape is unknown`);
      continue;
    }
    const inputShapes = l.inputs.map((r) => shapes.get(r.layer)!);
    const found = entriesFor(l);
    let def = found[0]!;
    if (def.arity === 'none') {
      params = inputLayer(l, fields);
      if (!Array.isArray(params.shape) || params.shape.length === 0) error(`input layer '${l.name}' has no shape (batch_input_shape or batch_shape)`);
    } else if (inputShapes.length === 0) {
      error(`layer '${l.name}' (${l.className}) has no inputs (its inbound_nodes name none); the model file is damaged`);
      continue;
    } else {
      const ctx: FromKerasContext = {
        inputShapes,
        generic: (config: KerasConfig) => genericFromKeras(def, config, ctx),
        nested: (layer: unknown, innerShapes?: readonly Shape[]) => {
          const cls = isRecord(layer) ? canonicalClass(String(layer.class_name)) : '';
          const config = isRecord(layer) && isRecord(layer.config) ? layer.config : {};
          // As for a layer of the model: by class, else by the type a strata custom layer saved;
          // of entries sharing a class, the one whose type was saved, or the first that takes the config.
          const saved = savedSpecKeys(config);
          let found = candidates(classes, cls);
          if (found.length === 0 && saved && registry.get(saved.type)) found = [registry.get(saved.type)!];
          const allowed = def.nested ? registry.nestedTypes(def) : undefined;
          if (allowed) found = found.filter((d) => allowed.includes(d.type));
          if (saved && found.length > 1) found = found.filter((d) => d.type === saved.type);
          for (const inner of found) {
            const innerCtx: FromKerasContext = { ...ctx, inputShapes: innerShapes ?? ctx.inputShapes, generic: (c) => genericFromKeras(inner, c, innerCtx) };
            const r = inner.fromKeras ? inner.fromKeras(config, innerCtx) : genericFromKeras(inner, config, innerCtx);
            if (r === null) continue;
            return { spec: { type: inner.type, ...r.params }, lossy: r.lossy.filter((f) => f.field !== 'trainable') };
          }
          throw new UsageError({ file, code: 'not-convertible', message: `layer '${l.name}' (${l.className}) wraps Keras class ${cls || JSON.stringify(layer)}, which strata cannot put there${allowed ? wrapsHint(def, allowed, cls, registry) : ''}` });
        },
      };
      // The first entry whose mapping takes the config (entries sharing a class decline others' configs).
      let taken = false;
      const saved = savedSpecKeys(l.config);
      for (const d of found) {
        if (saved && found.length > 1 && saved.type !== d.type) continue;
        def = d;
        const r = d.fromKeras ? d.fromKeras(l.config, { ...ctx, generic: (config: KerasConfig) => genericFromKeras(d, config, ctx) }) : genericFromKeras(d, l.config, ctx);
        if (r === null) continue;
        params = r.params;
        fields.push(...r.lossy);
        taken = true;
        break;
      }
      if (!taken) error(`layer '${l.name}' (${l.className}): none of the strata layer types saved as ${l.className} (${found.map((d) => d.type).join(', ')}) takes its config`);
    }
    for (const a of l.extraArgs) fields.push({ field: 'call', why: `the call argument ${a} is not carried over` });
    lossy.push(...fields.map((f) => ({ layer: l.name, ...f })));

    const name = names.get(l.name)!;
    const inputs = l.inputs.map((r) => names.get(r.layer)!);
    const entry: Record<string, unknown> = { type: def.type, name };
    if (def.arity !== 'none' && !(inputs.length === 1 && inputs[0] === previous && def.arity === 'one')) entry.inputs = inputs;
    if (l.config.trainable === false) entry.trainable = false;
    Object.assign(entry, params);
    specLayers.push(entry);
    previous = name;

    if (errors.length > 0) continue;
    try {
      shapes.set(l.name, def.outputShape(inputShapes, withDefaults(entry, registry), registry));
    } catch (e) {
      // A TypeError here comes from a config value of the wrong kind (kernel_size: true, a wrapper without its layer),
      // which the shape rules, written for schema-checked specs, do not expect: the file's fault.
      if (e instanceof TypeError) {
        error(`layer '${l.name}' (${l.className}) has a config strata cannot read (${e.message}); the file is damaged or was not written by Keras or TensorFlow.js`);
        continue;
      }
      if (!(e instanceof ShapeProblem)) throw e;
      error(`layer '${l.name}' (${l.className}) does not fit its input ${JSON.stringify(inputShapes)}: ${e.message}`);
    }
  }
  if (errors.length > 0) throw new UsageError(errors);

  const outputs = topology.outputs.map((r) => names.get(r.layer)).filter((n): n is string => n !== undefined);
  const model: Record<string, unknown> = { layers: specLayers };
  if (!(outputs.length === 1 && outputs[0] === previous)) model.outputs = outputs;

  const extra = topology.strata ?? {};
  const modelName = typeof extra.name === 'string' ? extra.name : topology.name !== undefined ? specName(topology.name) : undefined;
  const spec: Record<string, unknown> = {
    version: typeof extra.version === 'number' ? extra.version : SPEC_VERSION,
    ...(modelName !== undefined && new RegExp(NAME_PATTERN).test(modelName) ? { name: modelName } : {}),
  };
  for (const key of ['description', 'seed', 'data', 'search']) if (extra[key] !== undefined) spec[key] = extra[key];
  spec.model = model;
  if (extra.train !== undefined) spec.train = extra.train;
  return { spec, lossy };
}
