/**
 * The sizes strata refuses before it tries them: a spec file's bytes, how
 * deep its values nest, a model's layers after `repeat`, its weights and a
 * training batch's memory. Each is checked where the spec or model is read
 * and refused with a located usage error (exit 2), so a small file can never
 * make strata run out of stack or memory. The large ones can be raised with
 * an environment variable (docs/cli.md); the others are fixed by what
 * JavaScript can hold.
 */
import { UsageError } from '../errors.js';

/** A limit a user may raise, with the variable that raises it. */
export interface Limit {
  /** The environment variable that raises it, such as STRATA_MAX_LAYERS. */
  env: string;
  /** The default, in the limit's unit. */
  value: number;
  /** The unit as the variable reads it, for messages: `layers`, `bytes`. */
  unit: string;
}

export const LIMITS = {
  /** A spec or descriptor file: 4 MiB. The bundled configs are under 4 KB; a Keras JSON of ResNet-152 is about 0.5 MB. */
  specBytes: { env: 'STRATA_MAX_SPEC_BYTES', value: 4 * 1024 * 1024, unit: 'bytes' },
  /**
   * Layers after `repeat` and blocks are expanded. The largest Keras application
   * models have about 1,000 (ResNet-152 566, EfficientNet-B7 813, NASNet-Large
   * 1,041); TensorFlow.js's own recursive graph walk runs out of stack between
   * 4,000 and 5,000 layers in a chain, so the default stays well below that.
   */
  layers: { env: 'STRATA_MAX_LAYERS', value: 2000, unit: 'layers' },
  /** A model's weights, in bytes of float32: 2 GiB (537 million weights). */
  weightBytes: { env: 'STRATA_MAX_WEIGHT_BYTES', value: 2 * 1024 ** 3, unit: 'bytes' },
  /**
   * A text-like data file (text, CSV, JSON lines), read whole and prepared in
   * memory, where it takes about 50 times its size (a 20 MB text took 1 GB):
   * 32 MiB. The bundled moby-dick text is 1.2 MB.
   */
  dataBytes: { env: 'STRATA_MAX_DATA_BYTES', value: 32 * 1024 * 1024, unit: 'bytes' },
  /** The estimated memory of one training batch's activations and their gradients: 2 GiB. */
  batchBytes: { env: 'STRATA_MAX_BATCH_BYTES', value: 2 * 1024 ** 3, unit: 'bytes' },
} as const satisfies Record<string, Limit>;

/**
 * How deep a spec's values may nest (mappings and lists, blocks included). A
 * real spec nests about 10 deep (a block of blocks about 14); this is fixed,
 * since reading deeper values is what exhausts the stack.
 */
export const MAX_DEPTH = 64;

/**
 * The most elements one tensor may hold: JavaScript typed arrays and
 * TensorFlow.js's 32-bit sizes stop at 2^31 - 1. Fixed.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** A limit's value: its environment variable when set (a whole number ≥ 1), else the default. */
export function limitOf(limit: Limit, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[limit.env];
  if (raw === undefined || raw.trim() === '') return limit.value;
  const n = Number(raw.trim().replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError({
      arg: `${limit.env}=${raw}`,
      code: 'bad-limit',
      message: `${limit.env} must be a whole number of ${limit.unit} from 1, such as ${limit.value}`,
    });
  }
  return n;
}

/** `set STRATA_MAX_LAYERS=20000 to raise it` — the end of every message about a raisable limit. */
export function howToRaise(limit: Limit, needed?: number): string {
  const example = needed ?? limit.value * 2;
  return `set ${limit.env}=${example} to raise it`;
}

/** 1234567 → `1,234,567`. */
export const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Three significant digits, without trailing zeros; grouped from 1000 on. */
function short(x: number): string {
  if (x >= 1000) return grouped(x);
  const s = x.toPrecision(3);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** A count in words: `3.1 billion`, `12 million`, `5,000`. */
export function countInWords(n: number): string {
  if (n >= 1e12) return `${short(n / 1e12)} trillion`;
  if (n >= 1e9) return `${short(n / 1e9)} billion`;
  if (n >= 1e6) return `${short(n / 1e6)} million`;
  return grouped(n);
}

/** Bytes in words: `12.5 GB`, `400 MB`, `2 KB` (powers of 1000). */
export function bytesInWords(n: number): string {
  const units: [number, string][] = [[1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'KB']];
  for (const [size, unit] of units) if (n >= size) return `${short(n / size)} ${unit}`;
  return `${Math.round(n)} bytes`;
}

/**
 * The path to the first value nested deeper than `max` (mappings and lists), or
 * undefined. Iterative, so it cannot itself run out of stack.
 */
export function tooDeep(value: unknown, max: number = MAX_DEPTH): (string | number)[] | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (path.length >= max) return path;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ value: x, path: [...path, i] }));
    else for (const [k, x] of Object.entries(v)) stack.push({ value: x, path: [...path, k] });
  }
  return undefined;
}

/** The message for a value nested past MAX_DEPTH. */
export const DEPTH_MESSAGE = `values nest more than ${MAX_DEPTH} levels deep here, past strata's limit (a spec nests about 10 deep, a block of blocks about 14); flatten the nesting`;

/** Refuse a spec or model file larger than the limit, before it is read (at its line 1). */
export function checkFileSize(file: string, bytes: number): void {
  const limit = limitOf(LIMITS.specBytes);
  if (bytes <= limit) return;
  throw new UsageError({
    file,
    line: 1,
    col: 1,
    code: 'too-large',
    message: `this file is ${bytes >= 1000 ? `${bytesInWords(bytes)} (${grouped(bytes)} bytes)` : `${bytes} bytes`}, more than strata's limit of ${grouped(limit)} bytes for a spec or model file; ${howToRaise(LIMITS.specBytes, bytes)}`,
  });
}
