/**
 * The normal distribution as the Parzen estimators need it: its log density,
 * the mass between two points (accurate in either tail), and a draw truncated
 * to an interval.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erfc with a fractional error below 1.2e-7 everywhere (Numerical Recipes' erfcc, a Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** P(Z ≤ z) for a standard normal Z. */
function cdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** log N(x; mu, sigma). */
export function normalLogPdf(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return -0.5 * z * z - Math.log(sigma) - LOG_SQRT_2PI;
}

/** P(a ≤ X ≤ b) for X ~ N(mu, sigma), a ≤ b; both ends in one tail are taken from that tail. */
export function normalMass(a: number, b: number, mu: number, sigma: number): number {
  const za = (a - mu) / sigma;
  const zb = (b - mu) / sigma;
  if (za >= 0) return Math.max(0, cdf(-za) - cdf(-zb));
  return Math.max(0, cdf(zb) - cdf(za));
}

/** log P(a ≤ X ≤ b), falling back to density × width where the mass underflows. */
export function normalLogMass(a: number, b: number, mu: number, sigma: number): number {
  const mass = normalMass(a, b, mu, sigma);
  if (mass > 1e-280) return Math.log(mass);
  const nearest = Math.min(b, Math.max(a, mu));
  return normalLogPdf(nearest, mu, sigma) + Math.log(Math.max(b - a, Number.MIN_VALUE));
}

/**
 * A draw of N(mu, sigma) truncated to [low, high], by rejection (Box-Muller).
 * The estimators keep mu inside the interval and sigma at most its width, so
 * at least a third of the draws land inside; after 100 misses the draw is
 * clamped.
 */
export function truncatedNormal(mu: number, sigma: number, low: number, high: number, u: () => number): number {
  let x = mu;
  for (let i = 0; i < 100; i++) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    x = mu + sigma * r * Math.cos(2 * Math.PI * u());
    if (x >= low && x <= high) return x;
  }
  return Math.min(high, Math.max(low, x));
}
