/**
 * Compile strata's SIMD kernels (src/backend/simd/kernels.wat) into the two
 * modules src/backend/simd/kernels.ts loads: one importing a shared memory (the
 * wasm backend's threaded build) and one a plain memory (its single-threaded
 * build). Run by `npm run build`; the output lives only in dist/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { SIMD_MODULES } from '../src/backend/simd/kernels.js';

const source = readFileSync(new URL('../../src/backend/simd/kernels.wat', import.meta.url), 'utf8');
const wabt = await wabtInit();
const outDir = new URL('../src/backend/simd/', import.meta.url);
mkdirSync(outDir, { recursive: true });
for (const { file, memory } of SIMD_MODULES) {
  const text = source.replace('(import "env" "memory" MEMORY)', `(import "env" "memory" ${memory})`);
  const features = { simd: true, threads: true, bulk_memory: true };
  const module = wabt.parseWat('kernels.wat', text, features);
  // wabt's validate takes the features too (its type declaration omits the argument), else it refuses shared memory.
  (module as unknown as { validate(f: typeof features): void }).validate(features);
  writeFileSync(new URL(file, outDir), module.toBinary({}).buffer);
  module.destroy();
}
