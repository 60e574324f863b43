/**
 * Every form a Keras model config comes in, reduced to one: a list of layers,
 * each with its class, config and the tensors it takes, plus the model's
 * inputs and outputs. Handles Keras 2 (`tf.keras`) and Keras 3 configs,
 * Sequential models (as a mapping, or the old bare list) and functional ones,
 * and TensorFlow.js `model.json` files (topology bare or inside
 * `model_config`, with or without `format` and `weightsManifest`).
 */
import { UsageError } from '../errors.js';
import { isRecord } from '../layers/keras.js';
import { grouped, howToRaise, limitOf, LIMITS } from '../document/limits.js';

/** One tensor: the `tensor`-th output of the `node`-th call of layer `layer`. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

export interface TopologyLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** The tensors the layer takes, in order (empty for inputs). */
  inputs: TensorRef[];
  /** Call arguments other than the input tensors that were not empty, as `key: value` notes. */
  extraArgs: string[];
  /** How many times the layer is called (a shared layer is called more than once). */
  calls: number;
}

export interface Topology {
  name?: string;
  /** `keras 2`, `keras 3` or `tfjs`: which writer the config looks like, for messages. */
  flavor: string;
  layers: TopologyLayer[];
  inputs: TensorRef[];
  outputs: TensorRef[];
  /** What strata wrote beside the Keras config (`strata:`), when the file came from strata. */
  strata?: Record<string, unknown>;
}

const fail = (file: string, message: string): never => {
  throw new UsageError({ file, code: 'bad-model-json', message });
};

/** The model config inside a Keras or TensorFlow.js JSON document. */
function unwrap(doc: unknown, file: string): { model: unknown; flavor: string; strata?: Record<string, unknown> } {
  let flavor = 'keras 2';
  let strata: Record<string, unknown> | undefined;
  let t = doc;
  if (isRecord(t) && 'modelTopology' in t) {
    flavor = 'tfjs';
    t = t.modelTopology;
  }
  if (isRecord(t) && isRecord(t.strata)) strata = t.strata;
  if (isRecord(t) && 'model_config' in t) t = typeof t.model_config === 'string' ? JSON.parse(t.model_config) : t.model_config;
  if (isRecord(t) && isRecord(t.strata)) strata = t.strata;
  if (t === null || t === undefined) fail(file, 'the model JSON holds no model topology (modelTopology is empty); it holds weights only');
  return { model: t, flavor, ...(strata ? { strata } : {}) };
}

const ref = (v: unknown): TensorRef | undefined =>
  Array.isArray(v) && typeof v[0] === 'string' ? { layer: v[0], node: Number(v[1] ?? 0), tensor: Number(v[2] ?? 0) } : undefined;

/** `[[name, 0, 0], ...]`, or Keras 3's bare `[name, 0, 0]` for one tensor. */
function refList(v: unknown): TensorRef[] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') return [ref(v)!];
  return v.map(ref).filter((r): r is TensorRef => r !== undefined);
}

const isKerasTensor = (v: unknown): v is { config: { keras_history: unknown[] } } =>
  isRecord(v) && v.class_name === '__keras_tensor__' && isRecord(v.config) && Array.isArray(v.config.keras_history);

/** The Keras tensors inside Keras 3 call arguments, in order. */
function tensorsIn(v: unknown, out: TensorRef[]): void {
  if (isKerasTensor(v)) out.push(ref(v.config.keras_history)!);
  else if (Array.isArray(v)) for (const x of v) tensorsIn(x, out);
  else if (isRecord(v)) for (const x of Object.values(v)) tensorsIn(x, out);
}

const emptyArg = (k: string, v: unknown) => v === null || v === undefined || (k === 'training' && v === false) || (isRecord(v) && Object.keys(v).length === 0);

/** One layer's `inbound_nodes`, Keras 2 (nested lists) or Keras 3 (`{args, kwargs}`). */
function inbound(nodes: unknown): { inputs: TensorRef[]; extraArgs: string[]; calls: number; keras3: boolean } {
  if (!Array.isArray(nodes) || nodes.length === 0) return { inputs: [], extraArgs: [], calls: 0, keras3: false };
  const first = nodes[0];
  const extraArgs: string[] = [];
  const inputs: TensorRef[] = [];
  if (isRecord(first)) {
    (Array.isArray(first.args) ? first.args : []).forEach((arg: unknown, i: number) => {
      const before = inputs.length;
      tensorsIn(arg, inputs);
      if (inputs.length === before && arg !== null) extraArgs.push(`args[${i}]=${JSON.stringify(arg)}`);
    });
    for (const [k, v] of Object.entries(isRecord(first.kwargs) ? first.kwargs : {})) {
      const before = inputs.length;
      tensorsIn(v, inputs);
      if (inputs.length === before && !emptyArg(k, v)) extraArgs.push(`${k}=${JSON.stringify(v)}`);
    }
    return { inputs, extraArgs, calls: nodes.length, keras3: true };
  }
  for (const entry of Array.isArray(first) ? first : []) {
    const r = ref(entry);
    if (r) inputs.push(r);
    const kwargs = Array.isArray(entry) ? entry[3] : undefined;
    if (isRecord(kwargs)) for (const [k, v] of Object.entries(kwargs)) if (!emptyArg(k, v)) extraArgs.push(`${k}=${JSON.stringify(v)}`);
  }
  return { inputs, extraArgs, calls: nodes.length, keras3: false };
}

/** A Sequential model's first-layer shape, wherever the writer put it. */
function sequentialShape(config: Record<string, unknown>, first: Record<string, unknown>): unknown[] | undefined {
  const c = isRecord(first.config) ? first.config : {};
  const s = c.batch_input_shape ?? c.batch_shape ?? config.build_input_shape;
  return Array.isArray(s) ? s : undefined;
}

function sequential(layerList: unknown[], config: Record<string, unknown>, file: string): Pick<Topology, 'layers' | 'inputs' | 'outputs'> {
  const layers: TopologyLayer[] = [];
  const raw = layerList.filter(isRecord);
  if (raw.length === 0) fail(file, 'the Sequential model has no layers');
  if (raw[0]!.class_name !== 'InputLayer') {
    const shape = sequentialShape(config, raw[0]!);
    const firstConfig = isRecord(raw[0]!.config) ? raw[0]!.config : {};
    const firstName = String(firstConfig.name ?? raw[0]!.name ?? 'layer');
    if (!shape) fail(file, `the Sequential model has no input shape (its first layer '${firstName}' has no batch_input_shape); build the model before saving it`);
    layers.push({ name: `${firstName}_input`, className: 'InputLayer', config: { batch_input_shape: shape, dtype: firstConfig.dtype ?? 'float32' }, inputs: [], extraArgs: [], calls: 1 });
  }
  for (const l of raw) {
    const config = isRecord(l.config) ? l.config : {};
    const name = String(config.name ?? l.name ?? `layer_${layers.length}`);
    const prev = layers[layers.length - 1];
    layers.push({ name, className: String(l.class_name), config, inputs: prev ? [{ layer: prev.name, node: 0, tensor: 0 }] : [], extraArgs: [], calls: 1 });
  }
  const last = layers[layers.length - 1]!;
  return { layers, inputs: [{ layer: layers[0]!.name, node: 0, tensor: 0 }], outputs: [{ layer: last.name, node: 0, tensor: 0 }] };
}

/** Read any supported Keras / TensorFlow.js model JSON document into a `Topology`. */
export function readTopology(doc: unknown, file: string, nesting = 0): Topology {
  // Nested models are read recursively: a bound on their nesting keeps the stack safe.
  if (nesting > MAX_MODEL_NESTING) fail(file, `models are nested more than ${MAX_MODEL_NESTING} deep (a model used as a layer of a model used as a layer ...); strata reads at most ${MAX_MODEL_NESTING} levels`);
  const { model, flavor: outer, strata } = unwrap(doc, file);
  let flavor = outer;
  let name: string | undefined;
  let body: Pick<Topology, 'layers' | 'inputs' | 'outputs'>;
  if (Array.isArray(model)) {
    body = sequential(model, {}, file);
  } else if (isRecord(model) && typeof model.class_name === 'string') {
    const config = model.config;
    if ('module' in model || 'registered_name' in model) flavor = 'keras 3';
    if (model.class_name === 'Sequential') {
      const list = Array.isArray(config) ? config : isRecord(config) && Array.isArray(config.layers) ? config.layers : fail(file, 'the Sequential model config has no layers list');
      if (isRecord(config) && typeof config.name === 'string') name = config.name;
      body = sequential(list, isRecord(config) ? config : {}, file);
    } else if (['Model', 'Functional'].includes(model.class_name)) {
      if (!isRecord(config) || !Array.isArray(config.layers)) return fail(file, `the ${model.class_name} config has no layers list`);
      if (typeof config.name === 'string') name = config.name;
      const layers = config.layers.filter(isRecord).map((l): TopologyLayer => {
        const c = isRecord(l.config) ? l.config : {};
        const ib = inbound(l.inbound_nodes);
        if (ib.keras3 || 'module' in l) flavor = 'keras 3';
        return { name: String(l.name ?? c.name), className: String(l.class_name), config: c, inputs: ib.inputs, extraArgs: ib.extraArgs, calls: ib.calls };
      });
      body = { layers, inputs: refList(config.input_layers), outputs: refList(config.output_layers) };
    } else {
      return fail(file, `the model class '${model.class_name}' is neither Sequential nor a functional Model`);
    }
  } else {
    return fail(file, 'this JSON is not a Keras model config: expected {"class_name": ..., "config": ...} or a TensorFlow.js model.json with "modelTopology"');
  }
  const flat = flattenNested(body, file, nesting);
  const limit = limitOf(LIMITS.layers);
  if (nesting === 0 && flat.layers.length > limit) {
    fail(file, `this model has ${grouped(flat.layers.length)} layers, more than strata's limit of ${grouped(limit)}; ${howToRaise(LIMITS.layers, flat.layers.length)}`);
  }
  return { ...(name ? { name } : {}), flavor, ...flat, ...(strata ? { strata } : {}) };
}

/** How deep models may be nested as layers of models (Keras applications nest one level). */
const MAX_MODEL_NESTING = 16;

const MODEL_CLASSES = ['Sequential', 'Model', 'Functional'];

/**
 * Inline nested models (a Sequential used as a layer of a functional model,
 * say): their layers take the place of the model, fed by what fed it, and
 * whatever took the model's output takes the inner output layer's instead.
 */
function flattenNested(body: Pick<Topology, 'layers' | 'inputs' | 'outputs'>, file: string, nesting: number): Pick<Topology, 'layers' | 'inputs' | 'outputs'> {
  if (!body.layers.some((l) => MODEL_CLASSES.includes(l.className))) return body;
  const taken = new Set(body.layers.map((l) => l.name));
  /** Where a reference to a nested model's output now points. */
  const outputsOf = new Map<string, TensorRef[]>();
  const layers: TopologyLayer[] = [];
  for (const l of body.layers) {
    if (!MODEL_CLASSES.includes(l.className) || l.calls > 1) {
      layers.push(l);
      continue;
    }
    const inner = readTopology({ class_name: l.className, config: l.config }, file, nesting + 1);
    const rename = new Map<string, string>();
    for (const x of inner.layers) {
      const n = taken.has(x.name) && x.name !== l.name ? `${l.name}_${x.name}` : x.name;
      taken.add(n);
      rename.set(x.name, n);
    }
    // The inner model's inputs are what the outer model feeds it.
    const fed = new Map<string, TensorRef>();
    inner.inputs.forEach((r, i) => {
      const outer = l.inputs[i];
      if (outer) fed.set(r.layer, outer);
    });
    const map = (r: TensorRef): TensorRef => fed.get(r.layer) ?? { ...r, layer: rename.get(r.layer) ?? r.layer };
    for (const x of inner.layers) {
      if (fed.has(x.name)) continue;
      const config = l.config.trainable === false ? { ...x.config, trainable: false } : x.config;
      layers.push({ ...x, name: rename.get(x.name)!, config, inputs: x.inputs.map(map) });
    }
    outputsOf.set(l.name, inner.outputs.map(map));
  }
  const resolve = (r: TensorRef): TensorRef => {
    const outs = outputsOf.get(r.layer);
    return outs ? (outs[r.tensor] ?? r) : r;
  };
  return {
    layers: layers.map((l) => ({ ...l, inputs: l.inputs.map(resolve) })),
    inputs: body.inputs,
    outputs: body.outputs.map(resolve),
  };
}
