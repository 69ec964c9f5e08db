/**
 * Log-beta and the regularized incomplete beta function I_x(a, b), the engine of the
 * Student-t distribution.
 */

import { logGamma, logGammaRatioLarge, regularizedGammaQ, stirlingCorrection } from './gamma-function.js';

const EPSILON = 2.220446049250313e-16;
const MAX_ITERATIONS = 100_000;
const LOG_SQRT_2PI = 0.9189385332046728;
const STIRLING_FROM = 10;
/** From here (with b ≤ 1, x ≥ ½) the large-a expansion replaces the continued fraction. */
const LARGE_A = 50;

/**
 * ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b) for a, b > 0. When one argument is large the
 * difference of two large log-gammas is formed analytically (see logGammaRatioLarge), so
 * B(10⁷, ½) keeps full relative accuracy instead of losing nine digits to cancellation.
 */
export function logBeta(a: number, b: number): number {
  if (!(a > 0 && b > 0)) return Number.NaN;
  const small = Math.min(a, b);
  const large = Math.max(a, b);
  if (large < STIRLING_FROM) return logGamma(small) + logGamma(large) - logGamma(small + large);
  if (small < STIRLING_FROM) return logGamma(small) + logGammaRatioLarge(large, small);
  // Both large: Stirling for all three terms, regrouped so no term grows like (a+b)·ln(a+b).
  const sum = small + large;
  return (
    LOG_SQRT_2PI +
    (small - 0.5) * Math.log(small / sum) +
    large * Math.log1p(-small / sum) -
    0.5 * Math.log(large) +
    stirlingCorrection(small) +
    stirlingCorrection(large) -
    stirlingCorrection(sum)
  );
}

/** ln x, taking it from the complement y = 1 − x when x is near 1. */
function logOf(x: number, y: number): number {
  return x < 0.5 ? Math.log(x) : Math.log1p(-y);
}

/**
 * Continued fraction for I_x(a, b) · a·B(a,b) / (x^a y^b) (Numerical Recipes' betacf form),
 * by the modified Lentz method. Converges fast when x < (a + 1) / (a + b + 2).
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m += 1) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/**
 * I_y(b, a) = 1 − I_x(a, b) from the Gauss hypergeometric series
 * I_y(b, a) = y^b x^a / (b B(a, b)) · Σₙ (a+b)ₙ/(b+1)ₙ · yⁿ, whose terms are all positive.
 * Used only with a·y small (a few dozen terms).
 */
function upperBySeries(a: number, b: number, x: number, y: number): number {
  const logPrefactor = b * logOf(y, x) + a * logOf(x, y) - logBeta(a, b) - Math.log(b);
  let term = 1;
  let sum = 1;
  for (let n = 0; n < MAX_ITERATIONS; n += 1) {
    term *= ((a + b + n) / (b + 1 + n)) * y;
    sum += term;
    if (term < sum * EPSILON && (a + b + n) * y < b + 1 + n) break;
  }
  return Math.exp(logPrefactor + Math.log(sum));
}

/** ζ(2k)/π^(2k) · (−1)^(k+1)/k: the coefficients of ln(sinh v / v) = Σ l_k v^(2k). */
function logSinhcCoefficient(k: number): number {
  const closedForm = [0, 1 / 6, 1 / 90, 1 / 945, 1 / 9450][k]; // ζ(2k)/π^(2k) for k ≤ 4
  let zetaOverPi: number;
  if (closedForm !== undefined) {
    zetaOverPi = closedForm;
  } else {
    let zeta = 1;
    for (let j = 2; j <= 40; j += 1) zeta += j ** (-2 * k);
    zetaOverPi = zeta / Math.PI ** (2 * k);
  }
  return ((k % 2 === 1 ? 1 : -1) * zetaOverPi) / k;
}

/**
 * I_x(a, b) for large a and x ≥ ½, by the expansion behind DiDonato & Morris's BGRAT
 * (derived here from the integral, not from their code). With t = e^(−w) and
 * T = a + (b − 1)/2,
 *   ∫₀ˣ t^(a−1)(1−t)^(b−1) dt = ∫_λ^∞ e^(−Tw) w^(b−1) (sinh(w/2)/(w/2))^(b−1) dw,  λ = −ln x,
 * and expanding (sinh(w/2)/(w/2))^(b−1) = Σ sₙ w^(2n) gives
 *   I_x(a, b) = Γ(a+b)/(Γ(a) T^b) · Σₙ sₙ (b)₂ₙ Q(b + 2n, Tλ) / T^(2n).
 * The terms fall like (λ/2π)² and n²/(πT)², so a handful reach double precision. The
 * continued fraction cannot be used here: its terms cancel to ~a/(a·y) digits (1e-8 for a
 * Student-t with ν = 10⁹).
 */
function lowerByLargeAExpansion(a: number, b: number, x: number, y: number): number {
  const lambda = -logOf(x, y);
  const big = a + 0.5 * (b - 1);
  const u = big * lambda;
  const c = b - 1;
  const logFront = -logGammaRatioLarge(a, b) - b * Math.log(big);
  // e: coefficients of exp(c · ln(sinh v / v)) in powers of v² (v = w/2).
  const logCoefficients: number[] = [];
  const e: number[] = [1];
  let q = regularizedGammaQ(b, u);
  let shape = b; // Q(shape, u) is in q
  let pochhammer = 1; // (b)₂ₙ / T^(2n)
  let sum = q;
  const logU = Math.log(u);
  for (let n = 1; n <= 60; n += 1) {
    logCoefficients.push(logSinhcCoefficient(n));
    let acc = 0;
    for (let k = 1; k <= n; k += 1) acc += k * (logCoefficients[k - 1] ?? 0) * (e[n - k] ?? 0);
    const en = (c / n) * acc;
    e.push(en);
    // Q(s + 1, u) = Q(s, u) + u^s e^(−u) / Γ(s + 1), twice.
    for (let step = 0; step < 2; step += 1) {
      q += Math.exp(shape * logU - u - logGamma(shape + 1));
      shape += 1;
    }
    pochhammer *= ((b + 2 * n - 2) * (b + 2 * n - 1)) / (big * big);
    const term = (en / 4 ** n) * pochhammer * q;
    sum += term;
    if (Math.abs(term) <= EPSILON * Math.abs(sum)) break;
  }
  return Math.exp(logFront) * sum;
}

/** x^a y^b / (a B(a, b)), the prefactor of the continued fraction. */
function betaPrefactor(a: number, b: number, x: number, y: number): number {
  return Math.exp(a * logOf(x, y) + b * logOf(y, x) - logBeta(a, b)) / a;
}

/**
 * Both tails of the regularized incomplete beta function: `lower` = I_x(a, b) and
 * `upper` = 1 − I_x(a, b) = I_y(b, a). The complement `y` = 1 − x can be passed separately when
 * the caller knows it more accurately than 1 − x (the Student-t CDF does).
 */
export function incompleteBeta(
  a: number,
  b: number,
  x: number,
  y: number = 1 - x,
): { lower: number; upper: number } {
  if (!(a > 0 && b > 0) || !(x >= 0 && y >= 0)) return { lower: Number.NaN, upper: Number.NaN };
  if (x === 0) return { lower: 0, upper: 1 };
  if (y === 0) return { lower: 1, upper: 0 };
  if (a >= LARGE_A && b <= 1 && x >= 0.5) {
    // Compute the smaller tail directly; the median of I_y(b, a) sits near a·y ≈ b/2.
    if (a * y < 1) {
      const upper = upperBySeries(a, b, x, y);
      return { lower: 1 - upper, upper };
    }
    const lower = lowerByLargeAExpansion(a, b, x, y);
    return { lower, upper: 1 - lower };
  }
  if (x < (a + 1) / (a + b + 2)) {
    const lower = betaPrefactor(a, b, x, y) * betaContinuedFraction(a, b, x);
    return { lower, upper: 1 - lower };
  }
  const upper = betaPrefactor(b, a, y, x) * betaContinuedFraction(b, a, y);
  return { lower: 1 - upper, upper };
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  return incompleteBeta(a, b, x).lower;
}
