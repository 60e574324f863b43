/**
 * One Adam step for one variable as a single pass over its elements. TensorFlow.js's
 * AdamOptimizer takes a step as 14 element-wise kernels per variable (each a full pass
 * over the weights, with a scalar uploaded for every constant): 2.05 ms a step on two
 * threads for the 101,770 weights of the mlp benchmark, whose whole training step takes
 * about 3 ms. Here 0.92 ms. The same formula, with the constant factors taken out of the
 * loop and each element computed in double precision, so the results agree with
 * TensorFlow.js's to float32 rounding.
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
  const { learningRate: lr, beta1, beta2, epsilon } = a;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  // lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε), with the constant factors taken out of the loop.
  const k1 = lr / (1 - accBeta1);
  const k2 = 1 / (1 - accBeta2);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + c1 * gi;
    const vi = beta2 * v[i]! + c2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = w[i]! - (k1 * mi) / (Math.sqrt(vi * k2) + epsilon);
  }
}
