#!/usr/bin/env python3
"""Golden fixtures for @switchyard/stats.

Every expected value here comes from an implementation written directly from
docs stats-methods.md with numpy and scipy (scipy.stats.t / norm / chi2, scipy.optimize,
scipy.stats.dirichlet_multinomial, scipy.stats.truncnorm, numpy.percentile), not from a port of
the TypeScript. Where the TypeScript uses a closed form, this script solves the defining
equation numerically instead (one-sided sequential p-values, Fieller, risk).

Before writing anything it reproduces the published GrowthBook gbstats unit-test values of
stats-methods.md section 9A, so a formula misread here cannot silently become a "golden" value.

Inputs are seeded (numpy default_rng), so a rerun on the same machine and library versions
reproduces the files exactly; test/fixtures-current.test.ts reruns it and compares.

Usage: python3 scripts/generate_fixtures.py [--out DIR]   (default: ../fixtures)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import scipy
import scipy.optimize as opt
import scipy.stats as st

SEED = 20_260_105
FORMAT_VERSION = 1


def rng_for(name: str) -> np.random.Generator:
    # One independent stream per fixture file, so adding cases to one file leaves the others alone.
    return np.random.default_rng([SEED, sum(ord(ch) * 31**i for i, ch in enumerate(name)) % 2**32])


def f(x) -> float | None:
    """A JSON-safe float (infinite interval ends become null)."""
    x = float(x)
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------------------------------------
# Independent implementations (numpy/scipy), straight from the formulas of stats-methods.md


def mean_arm(n, s, ss):
    return {"n": n, "mean": s / n, "variance": (ss - s * s / n) / (n - 1)}


def proportion_arm(n, s):
    p = s / n
    return {"n": n, "mean": p, "variance": p * (1 - p)}


def ratio_arm(n, sx, sy, sx2, sy2, sxy):
    # Delta method on the unit-level linearisation: gradient (1/ybar, -xbar/ybar^2) of xbar/ybar,
    # applied to the 2x2 sample covariance matrix (n - 1 divisor).
    xbar, ybar = sx / n, sy / n
    cov = np.array(
        [[sx2 - sx * sx / n, sxy - sx * sy / n], [sxy - sx * sy / n, sy2 - sy * sy / n]]
    ) / (n - 1)
    g = np.array([1 / ybar, -xbar / ybar**2])
    return {"n": n, "mean": sx / sy, "variance": float(g @ cov @ g)}


def welch_df(c, t):
    vc, vt = c["variance"] / c["n"], t["variance"] / t["n"]
    return (vc + vt) ** 2 / (vt**2 / (t["n"] - 1) + vc**2 / (c["n"] - 1))


def lifts(c, t):
    df = welch_df(c, t)
    absolute = {
        "estimate": t["mean"] - c["mean"],
        "standardError": math.sqrt(t["variance"] / t["n"] + c["variance"] / c["n"]),
        "degreesOfFreedom": df,
    }
    mc, mt = c["mean"], t["mean"]
    rel_var = t["variance"] / (t["n"] * mc**2) + mt**2 * c["variance"] / (c["n"] * mc**4)
    relative = {
        "estimate": (mt - mc) / abs(mc),
        "standardError": math.sqrt(rel_var),
        "degreesOfFreedom": df,
    }
    return absolute, relative


def fixed_tests(est, se, df, alpha):
    """p-values and intervals under the t(df) and normal references, all three alternatives."""
    out = {}
    for name, dist in (("t", st.t(df)), ("normal", st.norm())):
        z = est / se
        two = dist.isf(alpha / 2) * se
        one = dist.isf(alpha) * se
        out[name] = {
            "twoSided": [f(min(1.0, 2 * dist.sf(abs(z)))), f(est - two), f(est + two)],
            "greater": [f(dist.sf(z)), f(est - one)],
            "less": [f(dist.cdf(z)), f(est + one)],
        }
    return out


def seq_rho(alpha, n_star, two_sided):
    a = alpha if two_sided else 2 * alpha
    return math.sqrt((-2 * math.log(a) + math.log(-2 * math.log(a) + 1)) / n_star)


def cs_two_sided(est, se, n, n_star, alpha):
    rho = seq_rho(alpha, n_star, True)
    s2 = se**2 * n
    hw = math.sqrt(s2) * math.sqrt(
        2 * (n * rho**2 + 1) * math.log(math.sqrt(n * rho**2 + 1) / alpha) / (n * rho) ** 2
    )
    st2 = est**2 * n / se**2
    tr2p1 = n * rho**2 + 1
    with np.errstate(over="ignore"):
        evalue = np.exp(rho**2 * st2 / (2 * tr2p1)) / math.sqrt(tr2p1)
    p = min(1.0, float(1 / evalue))
    return hw, p


def cs_one_sided_halfwidth(se, n, n_star, alpha, rho):
    s2 = se**2 * n
    return math.sqrt(
        s2 * 2 * (n * rho**2 + 1) / (n * rho) ** 2 * math.log(1 + math.sqrt(n * rho**2 + 1) / (2 * alpha))
    )


def cs_one_sided(est, se, n, n_star, alpha, greater):
    rho = seq_rho(alpha, n_star, False)
    hw = cs_one_sided_halfwidth(se, n, n_star, alpha, rho)
    towards = est > 0 if greater else est < 0
    if not towards:
        return hw, 1.0
    # p = the alpha at which the one-sided bound touches 0, rho held fixed (GrowthBook's bisection,
    # solved here by Brent's method in log(alpha)).
    g = lambda u: cs_one_sided_halfwidth(se, n, n_star, math.exp(u), rho) - abs(est)  # noqa: E731
    if g(0.0) >= 0:
        return hw, 1.0
    u = opt.brentq(g, -745.0, 0.0, xtol=1e-14, rtol=1e-15, maxiter=500)
    return hw, math.exp(u)


def msprt(est, se, tau2, alpha, delta0):
    v = se**2
    lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * (est - delta0) ** 2 / (2 * v * (v + tau2)))
    p = min(1.0, 1 / lam)
    # Interval: the set of delta0 with Lambda(delta0) < 1/alpha, found by root-finding.
    lam0 = lambda d: 0.5 * math.log(v / (v + tau2)) + tau2 * d**2 / (2 * v * (v + tau2)) + math.log(alpha)  # noqa: E731
    hi = se
    while lam0(hi) < 0:
        hi *= 2
    hw = opt.brentq(lam0, 0.0, hi, xtol=1e-300, rtol=1e-15, maxiter=500)
    return math.log(lam), p, hw


def bayes(est, se, scale, baseline, prior, alpha, increase):
    prec = 1 / se**2
    wmean = est * prec
    if prior is not None:
        k = abs(baseline) if scale == "absolute" else 1.0
        pm, pv = prior["mean"] * k, prior["variance"] * k * k
        prec += 1 / pv
        wmean += pm / pv
    mu, sd = wmean / prec, 1 / math.sqrt(prec)
    post = st.norm(mu, sd)
    z = st.norm.isf(alpha / 2)
    p_pos = post.sf(0.0)
    # Expected loss by integration of the truncated normal, not by the closed form.
    upper = st.truncnorm(a=(0 - mu) / sd, b=np.inf, loc=mu, scale=sd)
    lower = st.truncnorm(a=-np.inf, b=(0 - mu) / sd, loc=mu, scale=sd)
    loss_control = p_pos * upper.mean() if p_pos > 0 else 0.0  # E[max(D, 0)]
    loss_treatment = -(1 - p_pos) * lower.mean() if p_pos < 1 else 0.0  # E[max(-D, 0)]
    ctw = p_pos if increase else post.cdf(0.0)
    risk = [loss_control, loss_treatment] if increase else [loss_treatment, loss_control]
    return {
        "posteriorMean": mu,
        "posteriorStandardDeviation": sd,
        "credibleInterval": [mu - z * sd, mu + z * sd],
        "chanceToWin": float(ctw),
        "risk": [float(risk[0]), float(risk[1])],
    }


def fieller(c, t, alpha):
    """Roots of (a - r b)^2 = z^2 (v_a + r^2 v_b): the Fieller set for r = a/b."""
    z = st.norm.isf(alpha / 2)
    a, b = t["mean"], c["mean"]
    va, vb = t["variance"] / t["n"], c["variance"] / c["n"]
    qa = b * b - z * z * vb
    qb = -2 * a * b
    qc = a * a - z * z * va
    g = z * z * vb / b**2
    if qa <= 0:
        return None, g
    disc = qb * qb - 4 * qa * qc
    r1 = (-qb - math.sqrt(disc)) / (2 * qa)
    r2 = (-qb + math.sqrt(disc)) / (2 * qa)
    lo, hi = sorted([r1 - 1, r2 - 1])
    if b < 0:
        lo, hi = -hi, -lo
    return [lo, hi], g


def cuped_moments(s, kind):
    n = s["n"]
    my, mx = s["sum"] / n, s["sumPre"] / n
    if kind == "proportion":
        return n, my, mx, my * (1 - my), mx * (1 - mx), s["sumXPre"] / n - s["sum"] * s["sumPre"] / n**2
    vy = (s["sumSquares"] - s["sum"] ** 2 / n) / (n - 1)
    vx = (s["sumPre2"] - s["sumPre"] ** 2 / n) / (n - 1)
    cxy = (s["sumXPre"] - s["sum"] * s["sumPre"] / n) / (n - 1)
    return n, my, mx, vy, vx, cxy


def cuped(c, t, kind):
    pooled = {k: c[k] + t[k] for k in c}
    _, _, _, vy, vx, cxy = cuped_moments(pooled, kind)
    theta = 0.0 if vx <= 0 or vy <= 0 else cxy / vx
    arms = []
    for s in (c, t):
        n, my, mx, vy, vx, cxy = cuped_moments(s, kind)
        arms.append(
            {"n": n, "my": my, "mx": mx, "vy": vy, "vx": vx, "cxy": cxy,
             "adj": my - theta * mx, "vadj": vy + theta**2 * vx - 2 * theta * cxy}
        )
    ac, at = arms
    # An adjusted variance within rounding of 0 (post an exact linear function of pre) is 0.
    if ac["vadj"] <= 1e-10 * ac["vy"] or at["vadj"] <= 1e-10 * at["vy"]:
        return {"status": "zero-variance", "theta": theta}
    vc, vt = ac["vadj"] / ac["n"], at["vadj"] / at["n"]
    df = (vc + vt) ** 2 / (vt**2 / (at["n"] - 1) + vc**2 / (ac["n"] - 1))
    est = at["adj"] - ac["adj"]
    out = {
        "theta": theta,
        "adjustedMeans": [ac["adj"], at["adj"]],
        "adjustedVariances": [ac["vadj"], at["vadj"]],
        "absolute": {"estimate": est, "standardError": math.sqrt(vc + vt), "degreesOfFreedom": df},
    }
    # Relative: GrowthBook's gradient over (ybar_T, xbar_T, ybar_C, xbar_C), block-diagonal
    # covariance per arm (stats-methods.md 3.2).
    yc, yt = ac["my"], at["my"]
    grad_t = np.array([1 / yc, -theta / yc])
    grad_c = np.array([-yt / yc**2, theta / yc])
    lam_t = np.array([[at["vy"], at["cxy"]], [at["cxy"], at["vx"]]]) / at["n"]
    lam_c = np.array([[ac["vy"], ac["cxy"]], [ac["cxy"], ac["vx"]]]) / ac["n"]
    rel_var = float(grad_t @ lam_t @ grad_t + grad_c @ lam_c @ grad_c)
    out["relative"] = {"estimate": est / abs(yc), "standardError": math.sqrt(rel_var), "degreesOfFreedom": df}
    return out


RATIO_CUPED_KEYS = ["sumX", "sumY", "sumXPre", "sumYPre"]


def ratio_cuped_arm(s):
    n = s["n"]
    sums = np.array([s[k] for k in RATIO_CUPED_KEYS])
    prods = np.array(
        [
            [s["sumX2"], s["sumXY"], s["sumXXPre"], s["sumXYPre"]],
            [s["sumXY"], s["sumY2"], s["sumYXPre"], s["sumYYPre"]],
            [s["sumXXPre"], s["sumYXPre"], s["sumXPre2"], s["sumXPreYPre"]],
            [s["sumXYPre"], s["sumYYPre"], s["sumXPreYPre"], s["sumYPre2"]],
        ]
    )
    lam = (prods - np.outer(sums, sums) / n) / (n - 1)
    return n, sums / n, lam


def ratio_cuped(c, t):
    arms = [ratio_cuped_arm(c), ratio_cuped_arm(t)]

    def grad(beta, theta):
        x, y, xp, yp = beta
        return np.array([1 / y, -x / y**2, -theta / yp, theta * xp / yp**2])

    cov = var = 0.0
    for _, beta, lam in arms:
        post = np.array([1 / beta[1], -beta[0] / beta[1] ** 2])  # d(x/y)
        pre = np.array([1 / beta[3], -beta[2] / beta[3] ** 2])  # d(xPre/yPre)
        cov += post @ lam[0:2, 2:4] @ pre
        var += pre @ lam[2:4, 2:4] @ pre
    theta = cov / var if var > 0 else 0.0
    if abs(theta) < 1e-8:
        theta = 0.0
    res = []
    for n, beta, lam in arms:
        g = grad(beta, theta) if theta != 0 else np.array([1 / beta[1], -beta[0] / beta[1] ** 2, 0, 0])
        adj = beta[0] / beta[1] - (theta * beta[2] / beta[3] if theta != 0 else 0)
        res.append((n, beta, lam, g, adj, float(g @ lam @ g)))
    (nc, bc, lc, gc, ac, vac), (nt, bt, lt, gt, at, vat) = res
    vc, vt = vac / nc, vat / nt
    df = (vc + vt) ** 2 / (vt**2 / (nt - 1) + vc**2 / (nc - 1))
    est = at - ac
    rc = bc[0] / bc[1]
    # Exact delta method for (A_T - A_C)/|R_C| over all eight means, by numerical-free algebra:
    # d|R_C| = sign(R_C) * (1/ybar, -xbar/ybar^2, 0, 0).
    d_base = np.sign(rc) * np.array([1 / bc[1], -bc[0] / bc[1] ** 2, 0, 0])
    grad_c = -gc / abs(rc) - est / rc**2 * d_base
    grad_t = gt / abs(rc)
    rel_var = float(grad_c @ lc @ grad_c / nc + grad_t @ lt @ grad_t / nt)
    return {
        "theta": theta,
        "adjustedMeans": [ac, at],
        "absolute": {"estimate": est, "standardError": math.sqrt(vc + vt), "degreesOfFreedom": df},
        "relative": {"estimate": est / abs(rc), "standardError": math.sqrt(rel_var), "degreesOfFreedom": df},
    }


def srm_chi2(counts, weights):
    w = np.array(weights, dtype=float) / sum(weights)
    expected = w * sum(counts)
    res = st.chisquare(np.array(counts, dtype=float), expected)
    return float(res.statistic), float(res.pvalue), [float(e) for e in expected]


def srm_log_bf(counts, weights, k):
    p = np.array(weights, dtype=float) / sum(weights)
    x = np.array(counts)
    n = int(x.sum())
    log_h1 = st.dirichlet_multinomial.logpmf(x, k * p, n)
    log_h0 = st.multinomial.logpmf(x, n, p)
    # Both log-pmfs are sums of log-gammas of size ~n log n; record that scale so the test can
    # allow for the cancellation error scipy makes here (the TypeScript avoids it).
    scale = float(sum(abs(v) for v in [math.lgamma(k), math.lgamma(k + n)] + [math.lgamma(a + xi) for a, xi in zip(k * p, x)]))
    return float(log_h1 - log_h0), scale


# ---------------------------------------------------------------------------------------------
# Self-check against the published GrowthBook values (stats-methods.md 9A)


def check_published():
    def close(a, b, dp=5):
        assert round(a, dp) == round(b, dp) or abs(a - b) < 1.5 * 10**-dp, (a, b)

    c, t = mean_arm(3407, 1396.87, 52377.9767), mean_arm(3461, 2422.7, 134698.29)
    ab, rel = lifts(c, t)
    ft = fixed_tests(rel["estimate"], rel["standardError"], rel["degreesOfFreedom"], 0.05)["t"]["twoSided"]
    close(rel["estimate"], 0.70732), close(rel["standardError"], 0.37879)
    close(ft[1], -0.03526), close(ft[2], 1.44989), close(ft[0], 0.06191)
    ft = fixed_tests(ab["estimate"], ab["standardError"], ab["degreesOfFreedom"], 0.05)["t"]["twoSided"]
    close(ab["estimate"], 0.29), close(ab["standardError"], 0.12478), close(ft[1], 0.04538), close(ft[0], 0.02016)

    c3 = mean_arm(3000, 1396.87, 52377.9767)
    ab, rel = lifts(c3, t)
    ft = fixed_tests(rel["estimate"], rel["standardError"], rel["degreesOfFreedom"], 0.05)["t"]
    close(ft["greater"][1], -0.045136675850396046, 12), close(ft["greater"][0], 0.06558262868467746, 12)
    close(ft["less"][1], 1.0518588475628676, 12)
    hw, p = cs_two_sided(rel["estimate"], rel["standardError"], 6461, 1000, 0.05)
    close(rel["estimate"] - hw, -0.55844), close(rel["estimate"] + hw, 1.56516), close(p, 1)
    hw, p = cs_one_sided(ab["estimate"], ab["standardError"], 6461, 5000, 0.05, True)
    close(ab["estimate"] - hw, -0.12656844172804982, 12)
    # GrowthBook's published 0.46316491943359384 is its bisection's *next midpoint* after the
    # bound came within 1e-6 of 0; replaying that bisection (rho fixed) reproduces it exactly,
    # which confirms the reading "rho held fixed". The exact root is p (0.46305...).
    lo, hi, rho = 1e-5, 0.4999, seq_rho(0.05, 5000, False)
    a = (lo + hi) / 2
    for _ in range(100):
        diff = ab["estimate"] - cs_one_sided_halfwidth(ab["standardError"], 6461, 5000, a, rho)
        lo, hi = (a, hi) if diff < 0 else (lo, a)
        a = (lo + hi) / 2
        if abs(diff) < 1e-6:
            break
    assert a == 0.46316491943359384, a
    assert abs(p - a) < (0.4999 - 1e-5) / 2**11, p

    cc = {"n": 3000, "sum": 1396.87, "sumSquares": 52377.9767, "sumPre": 16.87, "sumPre2": 527.9767, "sumXPre": 1}
    ct = {"n": 3461, "sum": 2422.7, "sumSquares": 134698.29, "sumPre": 22.7, "sumPre2": 1348.29, "sumXPre": 1}
    r = cuped(cc, ct, "mean")
    close(r["theta"], -0.011403222553755095, 14)
    hw, p = cs_two_sided(r["relative"]["estimate"], r["relative"]["standardError"], 6461, 5000, 0.05)
    close(r["relative"]["estimate"] - hw, -0.50969), close(r["relative"]["estimate"] + hw, 1.51646)

    a = {"n": 100, "sumX": 485.112236689623, "sumX2": 2715.484666118136, "sumY": 679.9093275844917,
         "sumY2": 4939.424001640236, "sumXPre": 192.59138069991536, "sumXPre2": 460.076026390857,
         "sumYPre": 290.1398399750233, "sumYPre2": 920.9461385038898, "sumXXPre": 1113.6215759318352,
         "sumYYPre": 2130.9404074446747, "sumXPreYPre": 634.239482353647, "sumXY": 3602.146836776702,
         "sumXYPre": 1559.2878434944676, "sumYXPre": 1460.3181079276983}
    b = {"n": 100, "sumX": 514.7757826608777, "sumX2": 2994.897482705013, "sumY": 705.4090874383759,
         "sumY2": 5291.36604146392, "sumXPre": 206.94157227402536, "sumXPre2": 514.2903702246757,
         "sumYPre": 302.54389139107326, "sumYPre2": 994.4506208125663, "sumXXPre": 1237.0953021125997,
         "sumYYPre": 2292.081739775257, "sumXPreYPre": 698.4173425817908, "sumXY": 3918.1561431600717,
         "sumXYPre": 1701.0287270040265, "sumYXPre": 1604.0759503266522}
    r = ratio_cuped(a, b)
    close(r["theta"], 0.8290044254063292, 12)
    rel = r["relative"]
    ft = fixed_tests(rel["estimate"], rel["standardError"], rel["degreesOfFreedom"], 0.05)["t"]["twoSided"]
    close(rel["estimate"], -0.0007), close(rel["standardError"], 0.00391)
    close(ft[1], -0.00841), close(ft[2], 0.00700), close(ft[0], 0.85771)

    c8, t8 = proportion_arm(100, 49), proportion_arm(100, 51)
    _, rel = lifts(c8, t8)
    bres = bayes(rel["estimate"], rel["standardError"], "relative", c8["mean"], None, 0.05, True)
    close(bres["chanceToWin"], 0.60918), close(bres["risk"][0], 0.0814, 4), close(bres["risk"][1], 0.04058)

    stat, p, _ = srm_chi2([1000, 1200], [0.5, 0.5])
    assert abs(p - 2.007865612426481e-05) < 1e-15, p


# ---------------------------------------------------------------------------------------------
# Case generators


def log_uniform_int(rng, lo, hi):
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def draw_values(rng, n, family, loc, scale):
    if family == "normal":
        return rng.normal(loc, scale, n)
    if family == "lognormal":
        return loc + rng.lognormal(0.0, 1.0, n) * scale
    if family == "poisson":
        return rng.poisson(max(scale, 0.05), n).astype(float)
    if family == "zero-inflated":  # revenue-like: most units 0
        return np.where(rng.random(n) < 0.8, 0.0, rng.gamma(2.0, scale, n))
    raise ValueError(family)


def sums(values):
    return {"n": int(len(values)), "sum": float(values.sum()), "sumSquares": float((values * values).sum())}


def gen_distributions():
    rng = rng_for("distributions")
    normal = []
    zs = list(rng.uniform(-38, 38, 60)) + list(rng.normal(0, 2, 80)) + [-37.5, -20.0, -8.0, -1e-8, 0.0, 1e-300, 1.4142, 1.4143, 5.0, 9.0]
    for z in zs:
        z = float(z)
        normal.append({"z": z, "cdf": float(st.norm.cdf(z)), "sf": float(st.norm.sf(z)), "pdf": float(st.norm.pdf(z))})
    normal_q = []
    for lp in list(rng.uniform(-300, math.log10(0.5), 80)) + [-1.3010299956639813, -1.6020599913279623]:
        p = float(10**lp)
        normal_q.append({"p": p, "quantile": float(st.norm.ppf(p))})
    for p in list(rng.uniform(0.5, 1, 40)) + [0.975, 0.95, 0.995]:
        normal_q.append({"p": float(p), "quantile": float(st.norm.ppf(p))})
    t = []
    for i in range(240):
        df = float(rng.integers(1, 40)) if i % 4 == 0 else float(10 ** rng.uniform(0, 8))
        x = float(rng.standard_cauchy() * rng.choice([0.01, 1.0, 3.0, 30.0]))
        if abs(x) > 1e6:
            x = math.copysign(1e6, x)
        t.append({"t": x, "df": df, "cdf": float(st.t.cdf(x, df)), "sf": float(st.t.sf(x, df))})
    t_q = []
    for i in range(200):
        df = float(rng.integers(1, 40)) if i % 4 == 0 else float(10 ** rng.uniform(0, 8))
        p = float(10 ** rng.uniform(-30, math.log10(0.5))) if i % 2 else float(rng.uniform(0.001, 0.999))
        t_q.append({"p": p, "df": df, "quantile": float(st.t.ppf(p, df))})
    chi2 = []
    for i in range(160):
        df = float(rng.integers(1, 30)) if i % 2 else float(rng.uniform(0.5, 60))
        x = float(rng.uniform(0, 3) * df * rng.choice([0.05, 1.0, 4.0, 20.0]))
        chi2.append({"x": x, "df": df, "cdf": float(st.chi2.cdf(x, df)), "sf": float(st.chi2.sf(x, df))})
    return {"normal": normal, "normalQuantile": normal_q, "studentT": t, "studentTQuantile": t_q, "chiSquare": chi2}


def two_sample_expected(c, t, alpha):
    ab, rel = lifts(c, t)
    out = {}
    for name, eff in (("absolute", ab), ("relative", rel)):
        out[name] = dict(eff, **fixed_tests(eff["estimate"], eff["standardError"], eff["degreesOfFreedom"], alpha))
    return out


def gen_two_sample():
    rng = rng_for("two-sample")
    cases = []
    alphas = [0.01, 0.05, 0.05, 0.1, 0.2]
    for i in range(110):
        family = ["normal", "lognormal", "poisson", "zero-inflated"][i % 4]
        tiny = i % 10 == 0
        nc = int(rng.integers(2, 6)) if tiny else log_uniform_int(rng, 8, 3e5)
        nt = int(rng.integers(2, 6)) if tiny else (nc if i % 3 == 0 else log_uniform_int(rng, 8, 3e5))
        loc = float(rng.choice([0.0, 10.0, -50.0, 3.0]))
        scale_c = float(10 ** rng.uniform(-1, 1.5))
        scale_t = scale_c * float(rng.choice([1.0, 1.0, 0.5, 3.0]))  # unequal variances
        lift = float(rng.normal(0, 0.05))  # negative lifts too
        xc = draw_values(rng, nc, family, loc, scale_c)
        xt = draw_values(rng, nt, family, loc, scale_t) * (1 + lift) + (lift if family == "normal" else 0)
        c, t = sums(xc), sums(xt)
        alpha = float(rng.choice(alphas))
        ca, ta = mean_arm(c["n"], c["sum"], c["sumSquares"]), mean_arm(t["n"], t["sum"], t["sumSquares"])
        case = {"id": f"mean-{i}", "kind": "mean", "alpha": alpha, "control": c, "treatment": t}
        if ca["variance"] <= 0 or ta["variance"] <= 0:
            case["expect"] = {"status": "zero-variance"}
        elif ca["mean"] == 0:
            case["expect"] = {"status": "ok", "relative": "zero-baseline"}
        else:
            case["expect"] = dict(status="ok", **two_sample_expected(ca, ta, alpha))
        cases.append(case)
    for i in range(70):
        tiny = i % 10 == 0
        nc = int(rng.integers(2, 8)) if tiny else log_uniform_int(rng, 20, 2e6)
        nt = nc if i % 2 else log_uniform_int(rng, 20, 2e6)
        p = float(10 ** rng.uniform(-3, math.log10(0.6)))
        lift = float(rng.normal(0, 0.1))
        sc = int(rng.binomial(nc, p))
        stt = int(rng.binomial(nt, min(0.999, p * (1 + lift))))
        alpha = float(rng.choice(alphas))
        c, t = {"n": nc, "sum": sc}, {"n": nt, "sum": stt}
        ca, ta = proportion_arm(nc, sc), proportion_arm(nt, stt)
        case = {"id": f"proportion-{i}", "kind": "proportion", "alpha": alpha, "control": c, "treatment": t}
        if ca["variance"] <= 0 or ta["variance"] <= 0:
            case["expect"] = {"status": "zero-variance"}
        else:
            case["expect"] = dict(status="ok", **two_sample_expected(ca, ta, alpha))
        cases.append(case)
    # Edge cases with a known status.
    edge = [
        ("n-1", "mean", {"n": 1, "sum": 3.0, "sumSquares": 9.0}, {"n": 10, "sum": 10.0, "sumSquares": 20.0}, "insufficient-data"),
        ("constant-arm", "mean", {"n": 5, "sum": 10.0, "sumSquares": 20.0}, {"n": 5, "sum": 11.0, "sumSquares": 30.0}, "zero-variance"),
        ("zero-baseline", "mean", {"n": 4, "sum": 0.0, "sumSquares": 10.0}, {"n": 4, "sum": 2.0, "sumSquares": 10.0}, None),
        ("no-conversions", "proportion", {"n": 500, "sum": 0}, {"n": 500, "sum": 3}, "zero-variance"),
        ("all-converted", "proportion", {"n": 50, "sum": 50}, {"n": 50, "sum": 45}, "zero-variance"),
        ("bad-sum", "proportion", {"n": 50, "sum": 60}, {"n": 50, "sum": 45}, "invalid-input"),
    ]
    for name, kind, c, t, status in edge:
        case = {"id": f"edge-{name}", "kind": kind, "alpha": 0.05, "control": c, "treatment": t}
        if status is None:
            case["expect"] = {"status": "ok", "relative": "zero-baseline"}
        else:
            case["expect"] = {"status": status}
        cases.append(case)
    # Identical arms: estimate 0, p = 1.
    c = {"n": 1000, "sum": 5021.5, "sumSquares": 40123.25}
    ca = mean_arm(1000, 5021.5, 40123.25)
    cases.append({"id": "edge-identical", "kind": "mean", "alpha": 0.05, "control": c, "treatment": c,
                  "expect": dict(status="ok", **two_sample_expected(ca, ca, 0.05))})
    return cases


def gen_ratio():
    rng = rng_for("ratio")
    cases = []
    for i in range(110):
        tiny = i % 12 == 0
        nc = int(rng.integers(2, 6)) if tiny else log_uniform_int(rng, 10, 1e5)
        nt = nc if i % 3 == 0 else (int(rng.integers(2, 6)) if tiny else log_uniform_int(rng, 10, 1e5))
        kind = ["timeouts", "revenue-per-order", "latency"][i % 3]
        arms = []
        for n, boost in ((nc, 1.0), (nt, 1 + float(rng.normal(0, 0.1)))):
            d = rng.poisson(float(rng.uniform(1, 30)), n).astype(float)  # requests / orders / sessions
            if kind == "timeouts":
                m = rng.binomial(d.astype(int), min(0.9, 0.02 * boost)).astype(float)
            elif kind == "revenue-per-order":
                m = d * rng.gamma(2.0, 15.0 * boost, n)
            else:
                m = d * rng.lognormal(4.0, 0.5, n) * boost
            arms.append({"n": int(n), "sumX": float(m.sum()), "sumY": float(d.sum()),
                         "sumX2": float((m * m).sum()), "sumY2": float((d * d).sum()), "sumXY": float((m * d).sum())})
        c, t = arms
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        case = {"id": f"ratio-{i}-{kind}", "alpha": alpha, "control": c, "treatment": t}
        if c["sumY"] == 0 or t["sumY"] == 0:
            case["expect"] = {"status": "zero-denominator"}
        else:
            ca = ratio_arm(c["n"], c["sumX"], c["sumY"], c["sumX2"], c["sumY2"], c["sumXY"])
            ta = ratio_arm(t["n"], t["sumX"], t["sumY"], t["sumX2"], t["sumY2"], t["sumXY"])
            if ca["variance"] <= 1e-300 or ta["variance"] <= 1e-300:
                case["expect"] = {"status": "zero-variance"}
            elif ca["mean"] == 0:
                case["expect"] = {"status": "ok", "relative": "zero-baseline"}
            else:
                case["expect"] = dict(
                    status="ok", arms=[[ca["mean"], ca["variance"]], [ta["mean"], ta["variance"]]],
                    **two_sample_expected(ca, ta, alpha),
                )
        cases.append(case)
    return cases


def gen_cuped():
    rng = rng_for("cuped")
    cases = []
    for i in range(120):
        rho = [0.02, 0.3, 0.7, 0.95, 0.999][i % 5]
        kind = "proportion" if i % 4 == 3 else "mean"
        nc = log_uniform_int(rng, 5, 1e5) if i % 10 else int(rng.integers(3, 8))
        nt = nc if i % 2 else log_uniform_int(rng, 5, 1e5)
        effect = float(rng.normal(0, 0.05))
        arms = []
        for n, eff in ((nc, 0.0), (nt, effect)):
            z1 = rng.normal(0, 1, n)
            z2 = rho * z1 + math.sqrt(1 - rho * rho) * rng.normal(0, 1, n)
            if kind == "proportion":
                pre = (z1 < -0.8).astype(float)
                post = (z2 < -0.8 + eff * 3).astype(float)
            else:
                pre = 20 + 5 * z1
                post = 20 * (1 + eff) + 5 * z2
            arms.append({"n": int(n), "sum": float(post.sum()), "sumSquares": float((post * post).sum()),
                         "sumPre": float(pre.sum()), "sumPre2": float((pre * pre).sum()), "sumXPre": float((post * pre).sum())})
        c, t = arms
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        res = cuped(c, t, kind)
        case = {"id": f"cuped-{i}-{kind}-rho{rho}", "kind": kind, "alpha": alpha, "control": c, "treatment": t}
        if "status" in res:
            case["expect"] = res
        else:
            exp = {"status": "ok", "theta": res["theta"], "adjustedMeans": res["adjustedMeans"],
                   "adjustedVariances": res["adjustedVariances"]}
            for name in ("absolute", "relative"):
                e = res[name]
                exp[name] = dict(e, **fixed_tests(e["estimate"], e["standardError"], e["degreesOfFreedom"], alpha))
            case["expect"] = exp
        cases.append(case)
    # Constant covariate: theta falls back to 0 and the result equals the unadjusted analysis.
    c = {"n": 50, "sum": 120.5, "sumSquares": 400.25, "sumPre": 100.0, "sumPre2": 200.0, "sumXPre": 241.0}
    t = {"n": 60, "sum": 160.0, "sumSquares": 520.0, "sumPre": 120.0, "sumPre2": 240.0, "sumXPre": 320.0}
    res = cuped(c, t, "mean")
    exp = {"status": "ok", "theta": res["theta"], "adjustedMeans": res["adjustedMeans"], "adjustedVariances": res["adjustedVariances"]}
    for name in ("absolute", "relative"):
        e = res[name]
        exp[name] = dict(e, **fixed_tests(e["estimate"], e["standardError"], e["degreesOfFreedom"], 0.05))
    cases.append({"id": "cuped-constant-covariate", "kind": "mean", "alpha": 0.05, "control": c, "treatment": t, "expect": exp})
    return cases


def gen_cuped_ratio():
    rng = rng_for("cuped-ratio")
    cases = []
    for i in range(50):
        rho = [0.1, 0.6, 0.9, 0.99][i % 4]
        nc = log_uniform_int(rng, 10, 3e4)
        nt = nc if i % 2 else log_uniform_int(rng, 10, 3e4)
        boost = 1 + float(rng.normal(0, 0.05))
        arms = []
        for n, b in ((nc, 1.0), (nt, boost)):
            activity = rng.gamma(2.0, 3.0, n)
            d_pre = rng.poisson(activity).astype(float) + 1
            d = rng.poisson(activity).astype(float) + 1
            z1 = rng.normal(0, 1, n)
            z2 = rho * z1 + math.sqrt(1 - rho * rho) * rng.normal(0, 1, n)
            m_pre = d_pre * np.exp(0.3 * z1) * 2.0
            m = d * np.exp(0.3 * z2) * 2.0 * b
            arms.append({
                "n": int(n), "sumX": float(m.sum()), "sumY": float(d.sum()), "sumX2": float((m * m).sum()),
                "sumY2": float((d * d).sum()), "sumXY": float((m * d).sum()),
                "sumXPre": float(m_pre.sum()), "sumYPre": float(d_pre.sum()), "sumXPre2": float((m_pre**2).sum()),
                "sumYPre2": float((d_pre**2).sum()), "sumXPreYPre": float((m_pre * d_pre).sum()),
                "sumXXPre": float((m * m_pre).sum()), "sumYYPre": float((d * d_pre).sum()),
                "sumXYPre": float((m * d_pre).sum()), "sumYXPre": float((d * m_pre).sum()),
            })
        c, t = arms
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        res = ratio_cuped(c, t)
        exp = {"status": "ok", "theta": res["theta"], "adjustedMeans": res["adjustedMeans"]}
        for name in ("absolute", "relative"):
            e = res[name]
            exp[name] = dict(e, **fixed_tests(e["estimate"], e["standardError"], e["degreesOfFreedom"], alpha))
        cases.append({"id": f"cuped-ratio-{i}-rho{rho}", "alpha": alpha, "control": c, "treatment": t, "expect": exp})
    # Pulse-shaped arms (drawn after the cases above, so those stay as they were): integer counts
    # per unit, a share of units new (no pre-period at all), units with no post-period events
    # (0/0 contributes to both sums), timeouts/requests (binomial numerators) and means (value
    # sums over event counts).
    for i in range(12):
        new_share = [0.3, 0.6, 0.9][i % 3]
        kind = "timeouts" if i % 2 == 0 else "mean"
        nc = log_uniform_int(rng, 50, 2e4)
        nt = log_uniform_int(rng, 50, 2e4)
        arms = []
        for n, lift in ((nc, 1.0), (nt, 1 + float(rng.normal(0, 0.05)))):
            activity = rng.gamma(1.5, 2.0, n)
            d_pre = rng.poisson(activity).astype(float) * (rng.random(n) >= new_share)
            d = rng.poisson(activity).astype(float)
            if kind == "timeouts":
                rate = np.clip(rng.beta(2, 40, n), 0, 1)
                m_pre = rng.binomial(d_pre.astype(int), rate).astype(float)
                m = rng.binomial(d.astype(int), np.clip(rate * lift, 0, 1)).astype(float)
            else:
                spend = rng.gamma(2.0, 15.0, n)
                # A sum of k Poisson values is Poisson with k times the mean (0 without events).
                m_pre = rng.poisson(spend * d_pre).astype(float)
                m = rng.poisson(spend * lift * d).astype(float)
            arms.append({
                "n": int(n), "sumX": float(m.sum()), "sumY": float(d.sum()), "sumX2": float((m * m).sum()),
                "sumY2": float((d * d).sum()), "sumXY": float((m * d).sum()),
                "sumXPre": float(m_pre.sum()), "sumYPre": float(d_pre.sum()), "sumXPre2": float((m_pre**2).sum()),
                "sumYPre2": float((d_pre**2).sum()), "sumXPreYPre": float((m_pre * d_pre).sum()),
                "sumXXPre": float((m * m_pre).sum()), "sumYYPre": float((d * d_pre).sum()),
                "sumXYPre": float((m * d_pre).sum()), "sumYXPre": float((d * m_pre).sum()),
            })
        c, t = arms
        alpha = 0.05
        res = ratio_cuped(c, t)
        exp = {"status": "ok", "theta": res["theta"], "adjustedMeans": res["adjustedMeans"]}
        for name in ("absolute", "relative"):
            e = res[name]
            exp[name] = dict(e, **fixed_tests(e["estimate"], e["standardError"], e["degreesOfFreedom"], alpha))
        cases.append({"id": f"cuped-ratio-pulse-{i}-{kind}-new{new_share}", "alpha": alpha, "control": c, "treatment": t, "expect": exp})
    return cases


def gen_sequential():
    rng = rng_for("sequential")
    cases = []
    for i in range(200):
        n = log_uniform_int(rng, 4, 5e6)
        se = float(10 ** rng.uniform(-4, 1))
        est = float(rng.normal(0, se * float(rng.choice([0.5, 2.0, 5.0, 15.0]))))
        n_star = float(rng.choice([1000, 5000, 5000, 10000, 100000]))
        alpha = float(rng.choice([0.001, 0.01, 0.05, 0.1, 0.2]))
        hw2, p2 = cs_two_sided(est, se, n, n_star, alpha)
        hwg, pg = cs_one_sided(est, se, n, n_star, alpha, True)
        hwl, pl = cs_one_sided(est, se, n, n_star, alpha, False)
        cases.append({
            "id": f"cs-{i}", "estimate": est, "standardError": se, "sampleSize": n, "nStar": n_star, "alpha": alpha,
            "expect": {
                "rhoTwoSided": seq_rho(alpha, n_star, True), "rhoOneSided": seq_rho(alpha, n_star, False),
                "twoSided": [p2, est - hw2, est + hw2],
                "greater": [pg, est - hwg], "less": [pl, est + hwl],
            },
        })
    return cases


def gen_msprt():
    rng = rng_for("msprt")
    cases = []
    for i in range(100):
        se = float(10 ** rng.uniform(-4, 0))
        est = float(rng.normal(0, se * float(rng.choice([0.5, 2.0, 4.0, 8.0]))))
        tau2 = float((se * 10 ** rng.uniform(-1, 2)) ** 2)
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        delta0 = 0.0 if i % 4 else float(rng.normal(0, se))
        log_lr, p, hw = msprt(est, se, tau2, alpha, 0.0)
        if delta0 != 0.0:
            log_lr, p, _ = msprt(est, se, tau2, alpha, delta0)
        cases.append({"id": f"msprt-{i}", "estimate": est, "standardError": se, "mixingVariance": tau2,
                      "alpha": alpha, "nullValue": delta0,
                      "expect": {"logLikelihoodRatio": log_lr, "pValue": p, "interval": [est - hw, est + hw]}})
    return cases


def gen_bayesian():
    rng = rng_for("bayesian")
    cases = []
    for i in range(120):
        se = float(10 ** rng.uniform(-3, 0))
        est = float(rng.normal(0, se * float(rng.choice([0.3, 1.0, 3.0, 8.0]))))
        scale = "relative" if i % 2 else "absolute"
        baseline = float(rng.choice([-1, 1]) * 10 ** rng.uniform(-2, 2))
        prior = None if i % 3 == 0 else {"mean": float(rng.normal(0, 0.05)), "variance": float(rng.choice([0.3**2, 0.05**2, 0.1, 1e6]))}
        alpha = float(rng.choice([0.05, 0.1]))
        increase = bool(i % 5 != 1)
        res = bayes(est, se, scale, baseline, prior, alpha, increase)
        cases.append({"id": f"bayes-{i}", "estimate": est, "standardError": se, "scale": scale, "baselineMean": baseline,
                      "prior": prior, "alpha": alpha, "direction": "increase" if increase else "decrease", "expect": res})
    return cases


def gen_fieller():
    rng = rng_for("fieller")
    cases = []
    for i in range(100):
        nc, nt = log_uniform_int(rng, 5, 1e5), log_uniform_int(rng, 5, 1e5)
        mc = float(rng.choice([-1, 1]) * 10 ** rng.uniform(-1, 1))
        sd = abs(mc) * float(10 ** rng.uniform(-1, 1.5))
        c = {"n": nc, "mean": mc, "variance": sd**2}
        t = {"n": nt, "mean": mc * (1 + float(rng.normal(0, 0.1))), "variance": (sd * float(rng.uniform(0.5, 2))) ** 2}
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        interval, g = fieller(c, t, alpha)
        expect = {"g": g, "estimate": (t["mean"] - c["mean"]) / abs(c["mean"])}
        if interval is None:
            expect["status"] = "unbounded-interval"
        else:
            expect["status"] = "ok"
            expect["interval"] = interval
        cases.append({"id": f"fieller-{i}", "alpha": alpha, "control": c, "treatment": t, "expect": expect})
    return cases


def gen_srm():
    rng = rng_for("srm")
    chi = []
    for i in range(120):
        k = int(rng.integers(2, 7))
        w = rng.uniform(0.2, 1.0, k) if i % 3 else np.ones(k)
        p = w / w.sum()
        n = log_uniform_int(rng, 10, 5e6)
        if i % 2:  # a mismatch: one arm loses a few percent of its units
            q = p.copy()
            q[0] *= 1 - float(rng.uniform(0.001, 0.05))
            q /= q.sum()
        else:
            q = p
        counts = [int(x) for x in rng.multinomial(n, q)]
        weights = [float(x) for x in w]
        stat, pv, expected = srm_chi2(counts, weights)
        chi.append({"id": f"chi2-{i}", "counts": counts, "weights": weights,
                    "expect": {"statistic": stat, "pValue": pv, "expected": expected, "degreesOfFreedom": k - 1}})
    seq = []
    for i in range(100):
        k = int(rng.integers(2, 5))
        w = rng.uniform(0.2, 1.0, k) if i % 3 else np.ones(k)
        p = w / w.sum()
        q = p.copy()
        if i % 2:
            q[0] *= 1 - float(rng.uniform(0.001, 0.05))
            q /= q.sum()
        conc = float(rng.choice([10000.0, 10000.0, 1000.0, 50.0]))
        looks = []
        total = np.zeros(k, dtype=int)
        for _ in range(int(rng.integers(1, 5))):
            total = total + rng.multinomial(log_uniform_int(rng, 5, 3e5), q)
            counts = [int(x) for x in total]
            log_bf, scale = srm_log_bf(counts, [float(x) for x in w], conc)
            looks.append({"counts": counts, "logBayesFactor": log_bf, "logScale": scale})
        seq.append({"id": f"ssrm-{i}", "weights": [float(x) for x in w], "concentration": conc, "looks": looks})
    return {"chiSquare": chi, "sequential": seq}


def gen_winsorize():
    rng = rng_for("winsorize")
    cases = []
    for i in range(50):
        n = log_uniform_int(rng, 1, 3000)
        values = np.where(rng.random(n) < float(rng.choice([0.0, 0.5, 0.9])), 0.0, rng.lognormal(2.0, 1.5, n))
        values = np.round(values, 3)
        q = float(rng.choice([50.0, 90.0, 99.0, 99.9, 100.0, float(rng.uniform(50, 100))]))
        ignore = bool(i % 2)
        counted = values[values != 0] if ignore else values
        if len(counted) == 0:
            expect = {"status": "insufficient-data"}
        else:
            cap = float(np.percentile(counted, q, method="linear"))
            capped = np.where((values == 0) & ignore, values, np.minimum(values, cap))
            expect = {"status": "ok", "cap": cap, "capped": int((capped != values).sum()),
                      "cappedStats": {"n": int(n), "sum": float(capped.sum()), "sumSquares": float((capped**2).sum())}}
        cases.append({"id": f"winsorize-{i}", "values": [float(v) for v in values], "percentile": q,
                      "ignoreZeros": ignore, "expect": expect})
    return cases


# ---------------------------------------------------------------------------------------------


def write(out: Path, name: str, description: str, cases) -> None:
    header = {
        "formatVersion": FORMAT_VERSION,
        "description": description,
        "generator": {
            "script": "packages/stats/scripts/generate_fixtures.py",
            "seed": SEED,
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
    }
    lines = json.dumps(header, indent=2)[:-2] + ',\n  "cases": '
    if isinstance(cases, dict):
        parts = []
        for key, items in cases.items():
            body = ",\n".join("      " + json.dumps(c, separators=(",", ":"), allow_nan=False) for c in items)
            parts.append(f'    "{key}": [\n{body}\n    ]')
        lines += "{\n" + ",\n".join(parts) + "\n  }\n}\n"
    else:
        body = ",\n".join("    " + json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases)
        lines += "[\n" + body + "\n  ]\n}\n"
    (out / f"{name}.json").write_text(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "fixtures")
    args = parser.parse_args()
    check_published()
    args.out.mkdir(parents=True, exist_ok=True)
    write(args.out, "distributions", "scipy.stats norm / t / chi2 CDFs, survival functions and quantiles", gen_distributions())
    write(args.out, "two-sample", "Mean and conversion metrics: absolute and relative lift (delta method), Welch df; t and normal references, two- and one-sided (stats-methods.md 2)", gen_two_sample())
    write(args.out, "ratio", "Ratio metrics with delta-method unit variance (1.3), then as two-sample", gen_ratio())
    write(args.out, "cuped", "CUPED on means and proportions, pooled theta (3.1, 3.2)", gen_cuped())
    write(args.out, "cuped-ratio", "CUPED on ratio metrics (3.2), exact delta method over eight means", gen_cuped_ratio())
    write(args.out, "sequential", "Asymptotic confidence sequences (4.2); one-sided p by root-finding with rho fixed", gen_sequential())
    write(args.out, "msprt", "mSPRT likelihood ratio, p-value and interval (4.3); interval by root-finding", gen_msprt())
    write(args.out, "bayesian", "Effect model posterior, chance to win, risk by truncated-normal means (5)", gen_bayesian())
    write(args.out, "fieller", "Fieller interval for the relative lift from the quadratic's roots (2.4)", gen_fieller())
    write(args.out, "srm", "SRM: scipy.stats.chisquare (6.1); Dirichlet-multinomial log Bayes factors from scipy (6.3)", gen_srm())
    write(args.out, "winsorize", "Percentile caps (numpy.percentile, linear) and capped sums (7)", gen_winsorize())


if __name__ == "__main__":
    main()
