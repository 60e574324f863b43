/**
 * Post-training weight quantization in TensorFlow.js's own format: each chosen
 * float32 weight is stored as uint8 or uint16 with an affine map (value =
 * q·scale + min) or as IEEE half floats, and its weights-manifest entry says so
 * in `quantization` exactly as tfjs-converter writes it
 * (`{dtype, min, scale, original_dtype}`, or `{dtype: 'float16', original_dtype}`).
 * tfjs-core's `decodeWeights` undoes it when any TensorFlow.js program loads the
 * model (`tf.loadLayersModel`), so nothing of strata is needed to read it.
 *
 * The ranges are tfjs-converter's (python/tensorflowjs/quantization.py): the
 * weight's own min and max, nudged so that 0 is one of the levels where the
 * range covers it (zero padding and ReLU's zeros stay exact), values rounded to
 * the nearest level, ties to even as numpy rounds. The largest error of a
 * weight is half its `scale`, (max − min)/255/2 for uint8 and /65535/2 for uint16.
 */
import { roundHalfEven } from '../round.js';
import type { io } from '@tensorflow/tfjs-core';
import { toFloat16 } from './float16.js';

/** The storage types `--quantize` offers, smallest first. */
export const QUANTIZE_DTYPES = ['uint8', 'uint16', 'float16'] as const;
export type QuantizeDtype = (typeof QUANTIZE_DTYPES)[number];

export type WeightEntry = io.WeightsManifestEntry;

/** What quantizing a model's weights gave. */
export interface QuantizedWeights {
  /** The manifest entries, in the same order, the chosen ones with their `quantization`. */
  specs: WeightEntry[];
  /** The new weights file. */
  data: Uint8Array;
  /** The names of the weights that were quantized. */
  quantized: string[];
}

/** The affine parameters of one weight (tfjs-converter's `quantize_weights`). */
export function affineRange(minVal: number, maxVal: number, dtype: 'uint8' | 'uint16'): { scale: number; min: number; max: number } {
  const qmax = dtype === 'uint8' ? 255 : 65535;
  if (minVal === maxVal) return { scale: 1, min: minVal, max: maxVal };
  const scale = (maxVal - minVal) / qmax;
  if (minVal <= 0 && 0 <= maxVal) {
    const zero = roundHalfEven(-minVal / scale);
    const min = -zero * scale;
    return { scale, min, max: qmax * scale + min };
  }
  return { scale, min: minVal, max: maxVal };
}

/** `values` as `dtype` levels, with the manifest's `quantization` field for them. */
export function quantizeValues(values: Float32Array, dtype: QuantizeDtype): { bytes: Uint8Array; quantization: NonNullable<WeightEntry['quantization']> & { original_dtype: 'float32' } } {
  if (dtype === 'float16') {
    const half = toFloat16(values);
    return { bytes: new Uint8Array(half.buffer), quantization: { dtype, original_dtype: 'float32' } };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0) lo = hi = 0;
  const { scale, min, max } = affineRange(lo, hi, dtype);
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  if (lo !== hi) {
    const top = dtype === 'uint8' ? 255 : 65535;
    for (let i = 0; i < values.length; i++) {
      const v = Math.min(max, Math.max(min, values[i]!));
      q[i] = Math.min(top, Math.max(0, roundHalfEven((v - min) / scale)));
    }
  }
  return { bytes: new Uint8Array(q.buffer), quantization: { dtype, min, scale, original_dtype: 'float32' } };
}

/** Bytes per element of a stored weight (its quantized type if it has one). */
const STORED: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

const storedBytes = (w: WeightEntry) => w.shape.reduce((a, b) => a * b, 1) * (STORED[w.quantization?.dtype ?? w.dtype] ?? 4);

/** Whether a weight can be quantized: float32 and not quantized already (tfjs-converter quantizes float32 only). */
export function quantizable(w: WeightEntry): boolean {
  return w.dtype === 'float32' && w.quantization === undefined;
}

/**
 * Quantize the weights `choose` picks (among the quantizable ones) of a
 * model's weights file `data` described by `specs`; the rest are copied as
 * they are. A weight holding a value that is not finite cannot be mapped to
 * uint8/uint16 levels: `notFinite` is called with its name (and must throw).
 */
export function quantizeWeights(specs: readonly WeightEntry[], data: Uint8Array, dtype: QuantizeDtype, choose: (name: string) => boolean, notFinite: (name: string) => never): QuantizedWeights {
  const parts: Uint8Array[] = [];
  const out: WeightEntry[] = [];
  const quantized: string[] = [];
  let offset = 0;
  for (const w of specs) {
    const n = storedBytes(w);
    const bytes = data.subarray(offset, offset + n);
    offset += n;
    if (!quantizable(w) || !choose(w.name)) {
      parts.push(bytes);
      out.push(w);
      continue;
    }
    const values = new Float32Array(bytes.slice().buffer);
    if (dtype !== 'float16' && !values.every(Number.isFinite)) notFinite(w.name);
    const q = quantizeValues(values, dtype);
    parts.push(q.bytes);
    out.push({ ...w, quantization: q.quantization });
    quantized.push(w.name);
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.byteLength;
  }
  return { specs: out, data: joined, quantized };
}
