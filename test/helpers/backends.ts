/** Helpers for tests that compare TensorFlow.js backends or look at the kernels an op runs. */
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import { loadEngine } from '../../src/backend/select.js';

/**
 * The engine on `backend`. loadEngine loads TensorFlow.js once, on the first backend asked
 * for; the wasm one is loaded (with strata's kernels), and the cpu one is always there.
 */
export async function on(backend: 'cpu' | 'wasm') {
  const engine = await loadEngine('wasm');
  await engine.tf.setBackend(backend);
  assert.equal(engine.tf.getBackend(), backend);
  return engine;
}

/** The kernels `f` runs, by name: tf.profile sees a custom op as one kernel, the engine's runKernel what runs inside it. */
export function kernelsRun(tf: Awaited<ReturnType<typeof loadEngine>>['tf'], f: () => void): Set<string> {
  const engineRun = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const run = engineRun.runKernel;
  const ran = new Set<string>();
  engineRun.runKernel = function (name, ...rest) {
    ran.add(name);
    return run.call(this, name, ...rest);
  };
  try {
    f();
  } finally {
    engineRun.runKernel = run;
  }
  return ran;
}
