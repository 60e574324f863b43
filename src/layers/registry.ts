/**
 * The layer registry: one entry per layer type, holding everything about it —
 * its parameters (which become the spec schema and the docs), its Keras class
 * name, its shape rule (used to check a spec before anything is built) and its
 * builder. Lists of layer types anywhere in strata are derived from here.
 */
import type { Layer, SymbolicTensor, TfCore, TfLayers } from '../tf-types.js';
import type { Param } from '../document/json-schema.js';
import type { Shape } from './shape.js';

/** A layer's keys from the spec, with defaults filled in. */
export type LayerParams = Readonly<Record<string, unknown>>;

export interface BuildContext {
  tf: TfLayers;
  core: TfCore;
  /** The layer's unique name in the model. */
  name: string;
  /** An initializer for a spec value (name or mapping), seeded from the spec's seed. */
  initializer(value: unknown, slot: string): ReturnType<TfLayers['initializers']['zeros']>;
  regularizer(value: unknown): ReturnType<TfLayers['regularizers']['l1l2']> | undefined;
  /** Build a layer nested inside this one (the `layer:` of a wrapper). */
  nested(spec: LayerParams & { type: string }, slot: string): Layer;
  /** Apply a nested layer spec (one of a block's `layers:`) to symbolic inputs; works for built and expanded types alike. */
  applyNested(spec: LayerParams & { type: string }, slot: string, inputs: SymbolicTensor[]): SymbolicTensor;
}

export type Category = 'core' | 'activation' | 'convolution' | 'pooling' | 'normalization' | 'embedding' | 'attention' | 'recurrent' | 'merge' | 'block';

export interface LayerExample {
  /** Input shapes (without batch) the example is checked with. */
  inputs: Shape[];
  /** The layer's keys in a spec, `type` excluded. */
  params: Record<string, unknown>;
  /** The parameter count Keras gives the same layer on these inputs (checked by the tests). */
  kerasParams: number;
}

/** A Keras layer's `config`, as read from JSON. */
export type KerasConfig = Readonly<Record<string, unknown>>;

/** Something a conversion could not carry over: which field, and why. */
export interface LossyField {
  field: string;
  why: string;
}

export interface FromKerasResult {
  /** The layer's spec keys (`type`, `name` and `inputs` are added by the converter). */
  params: Record<string, unknown>;
  lossy: LossyField[];
}

export interface FromKerasContext {
  /** The shapes of the layer's inputs (without the batch dimension). */
  inputShapes: readonly Shape[];
  /** The generic mapping, for entries that only adjust it. */
  generic(config: KerasConfig): FromKerasResult;
  /**
   * Convert a nested Keras layer (`{class_name, config}`), such as the layer a wrapper holds;
   * `inputShapes` are the shapes it sees, when not the wrapper's own (time_distributed's inner layer sees one step).
   */
  nested(layer: unknown, inputShapes?: readonly Shape[]): { spec: Record<string, unknown>; lossy: LossyField[] };
}

export interface LayerDef<P extends LayerParams = LayerParams> {
  type: string;
  /** The Keras class this layer corresponds to. */
  keras: string;
  category: Category;
  description: string;
  /** The layer's own keys (the common ones — type, name, inputs, repeat, trainable — are added by the schema). */
  params: Record<string, Param>;
  /** How many inputs it takes: an input layer none, a merge two or more; `one_or_two` (attention) one, or two through `inputs:`. */
  arity: 'none' | 'one' | 'many' | 'one_or_two';
  /**
   * The output shape for the given input shapes; throws `ShapeProblem` when they
   * do not fit. `registry` is the registry the spec is checked against, for
   * layers made of other layers.
   */
  outputShape(inputs: readonly Shape[], p: P, registry: LayerRegistry): Shape;
  /** Build the TensorFlow.js layer. Input layers build their symbolic input instead (see `input`). */
  build(p: P, ctx: BuildContext): Layer;
  /**
   * For blocks made of other layers (residual, dense_block): apply them to the
   * symbolic inputs directly, instead of `build`, so the model holds the inner
   * layers themselves (named after the block) and saves them as usual.
   */
  expand?(p: P, ctx: BuildContext, inputs: SymbolicTensor[]): SymbolicTensor;
  /**
   * The number of values in each of its weight tensors, for the inputs' shapes:
   * checked before anything is built, so a layer too large to allocate is refused
   * at its line. Given by the layer types whose weights grow with their keys;
   * the tests check it against `example.kerasParams`.
   */
  weights?(inputs: readonly Shape[], p: P): number[];
  /** For the input layer: the model input it creates. */
  input?(p: P, ctx: BuildContext): SymbolicTensor;
  /** A small spec using the layer, for the docs and the table-driven tests. */
  example: LayerExample;
  /** Further examples, for settings that change the layer's weights (gru's `reset_after`): the table-driven tests check them as they check `example`. */
  variants?: LayerExample[];
  /**
   * A key whose value is a nested layer spec (a list of them when `list`), and
   * the types allowed there: listed; `one-input` for every type of the registry
   * in use that takes one input; `single-layer` for those of them that build
   * one TensorFlow.js layer (no block, no wrapper) (`LayerRegistry.nestedTypes`).
   */
  nested?: { key: string; types: readonly string[] | 'one-input' | 'single-layer'; list?: boolean };
  /**
   * Keras config → this layer's spec keys, for types the generic mapping in
   * keras.ts (spec keys read from the config by name) does not fit. Optional.
   */
  fromKeras?(config: KerasConfig, ctx: FromKerasContext): FromKerasResult | null;
  /**
   * Other class names this layer is saved under, such as a custom class
   * registered as `strata>Name`. When several entries share a class, each
   * one's `fromKeras` returns null for configs that are not its own.
   */
  kerasClasses?: readonly string[];
}

/** Type-checks a definition against its own parameter type, then stores it untyped. */
export function defineLayer<P extends LayerParams>(def: LayerDef<P>): LayerDef {
  return def as unknown as LayerDef;
}

export class LayerRegistry implements Iterable<LayerDef> {
  private readonly byType = new Map<string, LayerDef>();

  constructor(defs: Iterable<LayerDef>) {
    for (const def of defs) {
      if (this.byType.has(def.type)) throw new Error(`layer type '${def.type}' is registered twice`);
      this.byType.set(def.type, def);
    }
  }

  get(type: string): LayerDef | undefined {
    return this.byType.get(type);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }

  /** The types allowed inside `def`'s nested key, in this registry. */
  nestedTypes(def: LayerDef): readonly string[] {
    const types = def.nested?.types ?? [];
    if (types !== 'one-input' && types !== 'single-layer') return types;
    return this.types().filter((t) => {
      const d = this.byType.get(t)!;
      return d.arity === 'one' && (types === 'one-input' || (!d.expand && !d.nested));
    });
  }

  [Symbol.iterator](): Iterator<LayerDef> {
    return this.byType.values();
  }
}
