/**
 * Compile strata's SIMD kernels (src/backend/simd/kernels.wat) into the
 * modules src/backend/simd/kernels.ts loads: importing a shared memory (the
 * wasm backend's threaded build) or a plain memory (its single-threaded
 * build), each with relaxed SIMD's fused multiply-add and without it. Run by
 * `npm run build`; the output lives only in dist/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { SIMD_MODULES, unfused } from '../src/backend/simd/kernels.js';

const source = readFileSync(new URL('../../src/backend/simd/kernels.wat', import.meta.url), 'utf8');
const wabt = await wabtInit();
const outDir = new URL('../src/backend/simd/', import.meta.url);
mkdirSync(outDir, { recursive: true });
for (const { file, memory, fused } of SIMD_MODULES) {
  const withMemory = source.replace('(import "env" "memory" MEMORY)', `(import "env" "memory" ${memory})`);
  const text = fused ? withMemory : unfused(withMemory);
  if (!fused && /\(\w+\.relaxed_/.test(text)) throw new Error('kernels.wat: a relaxed SIMD instruction unfused() does not rewrite');
  const features = { simd: true, threads: true, bulk_memory: true, relaxed_simd: fused };
  const module = wabt.parseWat('kernels.wat', text, features);
  // wabt's validate takes the features too (its type declaration omits the argument), else it refuses shared memory.
  (module as unknown as { validate(f: typeof features): void }).validate(features);
  writeFileSync(new URL(file, outDir), module.toBinary({}).buffer);
  module.destroy();
}
