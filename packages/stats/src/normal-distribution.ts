/**
 * The standard normal distribution: density, CDF, survival function and quantile.
 *
 * The tails are computed directly (never as 1 − CDF), to ~1e-14 relative accuracy down to the
 * smallest doubles; the quantile is refined by Halley steps on that CDF.
 */

const SQRT_2PI = 2.5066282746310002;
const SQRT_2_OVER_PI = 0.7978845608028654;
const EPSILON = 2.220446049250313e-16;
/** The series is used for z below this; the continued fraction above (fast there). */
const SERIES_BELOW = Math.SQRT2;
/** P(Z > 38.5) is below the smallest subnormal double. */
const UNDERFLOW_Z = 38.5;

/**
 * exp(−z²/2) without the rounding error of z² (which is amplified by z²/2 in the exponent):
 * z is split into a 4-fractional-bit head, whose square is exact, and a small tail.
 */
export function expHalfSquareNegated(z: number): number {
  const absolute = Math.abs(z);
  const head = Math.trunc(absolute * 16) / 16;
  const tail = absolute - head;
  return Math.exp(-0.5 * head * head) * Math.exp(-0.5 * tail * (absolute + head));
}

/** Standard normal density φ(z). */
export function normalPdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (!Number.isFinite(z)) return 0;
  return expHalfSquareNegated(z) / SQRT_2PI;
}

/**
 * P(Z > z) for z ≥ 0.
 * - z < √2: 1/2 − Φ₀(z), with erf(z/√2) from its positive-term series
 *   erf(x) = (2/√π) e^(−x²) Σ (2x²)^n x / (1·3·…·(2n+1)).
 * - z ≥ √2: erfc(z/√2)/2 from the continued fraction of Q(½, z²/2) (modified Lentz).
 */
function upperTail(z: number): number {
  if (z > UNDERFLOW_Z) return 0;
  const z2 = z * z;
  if (z < SERIES_BELOW) {
    let term = z;
    let sum = z;
    for (let k = 1; k < 200; k += 1) {
      term *= z2 / (2 * k + 1);
      sum += term;
      if (term < sum * EPSILON) break;
    }
    const erf = SQRT_2_OVER_PI * expHalfSquareNegated(z) * sum;
    return 0.5 - 0.5 * erf;
  }
  // Q(a, x) = e^(−x) x^a / Γ(a) · 1/(x+1−a − 1(1−a)/(x+3−a − 2(2−a)/(x+5−a − …))), a = ½, x = z²/2.
  const tiny = 1e-300;
  const x = 0.5 * z2;
  let b = x + 0.5;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i += 1) {
    const an = -i * (i - 0.5);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  // e^(−x) x^½ / Γ(½) = e^(−z²/2) · z / √(2π); the ½ turns erfc into the normal tail.
  return (0.5 * expHalfSquareNegated(z) * z * h) / SQRT_2PI;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return z < 0 ? upperTail(-z) : 1 - upperTail(z);
}

/** Standard normal survival function 1 − Φ(z), accurate in the upper tail. */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return z > 0 ? upperTail(z) : 1 - upperTail(-z);
}

// Acklam's rational approximation (relative error < 1.2e-9), used only as the starting point.
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

function acklam(p: number): number {
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/**
 * The standard normal quantile Φ⁻¹(p) for p in [0, 1] (±Infinity at the ends, NaN outside).
 * For p > ½ it returns −Φ⁻¹(1 − p); 1 − p is exact there (Sterbenz), so no accuracy is lost
 * beyond what p itself carries.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  if (p > 0.5) return -lowerQuantile(1 - p);
  return lowerQuantile(p);
}

/** Φ⁻¹(p) for 0 < p < ½, by Halley's method on the lower tail from Acklam's start. */
function lowerQuantile(p: number): number {
  let x = acklam(p);
  for (let i = 0; i < 4; i += 1) {
    const error = upperTail(-x) - p;
    const u = error / normalPdf(x);
    const step = u / (1 + 0.5 * x * u);
    x -= step;
    if (Math.abs(step) <= 2 * EPSILON * Math.abs(x)) break;
  }
  return x;
}
