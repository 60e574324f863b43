/**
 * Spec → tf.LayersModel: each layer's registry builder, applied in graph
 * order to the symbolic outputs of its inputs. The spec has already passed
 * both validation phases, so a failure here is a bug in strata.
 */
import type { Engine } from '../backend/select.js';
import { layerRegistry } from '../layers/catalog.js';
import { registerStrataLayers } from '../layers/custom/register.js';
import { makeInitializer } from '../layers/initializers.js';
import type { Layer, LayersModel, SymbolicTensor } from '../tf-types.js';
import type { BuildContext, LayerParams, LayerRegistry } from '../layers/registry.js';
import type { ResolvedLayer, Spec } from '../spec/types.js';
import { UsageError } from '../errors.js';
import { grouped, limitOf, LIMITS } from '../document/limits.js';
import { placeIn } from '../spec/place.js';

/** A 31-bit seed for one weight of one layer, derived from the spec's seed (FNV-1a). */
export function weightSeed(seed: number | undefined, layer: string, slot: string): number | undefined {
  if (seed === undefined) return undefined;
  let h = 0x811c9dc5;
  for (const ch of `${seed}/${layer}/${slot}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 1;
}

function context(engine: Engine, registry: LayerRegistry, name: string, seed: number | undefined): BuildContext {
  const { tf, tfl } = engine;
  return {
    tf: tfl,
    core: tf,
    name,
    initializer: (value, slot) => makeInitializer(tfl, tf, value, weightSeed(seed, name, slot)),
    regularizer: (value) => {
      if (value === undefined) return undefined;
      const { l1 = 0, l2 = 0 } = value as { l1?: number; l2?: number };
      return tfl.regularizers.l1l2({ l1, l2 });
    },
    nested: (spec: LayerParams & { type: string }, slot: string) => {
      const childName = `${name}_${slot}`;
      return registry.get(spec.type)!.build(spec, context(engine, registry, childName, seed));
    },
    applyNested: (spec: LayerParams & { type: string }, slot: string, inputs: SymbolicTensor[]) => applyLayer(engine, registry, spec, `${name}_${slot}`, seed, inputs),
  };
}

/** Build one layer (or expand a block) and apply it to its symbolic inputs. */
function applyLayer(engine: Engine, registry: LayerRegistry, params: LayerParams, name: string, seed: number | undefined, inputs: SymbolicTensor[], trainable = true): SymbolicTensor {
  const def = registry.get(String(params.type ?? ''))!;
  const ctx = context(engine, registry, name, seed);
  if (def.expand) return def.expand(params, ctx, inputs);
  const layer = def.build(params, ctx);
  layer.trainable = trainable;
  return layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as SymbolicTensor;
}

export interface BuiltModel {
  model: LayersModel;
  /** The spec layer behind each TensorFlow.js layer name. */
  layers: Map<string, ResolvedLayer>;
}

/** The layers that lie between `inputs` and `output` (for a block: the layers its expansion created). */
function layersBetween(inputs: readonly SymbolicTensor[], output: SymbolicTensor): Set<Layer> {
  const found = new Set<Layer>();
  const stop = new Set(inputs.map((t) => t.id));
  const seen = new Set<number>();
  const visit = (t: SymbolicTensor) => {
    if (stop.has(t.id) || seen.has(t.id)) return;
    seen.add(t.id);
    const layer = t.sourceLayer as Layer;
    found.add(layer);
    for (const inbound of layer.inboundNodes[t.nodeIndex]?.inputTensors ?? []) visit(inbound);
  };
  visit(output);
  return found;
}

export function buildModel(spec: Spec, engine: Engine, registry: LayerRegistry = layerRegistry): BuiltModel {
  registerStrataLayers(engine);
  const tensors = new Map<string, SymbolicTensor>();
  const layers = new Map<string, ResolvedLayer>();
  for (const node of spec.model.layers) {
    const def = registry.get(node.type)!;
    const ctx = context(engine, registry, node.name, spec.seed);
    layers.set(node.name, node);
    if (def.input) {
      tensors.set(node.name, def.input(node.params, ctx));
      continue;
    }
    const inputs = node.inputs.map((n) => tensors.get(n)!);
    let output: SymbolicTensor;
    try {
      output = applyLayer(engine, registry, { ...node.params, type: node.type }, node.name, spec.seed, inputs, node.trainable);
    } catch (e) {
      // Weights JavaScript cannot allocate, in a layer type whose weights the spec checks do not count ahead.
      if (!(e instanceof RangeError) || !/invalid typed array length|array buffer allocation failed/i.test(e.message)) throw e;
      const place = placeIn(spec, node.path);
      throw new UsageError({ ...place, code: 'too-large', message: `layer '${node.name}' (${node.type}) cannot be built: its weights are more than memory can hold (${e.message}); make it smaller` });
    }
    // A frozen block freezes exactly the layers its expansion created.
    if (def.expand && !node.trainable) for (const l of layersBetween(inputs, output)) l.trainable = false;
    tensors.set(node.name, output);
  }
  let model: LayersModel;
  try {
    model = engine.tfl.model({
      name: spec.name,
      inputs: spec.model.inputs.map((n) => tensors.get(n)!),
      outputs: spec.model.outputs.map((n) => tensors.get(n)!),
    });
  } catch (e) {
    // TensorFlow.js walks the graph recursively; only a model past the default layer limit gets here.
    if (!(e instanceof RangeError) || !/call stack/i.test(e.message)) throw e;
    const place = placeIn(spec, ['model', 'layers']);
    throw new UsageError({
      ...place,
      code: 'too-many-layers',
      message: `TensorFlow.js runs out of stack building a model of ${grouped(spec.model.layers.length)} layers (it walks the graph recursively); keep ${LIMITS.layers.env} below about 4000 (it is ${limitOf(LIMITS.layers)}), or use fewer layers`,
    });
  }
  return { model, layers };
}
