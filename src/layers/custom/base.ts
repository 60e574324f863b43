/**
 * The base of strata's own TensorFlow.js layers (the ones TensorFlow.js lacks).
 * Each custom layer keeps its strata spec keys (`p`) and saves them in its
 * config hex-encoded as JSON, because TensorFlow.js rewrites the case of every
 * key and string value in a saved config (snake_case on save, camelCase on
 * load), which would mangle values such as `glorot_uniform`. Weights are made
 * with `addWeight`, so they count, train and save like any built-in layer's.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Layer, TfCore, TfLayers } from '../../tf-types.js';
import type { LayerParams } from '../registry.js';
import { perCopy } from './env.js';
import type { Env } from './env.js';

/** The two TensorFlow.js modules custom layers are defined against. */
export type Init = ReturnType<TfLayers['initializers']['zeros']>;
export type Reg = ReturnType<TfLayers['regularizers']['l1l2']>;

/** Constructor arguments: from strata's builder (params, seeded initializers) or from a saved config (`strata` hex). */
export interface StrataLayerArgs {
  name?: string;
  trainable?: boolean;
  /** The layer's spec keys, or their saved hex-encoded JSON. */
  strata?: string | LayerParams;
  /** Initializers by weight slot; absent when reloading (saved weights replace the zeros). */
  inits?: Record<string, Init>;
  regs?: Record<string, Reg | undefined>;
}

export interface StrataLayer extends Layer {
  readonly p: LayerParams;
  /** Create a trainable weight whose initializer and regularizer come from `slot`. */
  weight(name: string, shape: number[], slot: string): LayerVariable;
}

export type StrataBaseCtor = abstract new (args: StrataLayerArgs) => StrataLayer;

/** A class TensorFlow.js can register and rebuild from a saved config. */
export interface LayerClass {
  new (args: StrataLayerArgs): Layer;
  className: string;
}

// Hex through TextEncoder/TextDecoder rather than Node's Buffer: these classes also load in a browser (src/browser.ts).
export function encodeParams(p: LayerParams): string {
  let hex = '';
  for (const b of new TextEncoder().encode(JSON.stringify(p))) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export function decodeParams(hex: string): LayerParams {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return JSON.parse(new TextDecoder().decode(bytes)) as LayerParams;
}

/** The base class of strata's own layers, one per TensorFlow.js copy (so all of a copy's custom layers share it). */
export const strataBase: (env: Env) => StrataBaseCtor = perCopy((env) => {
  const { tfl } = env;
  abstract class Base extends tfl.layers.Layer {
    readonly p: LayerParams;
    readonly inits: Record<string, Init>;
    readonly regs: Record<string, Reg | undefined>;
    constructor(args: StrataLayerArgs) {
      super({ name: args.name, trainable: args.trainable });
      this.p = typeof args.strata === 'string' ? decodeParams(args.strata) : (args.strata ?? {});
      this.inits = args.inits ?? {};
      this.regs = args.regs ?? {};
    }
    weight(name: string, shape: number[], slot: string): LayerVariable {
      return this.addWeight(name, shape, 'float32', this.inits[slot] ?? tfl.initializers.zeros(), this.regs[slot], true);
    }
    override getConfig() {
      return { ...super.getConfig(), strata: encodeParams(this.p) };
    }
  }
  return Base;
});

/** The one tensor of a call's inputs (layers with one input get it alone or in a list of one). */
export function single(inputs: Tensor | Tensor[]): Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

/** Shapes as TensorFlow.js passes them to computeOutputShape: one shape or a list of shapes. */
export type TfShape = (number | null)[];
export function shapes(s: TfShape | TfShape[]): TfShape[] {
  return Array.isArray(s[0]) || s.length === 0 ? (s as TfShape[]) : [s as TfShape];
}
