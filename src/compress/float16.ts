/**
 * float32 → IEEE 754 half precision (binary16), rounded to the nearest, ties
 * to even, as numpy's `astype(np.float16)` rounds (what tfjs-converter stores).
 * TensorFlow.js has only the decoder (tfjs-core's `getFloat16Decoder`); Node 20
 * has no `Math.f16round` or `Float16Array` yet.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits of `value` (first rounded to float32, as a Float32Array holds it). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // infinity, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    // A subnormal half (or zero): units of 2^-24.
    const m = mant | 0x800000;
    const shift = 126 - exp;
    if (shift > 24) return sign;
    const q = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q);
  }
  const bits = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent, which is the right answer (up to infinity).
  return rem > 0x1000 || (rem === 0x1000 && (bits & 1) === 1) ? bits + 1 : bits;
}

/** Each value as binary16 bits. */
export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]!);
  return out;
}
