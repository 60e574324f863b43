/**
 * wasm's own MaxPoolGrad against strata's JavaScript loop (src/backend/wasm-kernels/max-pool-grad.ts,
 * what runs with STRATA_SIMD=0) and its SIMD loop (src/backend/simd/kernels.wat)
 * at the cnn benchmark's and mnist-cnn's pooling sizes (2×2, stride 2, after a relu):
 * ms per call through runKernel, including reading the result back (about 1.7 ms of
 * the 64×26×26×16 figure is that read, which training does not do).
 * Run: npm run build && node dist/bench/maxpool-grad.js
 */
import type { KernelFunc, Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../src/backend/wasm-kernels/register.js';
import { medianMs } from './timing.js';

const time = (f: () => Tensor, budgetMs = 300): number => medianMs(f, budgetMs);

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  tf.env().set('PROD', true);
  const stock = tf.getKernel('MaxPoolGrad', 'wasm')!.kernelFunc;
  const simdSetting = process.env.STRATA_SIMD;
  process.env.STRATA_SIMD = '0';
  registerWasmKernels(tf);
  const loop = tf.getKernel('MaxPoolGrad', 'wasm')!.kernelFunc;
  if (simdSetting === undefined) delete process.env.STRATA_SIMD;
  else process.env.STRATA_SIMD = simdSetting;
  registerWasmKernels(tf);
  const simd = tf.getKernel('MaxPoolGrad', 'wasm')!.kernelFunc;
  const use = (kernelFunc: KernelFunc) => {
    tf.unregisterKernel('MaxPoolGrad', 'wasm');
    tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc });
  };
  console.log('input (NHWC)       pool   wasm ms   JS loop ms   SIMD ms   wasm/SIMD');
  for (const shape of [[64, 26, 26, 16], [64, 11, 11, 32], [128, 26, 26, 32], [128, 11, 11, 64]] as [number, number, number, number][]) {
    const x = tf.relu(tf.randomNormal(shape, 0, 1, 'float32', 1));
    const y = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 2);
    const grad = () => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as Tensor;
    const [a, b, c] = [stock, loop, simd].map((k) => {
      use(k);
      return time(grad);
    }) as [number, number, number];
    console.log(`${shape.join('×').padEnd(18)} 2×2/2 ${a.toFixed(3).padStart(9)} ${b.toFixed(3).padStart(12)} ${c.toFixed(3).padStart(9)} ${(a / c).toFixed(2).padStart(11)}`);
    tf.dispose([x, y, dy]);
  }
}

await main();
