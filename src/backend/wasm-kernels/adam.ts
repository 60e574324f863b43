/**
 * One Adam step for one variable as a single pass over its elements. TensorFlow.js's
 * AdamOptimizer takes a step as 14 element-wise kernels per variable (each a full pass
 * over the weights, with a scalar uploaded for every constant): 2.05 ms a step on two
 * threads for the 101,770 weights of the mlp benchmark, whose whole training step takes
 * about 3 ms. This JavaScript loop takes 0.7–0.9 ms; strata's SIMD module
 * (src/backend/simd/kernels.wat, four weights at a time in float32) runs the same
 * formula with the same constants where it loads, and this loop where it does not.
 * The constant factors are taken out of the loop; here each element is computed in
 * double precision, so the results agree with TensorFlow.js's to float32 rounding.
 */

/** The kernel name strata registers for its Adam step (inputs value, gradient, m, v, accBeta1, accBeta2). */
export const ADAM_KERNEL = 'StrataAdamStep';

export interface AdamAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * m' = β1·m + (1 − β1)·g, v' = β2·v + (1 − β2)·g², w' = w − lr · (m' / (1 − β1ᵗ)) / (√(v' / (1 − β2ᵗ)) + ε),
 * where accBeta1 = β1ᵗ and accBeta2 = β2ᵗ. Writes w', m', v' into their own arrays.
 */
export function adamStep(a: AdamAttrs, accBeta1: number, accBeta2: number, w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array): void {
  const { b1: beta1, b2: beta2, c1, c2, k1, k2, eps: epsilon } = adamConstants(a, accBeta1, accBeta2);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + c1 * gi;
    const vi = beta2 * v[i]! + c2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = w[i]! - (k1 * mi) / (Math.sqrt(vi * k2) + epsilon);
  }
}

/** The step's constants: m' = b1·m + c1·g, v' = b2·v + c2·g², w' = w − k1·m' / (√(k2·v') + eps). */
export function adamConstants(a: AdamAttrs, accBeta1: number, accBeta2: number): { b1: number; b2: number; c1: number; c2: number; k1: number; k2: number; eps: number } {
  // lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε), with the constant factors taken out of the loop.
  return { b1: a.beta1, b2: a.beta2, c1: 1 - a.beta1, c2: 1 - a.beta2, k1: a.learningRate / (1 - accBeta1), k2: 1 / (1 - accBeta2), eps: a.epsilon };
}
