/**
 * Defining strata's TensorFlow.js classes, each beside its code, as
 * tfjs-layers defines and registers its own (`serialization.registerClass(X)`
 * right after the class): `customLayer('strata>Name', (env) => class … )`.
 * The name is written there once; registry entries build the layer through the
 * handle (`buildCustom(ctx, Handle, …)`), and `register.ts` collects the
 * handles from the modules' exports.
 *
 * The classes extend classes of the loaded TensorFlow.js modules, which strata
 * does not import at start-up (`strata validate` never loads them), and a
 * process can hold more than one copy of them (each with its own serialization
 * map). So a handle makes its class for a given copy when first asked,
 * registers it with that copy's serialization map, and keeps it for that copy.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerClass } from './base.js';
import { perCopy } from './env.js';
import type { Env } from './env.js';
import type { Layer } from '../../tf-types.js';

/** Something `tf.serialization.registerClass` takes: a class with a static `className`. */
export interface Registrable {
  new (...args: never[]): object;
  className: string;
}

export type ClassKind = 'custom layer' | 'fixed built-in' | 'activation';

/** One of strata's TensorFlow.js classes: its registered name, and the class itself per TensorFlow.js copy. */
export interface StrataClass<C extends Registrable = Registrable, K extends ClassKind = ClassKind> {
  readonly className: string;
  readonly kind: K;
  /** The class made against `env`'s TensorFlow.js modules, registered with `env.tf`'s serialization map (once per copy). */
  of(env: Env): C;
}

/** A class of strata's that subclasses a TensorFlow.js layer, taking the built-in's constructor arguments. */
export interface FixedBuiltInClass {
  new (args: object): Layer;
  className: string;
}

/** An activation function object, as TensorFlow.js's own (`apply`). */
export interface ActivationClass {
  new (): { apply(x: Tensor): Tensor };
  className: string;
}

export type CustomLayer = StrataClass<LayerClass, 'custom layer'>;
export type FixedBuiltIn = StrataClass<FixedBuiltInClass, 'fixed built-in'>;
export type CustomActivation = StrataClass<ActivationClass, 'activation'>;

const handles = new WeakSet<object>();

/** Whether `x` is a handle made by this module (how `register.ts` finds them among a module's exports). */
export function isStrataClass(x: unknown): x is StrataClass {
  return typeof x === 'object' && x !== null && handles.has(x);
}

type Ctor = abstract new (...args: never[]) => object;

function defineClass<C extends Registrable, K extends ClassKind>(className: string, kind: K, make: (env: Env) => Ctor, check?: (cls: Ctor) => void): StrataClass<C, K> {
  if (className === '') throw new Error('a strata class needs a class name');
  const handle: StrataClass<C, K> = {
    className,
    kind,
    of: perCopy((env) => {
      const cls = make(env);
      const own = Object.getOwnPropertyDescriptor(cls, 'className');
      if (own && own.value !== className) throw new Error(`class ${cls.name} declares className '${String(own.value)}' but is defined as '${className}'`);
      check?.(cls);
      // The name is given here, not in the class: it is what TensorFlow.js saves and looks up.
      Object.defineProperty(cls, 'className', { value: className, writable: true, enumerable: true, configurable: true });
      env.tf.serialization.registerClass(cls as unknown as Parameters<Env['tf']['serialization']['registerClass']>[0]);
      return cls as unknown as C;
    }),
  };
  handles.add(handle);
  return Object.freeze(handle);
}

/**
 * One of strata's own layers (a subclass of `strataBase(env)`), saved under
 * `className`, which must survive TensorFlow.js's case rewriting of saved
 * configs (`strata>MultiHeadAttention`).
 */
export function customLayer(className: string, make: (env: Env) => abstract new (args: never) => Layer): CustomLayer {
  return defineClass<LayerClass, 'custom layer'>(className, 'custom layer', make);
}

/** A built-in layer's class, from a throwaway instance of it (tfjs-layers does not export the classes by name). */
export const classOf = (layer: Layer): new (args: object) => Layer => layer.constructor as new (args: object) => Layer;

/**
 * A subclass of a TensorFlow.js layer that fixes or speeds it up, registered in
 * the built-in's place under the built-in's own class name (checked), so that
 * saved models stay plain Keras.
 */
export function fixedBuiltIn(className: string, make: (env: Env) => abstract new (args: never) => Layer): FixedBuiltIn {
  return defineClass<FixedBuiltInClass, 'fixed built-in'>(className, 'fixed built-in', make, (cls) => {
    const parent = (Object.getPrototypeOf(cls) as Partial<Registrable>).className;
    if (parent !== className) throw new Error(`${className}: a fixed built-in must subclass TensorFlow.js's ${className}, not ${parent ?? 'a class without a className'}`);
  });
}

/**
 * A subclass of a TensorFlow.js layer that computes what the built-in refuses (a GRU
 * with `reset_after`), saved under a strata class name (`strata>GRU`) so that
 * TensorFlow.js without strata's classes refuses it by that name. Built, as a fixed
 * built-in, with the built-in's arguments (`buildFixedBuiltIn`); for registration it
 * is one of strata's own classes.
 */
export function extendedBuiltIn(className: string, make: (env: Env) => abstract new (args: never) => Layer): StrataClass<FixedBuiltInClass, 'custom layer'> {
  return defineClass<FixedBuiltInClass, 'custom layer'>(className, 'custom layer', make);
}

/** An activation TensorFlow.js lacks, named in layers' `activation:` by `className` (lowercase, no underscores: `strata.leakyrelu`). */
export function customActivation(className: string, make: (env: Env) => abstract new () => object): CustomActivation {
  return defineClass<ActivationClass, 'activation'>(className, 'activation', make);
}
