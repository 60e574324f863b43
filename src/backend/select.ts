/**
 * Loading TensorFlow.js and picking its backend, best first: `tensorflow`
 * (native, from the optional @tensorflow/tfjs-node), `wasm`, then `cpu`.
 * Only commands that compute import this module, so `strata validate` and
 * `--help` never pay for loading TensorFlow.js.
 */
import type * as TfCoreModule from '@tensorflow/tfjs-core';
import type * as TfLayersModule from '@tensorflow/tfjs-layers';
import { UsageError } from '../errors.js';

import { installChainedOps } from './chained-ops.js';
import { BACKENDS } from './names.js';
import { registerWasmKernels } from './wasm-kernels/register.js';
import type { BackendName } from './names.js';

export { BACKENDS };
export type { BackendName };

export type TfCore = typeof TfCoreModule;
export type TfLayers = typeof TfLayersModule;

export interface Engine {
  tf: TfCore;
  tfl: TfLayers;
  backend: BackendName;
}

/** Why each backend that was tried could not be used. */
const failures = new Map<BackendName, string>();

async function tryBackend(tf: TfCore, name: BackendName): Promise<boolean> {
  try {
    if (name === 'tensorflow') await import('@tensorflow/tfjs-node' as string);
    else if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    else await import('@tensorflow/tfjs-backend-cpu');
    if (!tf.findBackendFactory(name)) throw new Error(`the package loaded but did not register the '${name}' backend`);
    if (!(await tf.setBackend(name))) throw new Error('it failed to initialize');
    // The wasm backend lacks some gradients and has a slow transposed product: strata supplies them.
    if (name === 'wasm') registerWasmKernels(tf);
    return true;
  } catch (e) {
    const message = (e as Error).message.split('\n')[0] ?? '';
    failures.set(name, name === 'tensorflow' && /Cannot find (module|package)/.test(message) ? '@tensorflow/tfjs-node is not installed' : message);
    return false;
  }
}

let engine: Promise<Engine> | undefined;

/** Load TensorFlow.js once, on the requested backend or the best one that works. */
export function loadEngine(requested?: string): Promise<Engine> {
  engine ??= load(requested);
  return engine;
}

async function load(requested?: string): Promise<Engine> {
  if (requested !== undefined && !(BACKENDS as readonly string[]).includes(requested)) {
    throw new UsageError({ arg: `--backend ${requested}`, code: 'bad-backend', message: `unknown backend '${requested}'; choose one of ${BACKENDS.join(', ')}` });
  }
  const tf: TfCore = await import('@tensorflow/tfjs-core');
  const tfl: TfLayers = await import('@tensorflow/tfjs-layers');
  // Production mode: no debug checks, and no console advice to install tfjs-node (strata names its backend itself).
  tf.env().set('PROD', true);
  installChainedOps(tf);
  if (requested !== undefined) {
    if (await tryBackend(tf, requested as BackendName)) return { tf, tfl, backend: requested as BackendName };
    throw new UsageError({
      arg: `--backend ${requested}`,
      code: 'backend-unavailable',
      message: `the ${requested} backend cannot be used here: ${failures.get(requested as BackendName)}; choose another with --backend (${BACKENDS.filter((b) => b !== requested).join(', ')})`,
    });
  }
  for (const name of BACKENDS) {
    if (await tryBackend(tf, name)) return { tf, tfl, backend: name };
  }
  throw new Error(`no TensorFlow.js backend could be loaded: ${[...failures].map(([n, why]) => `${n}: ${why}`).join('; ')}`);
}
