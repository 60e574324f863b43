/**
 * Loading TensorFlow.js and picking its backend, best first: `tensorflow`
 * (native, from the optional @tensorflow/tfjs-node), `wasm`, then `cpu`.
 * Only commands that compute import this module, so `strata validate` and
 * `--help` never pay for loading TensorFlow.js. On wasm, strata's own kernels
 * and its start of the threaded build are used only on the TensorFlow.js
 * release they were written for (tfjs-version.ts); on another, TensorFlow.js's
 * own kernels run (with portable-kernels.ts for the gradients the backend
 * lacks) and one notice on stderr says so.
 */
import { UsageError } from '../errors.js';
import type { TfCore, TfLayers } from '../tf-types.js';

import { installChainedOps } from './chained-ops.js';
import { installGradients } from './gradients.js';
import { BACKENDS } from './names.js';
import { registerPortableKernels } from './portable-kernels.js';
import { effectiveVersions, kernelsOffNotice, kernelsSupported } from './tfjs-version.js';
import { registerWasmKernels } from './wasm-kernels/register.js';
import { prepareWasmThreads, singleThreaded, wantedThreads } from './wasm-threads.js';
import type { BackendName } from './names.js';

export { BACKENDS };
export type { BackendName };


export interface Engine {
  tf: TfCore;
  tfl: TfLayers;
  backend: BackendName;
  /** The threads the backend computes on (wasm: its XNNPACK pool; others: 1, or their own choice). */
  threads: number;
}

/** Why each backend that was tried could not be used. */
const failures = new Map<BackendName, string>();

/**
 * The wasm backend on `threads` threads; if the threaded build will not start, the single-threaded one.
 * With `ownStart` false (another TensorFlow.js release than wasm-threads.ts was written for), the
 * backend starts as TensorFlow.js starts it by itself, on the threads it chooses.
 */
async function startWasm(tf: TfCore, wasm: WasmPackage, threads: number, ownStart: boolean): Promise<number> {
  if (ownStart && threads > 1 && typeof SharedArrayBuffer === 'function') {
    const start = prepareWasmThreads(tf.env(), wasm.setThreadsCount, threads);
    let ok = false;
    try {
      ok = await tf.setBackend('wasm');
    } catch {
      ok = false;
    } finally {
      start.finish();
    }
    if (ok) return wasm.getThreadsCount();
    singleThreaded(tf.env());
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('it failed to initialize');
  return wasm.getThreadsCount();
}

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

/** Whether this process has printed the notice that strata's wasm kernels are off. */
let noticed = false;

async function tryBackend(tf: TfCore, name: BackendName, threads: number): Promise<number | undefined> {
  try {
    if (name === 'wasm') {
      const wasm: WasmPackage = await import('@tensorflow/tfjs-backend-wasm');
      const versions = effectiveVersions({ core: tf.version_core, wasm: wasm.version_wasm });
      const supported = kernelsSupported(versions);
      threads = await startWasm(tf, wasm, threads, supported);
      if (supported) {
        // The wasm backend lacks some gradients and has a slow transposed product: strata supplies them.
        registerWasmKernels(tf);
      } else {
        // strata's kernels use the backend's internals, which another release may have changed:
        // TensorFlow.js's own kernels, and for the gradients the backend lacks, a fallback without internals.
        registerPortableKernels(tf);
        if (!noticed) process.stderr.write(`${kernelsOffNotice(versions)}\n`);
        noticed = true;
      }
      return threads;
    }
    if (name === 'tensorflow') await import('@tensorflow/tfjs-node' as string);
    else await import('@tensorflow/tfjs-backend-cpu');
    if (!tf.findBackendFactory(name)) throw new Error(`the package loaded but did not register the '${name}' backend`);
    if (!(await tf.setBackend(name))) throw new Error('it failed to initialize');
    return 1;
  } catch (e) {
    const message = (e as Error).message.split('\n')[0] ?? '';
    failures.set(name, name === 'tensorflow' && /Cannot find (module|package)/.test(message) ? '@tensorflow/tfjs-node is not installed' : message);
    return undefined;
  }
}

let engine: Promise<Engine> | undefined;

/** Load TensorFlow.js once, on the requested backend or the best one that works (`threads`: the wasm pool the caller prefers, which STRATA_THREADS overrides). */
export function loadEngine(requested?: string, o: { threads?: number } = {}): Promise<Engine> {
  engine ??= load(requested, o.threads);
  return engine;
}

async function load(requested?: string, preferredThreads?: number): Promise<Engine> {
  if (requested !== undefined && !(BACKENDS as readonly string[]).includes(requested)) {
    throw new UsageError({ arg: `--backend ${requested}`, code: 'bad-backend', message: `unknown backend '${requested}'; choose one of ${BACKENDS.join(', ')}` });
  }
  let threads: number;
  try {
    threads = wantedThreads(process.env, preferredThreads);
  } catch (e) {
    throw new UsageError({ arg: `STRATA_THREADS=${process.env.STRATA_THREADS}`, code: 'bad-threads', message: (e as Error).message });
  }
  const tf: TfCore = await import('@tensorflow/tfjs-core');
  const tfl: TfLayers = await import('@tensorflow/tfjs-layers');
  // Production mode: no debug checks, and no console advice to install tfjs-node (strata names its backend itself).
  tf.env().set('PROD', true);
  installChainedOps(tf);
  installGradients(tf);
  if (requested !== undefined) {
    const got = await tryBackend(tf, requested as BackendName, threads);
    if (got !== undefined) return { tf, tfl, backend: requested as BackendName, threads: got };
    throw new UsageError({
      arg: `--backend ${requested}`,
      code: 'backend-unavailable',
      message: `the ${requested} backend cannot be used here: ${failures.get(requested as BackendName)}; choose another with --backend (${BACKENDS.filter((b) => b !== requested).join(', ')})`,
    });
  }
  for (const name of BACKENDS) {
    const got = await tryBackend(tf, name, threads);
    if (got !== undefined) return { tf, tfl, backend: name, threads: got };
  }
  throw new Error(`no TensorFlow.js backend could be loaded: ${[...failures].map(([n, why]) => `${n}: ${why}`).join('; ')}`);
}
