"""Sensitivity: which uncertain claims the verdict hangs on, and how far each must move to flip it.

Everything about the *expected* P(target) is exact: P(target) is multilinear in the parameters, so
with independent priors E[P(target)] = P(target) at the prior means, and with one parameter held at
a value v and the others at their priors it is affine in v. That gives the one-way swings, the
break-even values (a linear equation) and the joint odds factor (a one-dimensional root) without
sampling. Sobol indices describe the whole *distribution* of P(target) over the priors; they are
estimated with SALib (Saltelli design, Beta inputs through their inverse CDF, bootstrap intervals).
No PyMC is needed here: the circuit is evaluated with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from argmap.errors import LimitError
from argmap.exact import circuit_for, depends_on, evaluate, moment_values, set_value, shifted_moments
from argmap.maps import ArgumentMap
from argmap.priors import Priors

DEFAULT_SOBOL_N = 8192  # base samples: the design has N (D + 2) rows
MAX_SOBOL_N = 1 << 17
JOINT_K_MAX = 1e12
SOBOL_MEMORY = 1 << 28  # bytes of design and intermediate arrays evaluated at once


@dataclass(frozen=True)
class ParameterSensitivity:
    """One row of the report: an uncertain parameter and what moving it does to E[P(target)]."""

    parameter: str
    node: str
    label: str
    prior_mean: float
    p05: float
    p95: float
    at_p05: float  # expected P(target) with this parameter at its 5th percentile
    at_p95: float
    s1: float
    s1_conf: float  # half-width of the bootstrap 95% interval
    st: float
    st_conf: float
    break_even: float | None  # value giving E[P(target)] = threshold, None when none in [0, 1]
    plausible_flip: bool  # break_even lies inside the parameter's own 90% interval
    basis: str = "none given"  # where the prior's number comes from: quote, logical, unstated

    @property
    def swing(self) -> float:
        """The width of the one-way swing."""
        return abs(self.at_p95 - self.at_p05)


@dataclass(frozen=True)
class JointShift:
    """The smallest common odds factor that takes E[P(target)] to the threshold."""

    factor: float | None  # None: no factor up to 1e12 does it
    direction: str  # 'raise' or 'lower': which way P(target) must move to reach the threshold
    moved: dict[str, float]  # each parameter's mean after the shift


@dataclass(frozen=True)
class Sensitivity:
    """What ``argmap sensitivity`` reports; its JSON output is this object's serialisation."""

    map: str
    priors: tuple[str, ...]
    target: str
    threshold: float
    expected: float  # E[P(target)] under the priors (exact)
    rows: tuple[ParameterSensitivity, ...]  # sorted by total-order Sobol index, largest first
    joint: JointShift
    sobol_samples: int
    seed: int
    claim: str | None = "below"  # the claim under test (as in Estimate), None for a map without one

    @property
    def holds(self) -> bool | None:
        """Whether the claim under test holds for E[P(target)]; None when there is none."""
        if self.claim is None:
            return None
        return self.expected < self.threshold if self.claim == "below" else self.expected > self.threshold


def _odds_shift(mean: float, k: float, up: bool) -> float:
    """A probability whose odds are multiplied by k (up) or divided by k (down)."""
    if mean in (0.0, 1.0):
        return mean
    return k * mean / (1 - mean + k * mean) if up else mean / (mean + k * (1 - mean))


def sensitivity(amap: ArgumentMap, priors: Priors, *, target: str | None = None,
                threshold: float | None = None, samples: int = DEFAULT_SOBOL_N, seed: int = 0,
                progress: Callable[[float], None] | None = None) -> Sensitivity:
    """One row per uncertain parameter: swings, Sobol indices, break-even; and the joint factor.

    Parameters
    ----------
    amap : ArgumentMap
    priors : Priors
    target, threshold : optional
        Default: the map's.
    samples : int
        Base samples of the Sobol design, rounded up to a power of two (the result says which).
    seed : int
        Seed of the design and of SALib's bootstrap.
    progress : callable, optional
        Called with the fraction done.

    Returns
    -------
    Sensitivity
        Rows sorted by total-order index, the exact expected P(target) and the joint odds factor.
    """
    from scipy import stats

    claim = amap.claim_for(target, threshold)
    target, threshold = amap.question(target, threshold)
    if not 64 <= samples <= MAX_SOBOL_N:
        raise LimitError(f"--samples {samples}: use between 64 and {MAX_SOBOL_N:,} base samples")
    circuit = circuit_for(amap)
    means = moment_values(amap, priors)

    def expected(values: dict) -> float:
        return float(evaluate(circuit, values, nodes=[target])[target])

    base = expected(means)
    uncertain = priors.uncertain
    if not uncertain:
        raise LimitError("every prior is a fixed value: there is no uncertainty to analyse")
    samples = 1 << max(6, math.ceil(math.log2(samples)))  # Sobol sequences want a power of two
    sobol = _sobol(circuit, target, priors, uncertain, samples, seed, progress)
    rows = []
    for i, pid in enumerate(uncertain):
        prior = priors.entries[pid]
        lo, hi = (float(v) for v in stats.beta.ppf([0.05, 0.95], prior.a, prior.b))
        at = {v: expected(set_value(means, circuit, pid, v)) for v in (0.0, 1.0, lo, hi)}
        slope = at[1.0] - at[0.0]
        be = None
        copied = any(base == pid and depends_on(circuit, target, name)
                     for name, (base, _) in circuit.derived.items())
        if copied:  # through an at_least_one_of copy, E[P] is monotone in it but not affine: solve
            from scipy import optimize

            def gap(v: float, pid: str = pid) -> float:
                return expected(set_value(means, circuit, pid, v)) - threshold
            if gap(0.0) * gap(1.0) < 0:
                be = float(optimize.brentq(gap, 0.0, 1.0, xtol=1e-12))
        elif slope != 0:  # E[P(target)] is affine in this parameter
            v = (threshold - at[0.0]) / slope
            be = v if 0 <= v <= 1 else None
        claim = amap.claims[amap.parameters[pid].node]
        rows.append(ParameterSensitivity(
            parameter=pid, node=claim.id, label=claim.label, prior_mean=prior.mean, p05=lo, p95=hi,
            at_p05=at[lo], at_p95=at[hi], s1=float(sobol["S1"][i]), s1_conf=float(sobol["S1_conf"][i]),
            st=float(sobol["ST"][i]), st_conf=float(sobol["ST_conf"][i]), break_even=be,
            plausible_flip=be is not None and lo <= be <= hi, basis=prior.provenance))
    rows.sort(key=lambda r: (-r.st, -r.swing, r.parameter))
    joint = _joint(expected, means, uncertain, threshold, base, circuit, priors)
    return Sensitivity(map=amap.id, priors=priors.names, target=target, threshold=threshold,
                       expected=base, rows=tuple(rows), joint=joint, sobol_samples=samples, seed=seed,
                       claim=claim)


def _sobol(circuit, target: str, priors: Priors, uncertain: list[str], samples: int, seed: int,
           progress: Callable[[float], None] | None) -> dict:
    """First- and total-order Sobol indices of P(target) over the priors, with SALib.

    The Saltelli design (rows A, A with column k from B for each k, B, per base sample) is SALib's
    own: the same scrambled Sobol sequence, built here a block of base samples at a time, so memory
    stays bounded however many parameters there are (the whole design would be N (D + 2) x D
    numbers: 3 GB at D = 221). Only the N (D + 2) model outputs are kept, for SALib's estimators
    and bootstrap.
    """
    from SALib.analyze import sobol as sobol_analyze
    from scipy import stats
    from scipy.stats import qmc

    from argmap.exact import peak_live

    if len(uncertain) == 1:  # one input carries all the variance
        return {"S1": [1.0], "S1_conf": [0.0], "ST": [1.0], "ST_conf": [0.0]}
    d = len(uncertain)
    problem = {"num_vars": d, "names": uncertain, "bounds": [[0.0, 1.0]] * d}
    n = samples  # a power of two, rounded by sensitivity() (Sobol sequences want one)
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n)  # as SALib.sample.sobol draws it
    x = np.empty_like(base)  # the Beta quantiles of A's and B's columns
    for j, pid in enumerate(uncertain):
        prior = priors.entries[pid]
        for col in (j, d + j):
            x[:, col] = stats.beta.ppf(base[:, col], prior.a, prior.b)
    del base
    fixed = {p: v.value for p, v in priors.entries.items() if v.fixed}
    per_row = 8 * (d + peak_live(circuit) + 2)
    block = max(1, min(n, SOBOL_MEMORY // (per_row * (d + 2))))
    y = np.empty((n, d + 2))
    for start in range(0, n, block):
        rows = slice(start, min(n, start + block))
        m = rows.stop - rows.start
        values = dict(fixed)
        for j, pid in enumerate(uncertain):
            col = np.repeat(x[rows, j], d + 2).reshape(m, d + 2)
            col[:, j + 1] = x[rows, d + j]  # the row that takes column j from B
            col[:, d + 1] = x[rows, d + j]  # B itself
            values[pid] = col.ravel()
        y[rows] = np.broadcast_to(evaluate(circuit, values, nodes=[target])[target], (m * (d + 2),)).reshape(m, d + 2)
        if progress:
            progress(0.9 * rows.stop / n)
    y = y.ravel()
    if np.ptp(y) == 0:
        raise LimitError(f"P({target}) does not vary over the priors: Sobol indices are undefined")
    # SALib seeds its bootstrap only when `if seed:` holds, so 0 would mean "unseeded": shift it
    result = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=200,
                                   conf_level=0.95, seed=seed + 1)
    if progress:
        progress(1.0)
    return result


def _joint(expected: Callable[[dict], float], means: dict[str, float], uncertain: list[str],
           threshold: float, base: float, circuit: Any, priors: Priors) -> JointShift:
    """The smallest common odds factor k that puts E[P(target)] at the threshold.

    Each uncertain mean's odds move by k toward the threshold: up for parameters that raise
    P(target) and down for those that lower it, or the reverse when P(target) must fall.
    """
    from scipy import optimize

    direction = "raise" if base < threshold else "lower"
    if base == threshold:
        return JointShift(1.0, direction, {p: means[p] for p in priors.entries})
    ups = {}
    for pid in uncertain:
        slope = (expected(set_value(means, circuit, pid, 1.0))
                 - expected(set_value(means, circuit, pid, 0.0)))
        ups[pid] = (slope > 0) == (direction == "raise")

    def moved(k: float) -> dict[str, float]:
        shifted = {**means, **{p: _odds_shift(means[p], k, ups[p]) for p in uncertain}}
        return {**shifted, **shifted_moments(circuit, priors, shifted)}

    def gap(logk: float) -> float:
        return expected(moved(math.exp(logk))) - threshold

    grid = np.linspace(0.0, math.log(JOINT_K_MAX), 241)
    sign0 = math.copysign(1, gap(0.0))
    for a, b in zip(grid[:-1], grid[1:], strict=True):
        if math.copysign(1, gap(b)) != sign0:
            logk = optimize.brentq(gap, a, b, xtol=1e-14, rtol=4 * np.finfo(float).eps)
            k = math.exp(logk)
            return JointShift(k, direction, {p: v for p, v in moved(k).items() if p in priors.entries})
    return JointShift(None, direction, {})


def first_order_indices(amap: ArgumentMap, priors: Priors,
                        variances: dict[str, float]) -> dict[str, dict[str, float]]:
    """Each uncertain parameter's first-order Sobol index on P(node), for every node in ``variances``.

    P(node) is multilinear, so with the other parameters integrated out it is affine in one parameter
    theta_i: E[P | theta_i] = c + theta_i * (P(theta_i = 1) - P(theta_i = 0)) at the other prior means.
    Its variance, the numerator of S1, is Var(theta_i) times that slope squared: no sampling, and one
    batched circuit evaluation (two columns per parameter) serves every node. ``variances`` maps each
    node to Var(P(node)), from the draws.
    """
    from argmap.exact import derived_moments

    circuit = circuit_for(amap)
    uncertain = priors.uncertain
    means = moment_values(amap, priors)
    k = len(uncertain)
    values = {name: np.full(2 * k, m) if name in uncertain or name in circuit.derived else m
              for name, m in means.items()}
    for j, pid in enumerate(uncertain):  # column 2j: theta = 0; column 2j + 1: theta = 1
        values[pid][2 * j], values[pid][2 * j + 1] = 0.0, 1.0
        for name, (base, _) in circuit.derived.items():  # (1 - theta)^N follows theta
            if base == pid:
                values[name][2 * j], values[name][2 * j + 1] = 1.0, 0.0
    at = evaluate(circuit, values, nodes=list(variances)) if k else {}
    moments = derived_moments(circuit, priors)
    out: dict[str, dict[str, float]] = {}
    for node, variance in variances.items():
        slope = np.broadcast_to(np.asarray(at.get(node, 0.0), float), (2 * k,))
        slope = slope[1::2] - slope[0::2]
        out[node] = {}
        for j, pid in enumerate(uncertain):
            p = priors.entries[pid]
            var = p.a * p.b / ((p.a + p.b) ** 2 * (p.a + p.b + 1))
            # an at_least_one_of node uses its template's parameter only through u = (1 - theta)^N,
            # in which P(node) is linear; the template's own marginal uses theta itself
            for name, (base, _) in circuit.derived.items():
                if base == pid and depends_on(circuit, node, name):
                    var = moments[name][1]
            out[node][pid] = min(1.0, var * float(slope[j]) ** 2 / variance) if variance > 0 else 0.0
    return out
