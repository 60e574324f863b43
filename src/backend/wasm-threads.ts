/**
 * Starting the wasm backend's multithreaded build under Node, so XNNPACK's
 * products and convolutions use every core.
 *
 * TensorFlow.js 4.22 ships the threaded build (tfjs-backend-wasm-threaded-simd)
 * but never starts it under Node, for three reasons this module works around:
 * - its `WASM_HAS_MULTITHREAD_SUPPORT` flag answers false whenever it runs in
 *   Node; strata sets the flag itself where SharedArrayBuffer exists;
 * - Emscripten creates each pthread worker from a blob: URL, which Node's
 *   worker_threads cannot load. The worker script is the package's own
 *   (wasm-out/*.worker.js), so strata starts workers from that text, and points
 *   their `load` message at the package's factory script instead of a Blob;
 * - the build caps its pool at half the logical cores (it assumes two hardware
 *   threads per core), so a 2-core machine got one thread. strata asks for the
 *   cores Node reports, and while the module starts, Emscripten is shown twice
 *   as many so that its halving gives that number back.
 * The pool's threads wait on shared memory, so strata unreferences their
 * workers once the backend is up: they never keep a finished command alive.
 * All three are internals of that release (the worker script's export, its
 * `load` message, the flag), so select.ts uses this module only on 4.22.x
 * (tfjs-version.ts); on any other release the backend starts as TensorFlow.js
 * starts it under Node, and STRATA_THREADS has no effect.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';

/**
 * How many threads the wasm backend uses: STRATA_THREADS if set (1 means the single-threaded
 * build), else `preferred` (what the model is faster on, when the caller knows: train/threads.ts),
 * else every core; at most 8, the build's limit.
 */
export function wantedThreads(env: NodeJS.ProcessEnv = process.env, preferred?: number): number {
  const raw = env.STRATA_THREADS;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`STRATA_THREADS is '${raw}'; give a whole number of threads, 1 or more (1 uses the single-threaded build)`);
    return Math.min(n, 8);
  }
  return Math.max(1, Math.min(preferred ?? os.availableParallelism(), 8));
}

/** The installed tfjs-backend-wasm's worker script (as text) and its threaded factory's file. */
function packageScripts(): { workerCode: string; factoryFile: string } {
  const require = createRequire(import.meta.url);
  const out = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
  const { wasmWorkerContents } = require(join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The text was written for a Blob, where the package first escapes its newlines (they sit inside string literals).
  return { workerCode: wasmWorkerContents.replace(/\n/g, '\\n'), factoryFile: join(out, 'tfjs-backend-wasm-threaded-simd.js') };
}

interface Flags {
  set(name: string, value: unknown): void;
}

/**
 * Prepare the next `tf.setBackend('wasm')` to start the threaded build with
 * `threads` threads. Call `finish()` once that has returned (whether or not it
 * succeeded): it undoes the temporary changes and unreferences the workers.
 */
export function prepareWasmThreads(flags: Flags, setThreadsCount: (n: number) => void, threads: number): { finish(): void } {
  const { workerCode, factoryFile } = packageScripts();
  const workers: NodeWorker[] = [];
  class PthreadWorker extends NodeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      if (typeof url === 'string' && url.startsWith('blob:')) super(workerCode, { ...options, eval: true });
      else super(url, options);
      workers.push(this);
    }
    override postMessage(message: unknown, transfer?: readonly import('node:worker_threads').TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      // The `load` message carries the factory script as a Blob; the worker can read a path.
      if (m && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') message = { ...m, urlOrBlob: factoryFile };
      super.postMessage(message, transfer);
    }
  }
  // Emscripten assigns worker_threads' Worker to the global while it starts, and uses the global for any later
  // pthread; ours stays in its place for the life of the process.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => {} });
  const cpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]!);
  // Nothing else keeps Node's event loop alive while the workers load.
  const alive = setInterval(() => {}, 1000);
  flags.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  return {
    finish() {
      clearInterval(alive);
      os.cpus = cpus;
      for (const w of workers) w.unref();
    },
  };
}

/** Make the next `tf.setBackend('wasm')` start the single-threaded build. */
export function singleThreaded(flags: Flags): void {
  flags.set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}
