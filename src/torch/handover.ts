/**
 * The raw files that carry arrays between strata and the torch engine's Python
 * process (little-endian, as numpy's fromfile reads them): a split's inputs and
 * targets, lists of batches, weights and optimizer slots. Never JSON numbers.
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import { range } from '../data/splits.js';
import type { Dataset, Split } from '../data/types.js';

/** Examples written per chunk when a split is handed over (bounded memory for large splits). */
const CHUNK = 8192;

/** A split's inputs and targets as two raw files; returns their descriptions. */
export function writeSplit(dataset: Dataset, split: Split, dir: string, name: string): Record<string, unknown> {
  const files = { x: join(dir, `${name}-x.bin`), y: join(dir, `${name}-y.bin`) };
  const fx = openSync(files.x, 'w');
  const fy = openSync(files.y, 'w');
  try {
    for (let start = 0; start < split.size; start += CHUNK) {
      const b = split.batch(range(Math.min(CHUNK, split.size - start), start));
      writeSync(fx, new Uint8Array(b.x.buffer, b.x.byteOffset, b.x.byteLength));
      writeSync(fy, new Uint8Array(b.y.buffer, b.y.byteOffset, b.y.byteLength));
    }
  } finally {
    closeSync(fx);
    closeSync(fy);
  }
  return {
    x: { file: files.x, dtype: dataset.inputDtype, shape: [split.size, ...dataset.inputShape] },
    y: { file: files.y, dtype: dataset.targetDtype, shape: [split.size, ...dataset.targetShape] },
  };
}

/** A list of batches as one flat index file and an offsets file (batch b is flat[offsets[b]..offsets[b+1])). */
export function writeBatches(dir: string, name: string, batches: readonly Int32Array[]): { indices_file: string; offsets_file: string } {
  const offsets = new Int32Array(batches.length + 1);
  let total = 0;
  batches.forEach((b, i) => {
    total += b.length;
    offsets[i + 1] = total;
  });
  const flat = new Int32Array(total);
  batches.forEach((b, i) => flat.set(b, offsets[i]!));
  const indices_file = join(dir, `${name}-indices.bin`);
  const offsets_file = join(dir, `${name}-offsets.bin`);
  writeFileSync(indices_file, new Uint8Array(flat.buffer));
  writeFileSync(offsets_file, new Uint8Array(offsets.buffer));
  return { indices_file, offsets_file };
}

export function sizeOf(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((a, b) => a * (b ?? 1), 1);
}

export function floats(t: Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** Concatenate float32 arrays into one file. */
export function writeFloats(file: string, arrays: readonly Float32Array[]): void {
  const fd = openSync(file, 'w');
  try {
    for (const a of arrays) writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  } finally {
    closeSync(fd);
  }
}

export function readFloats(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The training inputs of `batches`, in order, each batch augmented with `random` (the tfjs engine's draws), as one file. */
export function writeAugmented(dataset: Dataset, batches: readonly Int32Array[], random: () => number, file: string): Record<string, unknown> {
  const fd = openSync(file, 'w');
  let rows = 0;
  try {
    for (const indices of batches) {
      const batch = dataset.train.batch(indices);
      dataset.augment!(batch, random);
      writeSync(fd, new Uint8Array(batch.x.buffer, batch.x.byteOffset, batch.x.byteLength));
      rows += batch.size;
    }
  } finally {
    closeSync(fd);
  }
  return { file, dtype: dataset.inputDtype, shape: [rows, ...dataset.inputShape] };
}
