/**
 * A child process for test/backend/tfjs-version.test.ts: load strata's engine on
 * the wasm backend (STRATA_TEST_TFJS_VERSION, if set, stands in for the
 * TensorFlow.js version), take the gradients of a small network that runs
 * kernels strata replaces or supplies on wasm (convolutions and their
 * gradients, max pooling's, transposed products, a bias sum, a gather and its
 * segment sum), then the same on the cpu backend, and print on stdout one JSON
 * object: the engine, which wasm kernels strata installed, which differ from
 * the ones @tensorflow/tfjs-backend-wasm registered itself, the kernels the
 * computation ran, and both backends' results.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { loadEngine } from '../../src/backend/select.js';
import { portableWasmKernels } from '../../src/backend/portable-kernels.js';
import { installedWasmKernels } from '../../src/backend/wasm-kernels/register.js';

// Importing the wasm package registered its own kernels: remember them before strata's engine loads.
const stock = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));

const engine = await loadEngine('wasm');
// Asking again must neither reload nor repeat the notice.
await loadEngine('wasm');

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5);
const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
const make = (shape: number[], seed: number) => tf.tensor(values(size(shape), seed), shape);

/** The loss and its gradients for the input and every weight. */
function step(): { loss: number; grads: number[][] } {
  return tf.tidy(() => {
    const x = make([2, 8, 8, 2], 1);
    const w1 = make([3, 3, 2, 4], 2);
    const w2 = make([3, 3, 4, 3], 3);
    const wd = make([12, 5], 4);
    const b = make([5], 5);
    const table = make([10, 5], 6);
    const ids = tf.tensor2d([[1, 4, 4], [9, 0, 1]], [2, 3], 'int32');
    const target = make([2, 5], 7);
    const f = (...xs: tf.Tensor[]) => {
      const [xi, k1, k2, d, bias, emb] = xs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
      const h1 = tf.maxPool(tf.relu(tf.conv2d(xi, k1, 1, 'same')), 2, 2, 'valid');
      const h2 = tf.relu(tf.conv2d(h1, k2, 1, 'valid'));
      const dense = tf.add(tf.matMul(tf.reshape(h2, [2, 12]), d), bias);
      const out = tf.add(dense, tf.sum(tf.gather(emb, ids), 1));
      return tf.mean(tf.square(tf.sub(out, target)));
    };
    const inputs = [x, w1, w2, wd, b, table];
    const loss = f(...inputs);
    const grads = tf.grads(f)(inputs);
    return { loss: loss.dataSync()[0]!, grads: grads.map((g) => Array.from(g.dataSync())) };
  });
}

const profile = await tf.profile(() => {
  step();
});
const wasm = step();
await tf.setBackend('cpu');
const cpu = step();

const now = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
process.stdout.write(
  `${JSON.stringify({
    backend: engine.backend,
    threads: engine.threads,
    installed: installedWasmKernels(),
    portable: portableWasmKernels(),
    replaced: [...stock].filter(([name, f]) => now.get(name) !== f).map(([name]) => name).sort(),
    added: [...now.keys()].filter((name) => !stock.has(name)).sort(),
    ran: [...new Set(profile.kernelNames)].sort(),
    wasm,
    cpu,
  })}\n`,
);
