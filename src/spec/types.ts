/** The typed, normalized spec that the rest of strata works from. */
import type { LayerParams } from '../layers/registry.js';
import type { Shape } from '../layers/shape.js';
import type { SpecPath, SpecSource } from '../document/source.js';

/** One layer after `repeat` is expanded, names assigned and inputs resolved. */
export interface ResolvedLayer {
  /** Its index in `model.layers` (copies made by `repeat` share it). */
  index: number;
  /** Where it is in the spec, for messages. */
  path: SpecPath;
  type: string;
  name: string;
  /** Its own keys with defaults filled in (common keys removed). */
  params: LayerParams;
  trainable: boolean;
  /** Names of the layers it takes, in order (empty for inputs). */
  inputs: string[];
  inputShapes: Shape[];
  outputShape: Shape;
  /** Set for copies made by `repeat`: which copy of how many. */
  copy?: { n: number; of: number };
}

export interface ModelGraph {
  /** In an order where every layer comes after its inputs. */
  layers: ResolvedLayer[];
  inputs: string[];
  outputs: string[];
}

export interface Spec {
  version: number;
  name: string;
  description?: string;
  seed?: number;
  data?: Record<string, unknown>;
  train?: Record<string, unknown>;
  model: ModelGraph;
  /** The spec as written, with `--set` overrides applied. */
  raw: Record<string, unknown>;
  file: string;
  /** The parsed file, for placing later diagnostics (such as data checks) at their line. */
  source?: SpecSource;
}
