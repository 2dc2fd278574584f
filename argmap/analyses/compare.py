"""Many minds: compare priors files, split their disagreement into cruxes, and pool them.

The expected P(target) depends on each prior only through its mean (it is multilinear in the
parameters), so the difference between two people's expected P(target) is a function of their means
alone. Cruxes split that difference over the parameters with Shapley values of the game
v(S) = E[P(target)] with the parameters in S at the second file's means and the rest at the first's:
exact (every subset) when at most 16 parameters differ, else estimated by sampling permutations,
whose contributions still sum exactly to the total. Pooling combines the files' Betas per parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from argmap.errors import ArgmapError, LimitError
from argmap.exact import circuit_for, evaluate, moment_values
from argmap.maps import ArgumentMap
from argmap.priors import Priors

MAX_EXACT = 16
DEFAULT_PERMUTATIONS = 2000


@dataclass(frozen=True)
class Comparison:
    """Several priors files side by side: each one's estimate, and each parameter's means."""

    map: str
    names: tuple[str, ...]
    target: str
    threshold: float
    estimates: tuple[Any, ...]  # one Estimate per file
    means: dict[str, tuple[float, ...]]  # parameter -> prior mean in each file
    spread: dict[str, float]  # parameter -> largest minus smallest mean
    marked: tuple[str, ...]  # the parameters where the files differ most


@dataclass(frozen=True)
class Crux:
    """One parameter's share of the difference between two files' expected P(target)."""

    parameter: str
    label: str
    mean_a: float
    mean_b: float
    contribution: float  # Shapley value
    error: float  # standard error (0 in exact mode)
    alone: float  # change in E[P(target)] from swapping only this parameter


@dataclass(frozen=True)
class Cruxes:
    """The difference in expected P(target) between two files, split over the parameters."""

    map: str
    a: str
    b: str
    target: str
    expected_a: float
    expected_b: float
    rows: tuple[Crux, ...]  # sorted by |contribution|, largest first
    exact: bool
    permutations: int  # in sampled mode

    @property
    def difference(self) -> float:
        """E[P(target)] under b minus under a."""
        return self.expected_b - self.expected_a

    @property
    def top(self) -> Crux | None:
        """The single parameter whose swap alone leaves the smallest gap (None if none narrows it)."""
        if not self.rows or self.difference == 0:
            return None
        best = min(self.rows, key=lambda r: abs(self.difference - r.alone))
        return best if self.closed(best) > 0 else None

    def closed(self, row: Crux) -> float:
        """The share of the gap that swapping only this parameter closes (negative: it widens it)."""
        return 1 - abs(self.difference - row.alone) / abs(self.difference)


def compare(amap: ArgumentMap, priors: Sequence[Priors], *, target: str | None = None,
            threshold: float | None = None, draws: int = 100_000, seed: int = 0,
            mark: int = 5) -> Comparison:
    """Estimate the map under each priors file and line their parameters up.

    Parameters
    ----------
    amap : ArgumentMap
    priors : sequence of Priors
        Two or more, each estimated on its own (from :func:`argmap.select_each`).
    target, threshold : optional
        The node and the claim's threshold; default: the map's.
    draws, seed : int
        Prior draws and seed of each estimate.
    mark : int
        How many of the most different parameters to mark.

    Returns
    -------
    Comparison
        Each file's estimate, and the parameters where the files differ most.
    """
    from argmap.analyses.estimate import estimate

    if len(priors) < 2:
        raise ArgmapError("compare needs at least two priors files")
    target, threshold = amap.question(target, threshold)
    estimates = tuple(estimate(amap, p, target=target, threshold=threshold, draws=draws, seed=seed,
                               evidence=()) for p in priors)
    means = {pid: tuple(p.entries[pid].mean for p in priors) for pid in amap.parameters}
    spread = {pid: max(m) - min(m) for pid, m in means.items()}
    marked = tuple(sorted((p for p in spread if spread[p] > 0), key=lambda p: -spread[p])[:mark])
    return Comparison(map=amap.id, names=tuple(p.names[-1] for p in priors), target=target,
                      threshold=threshold, estimates=estimates, means=means, spread=spread,
                      marked=marked)


def cruxes(amap: ArgumentMap, a: Priors, b: Priors, *, target: str | None = None,
           permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0,
           force_sampling: bool = False) -> Cruxes:
    """Shapley decomposition of E[P(target) | b] - E[P(target) | a] over the parameters.

    Exact: by enumeration of every coalition up to 16 differing parameters, by Owen's formula with
    Gauss-Legendre quadrature beyond (E[P] is multilinear); the values sum to the difference.

    Parameters
    ----------
    amap : ArgumentMap
    a, b : Priors
        The two files compared; the decomposition moves from ``a`` to ``b``.
    target : str, optional
        Default: the map's target.
    permutations, seed, force_sampling
        Sampled Shapley values over random orderings instead (``force_sampling``), for checks.

    Returns
    -------
    Cruxes
        One crux per parameter that differs: its share of the difference and the swap alone.
    """
    target, _ = amap.question(target, None)
    circuit = circuit_for(amap)
    ma, mb = moment_values(amap, a), moment_values(amap, b)
    differ = [p for p in amap.parameters if ma[p] != mb[p]
              or any(base == p and ma[n] != mb[n] for n, (base, _) in circuit.derived.items())]

    def value(masks: np.ndarray) -> np.ndarray:
        """E[P(target)] for each row of a matrix: 1 (True) takes b's mean (and b's moments of the
        parameter's at_least_one_of copies), 0 a's, and a fraction x between them a + x (b - a), which
        is the multilinear extension of the game (E[P] is linear in each parameter's one use)."""
        x = np.asarray(masks, float)
        values = dict(ma)
        for j, p in enumerate(differ):
            values[p] = ma[p] + x[:, j] * (mb[p] - ma[p])
            for n, (base, _) in circuit.derived.items():
                if base == p:
                    values[n] = ma[n] + x[:, j] * (mb[n] - ma[n])
        out = evaluate(circuit, values, nodes=[target])[target]
        return np.broadcast_to(np.asarray(out, float), (len(masks),))

    d = len(differ)
    none, full = (float(value(np.zeros((1, d), bool))[0]), float(value(np.ones((1, d), bool))[0]))
    if d == 0:
        return Cruxes(amap.id, a.names[-1], b.names[-1], target, none, full, (), True, 0)
    alone = value(np.eye(d, dtype=bool)) - none
    if d <= MAX_EXACT and not force_sampling:
        phi, err, exact, perms = _exact_shapley(value, d), np.zeros(d), True, 0
    elif not force_sampling:
        phi, err, exact, perms = _owen_shapley(value, d), np.zeros(d), True, 0
    else:
        if permutations < 10:
            raise LimitError(f"--permutations {permutations}: use at least 10")
        phi, err = _sampled_shapley(value, d, permutations, seed)
        exact, perms = False, permutations
    labels = {p: amap.claims[amap.parameters[p].node].label for p in differ}
    rows = [Crux(p, labels[p], ma[p], mb[p], float(phi[j]), float(err[j]), float(alone[j]))
            for j, p in enumerate(differ)]
    rows.sort(key=lambda r: (-abs(r.contribution), r.parameter))
    return Cruxes(amap.id, a.names[-1], b.names[-1], target, none, full, tuple(rows), exact, perms)


def _exact_shapley(value: Any, d: int) -> np.ndarray:
    """phi_i = sum over S not containing i of |S|! (d - |S| - 1)! / d! (v(S + i) - v(S))."""
    codes = np.arange(1 << d)
    masks = ((codes[:, None] >> np.arange(d)) & 1).astype(bool)
    v = value(masks)
    size = masks.sum(axis=1)
    weight = np.array([math.factorial(k) * math.factorial(d - k - 1) / math.factorial(d)
                       for k in range(d)])
    phi = np.zeros(d)
    for i in range(d):
        without = ~masks[:, i]
        phi[i] = np.sum(weight[size[without]] * (v[codes[without] | (1 << i)] - v[without]))
    return phi


def _owen_shapley(value: Any, d: int) -> np.ndarray:
    """Exact Shapley values of a multilinear game by Owen's formula.

    phi_i = integral over t in [0, 1] of v(x_i = 1, others = t) - v(x_i = 0, others = t), with v the
    multilinear extension. The integrand is a polynomial of degree at most d - 1 in t, so Gauss-Legendre
    quadrature with ceil(d / 2) nodes is exact: 2 d ceil(d / 2) evaluations instead of 2^d.
    """
    nodes, weights = np.polynomial.legendre.leggauss(max(1, math.ceil(d / 2)))
    t, w = (nodes + 1) / 2, weights / 2
    x = np.broadcast_to(t[:, None, None, None], (len(t), d, 2, d)).copy()
    for i in range(d):
        x[:, i, 0, i], x[:, i, 1, i] = 0.0, 1.0
    v = value(x.reshape(-1, d)).reshape(len(t), d, 2)
    return (w[:, None] * (v[:, :, 1] - v[:, :, 0])).sum(axis=0)


def _sampled_shapley(value: Any, d: int, permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean marginal contribution over random orderings, with its standard error.

    Along each ordering the contributions telescope to v(all) - v(none), so the estimates sum to the
    exact difference whatever the sample.
    """
    rng = np.random.default_rng(seed)
    contrib = np.empty((permutations, d))
    for k in range(permutations):
        order = rng.permutation(d)
        masks = np.zeros((d + 1, d), bool)
        for step, i in enumerate(order, start=1):
            masks[step:, i] = True
        v = value(masks)
        contrib[k, order] = np.diff(v)
    return contrib.mean(axis=0), contrib.std(axis=0, ddof=1) / math.sqrt(permutations)


@dataclass(frozen=True)
class PooledPrior:
    """One parameter's pooled prior: a Beta, or a fixed value when every input agrees exactly."""

    parameter: str
    a: float | None
    b: float | None
    value: float | None
    inputs: tuple[str, ...]  # each file's prior, as written


def pool(amap: ArgumentMap, priors: Sequence[Priors], method: str,
         weights: Sequence[float] | None = None) -> list[PooledPrior]:
    """Pool the files' priors per parameter.

    Parameters
    ----------
    amap : ArgumentMap
    priors : sequence of Priors
    method : {"linear", "logarithmic"}
    weights : sequence of float, optional
        One per file, normalised to sum to 1; default: equal.

    Returns
    -------
    list of PooledPrior
        One per parameter of the map.

    Notes
    -----

    linear: the mixture sum w_i p_i, summarised by the Beta with its mean and variance (method of
    moments; the mixture itself may be multimodal, which one Beta cannot show).
    logarithmic: the normalised product prod p_i^w_i, which for Betas is exactly
    Beta(sum w_i (a_i - 1) + 1, sum w_i (b_i - 1) + 1); a fixed value in any input (with weight > 0)
    is the pool, and two different fixed values are an error.
    """
    from argmap.fitting import beta_from_mean_sd

    if method not in ("linear", "logarithmic"):
        raise ArgmapError(f"--method {method!r}: choose linear or logarithmic")
    if len(priors) < 2:
        raise ArgmapError("pool needs at least two priors files")
    w = np.ones(len(priors)) if weights is None else np.asarray(weights, float)
    if len(w) != len(priors) or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise ArgmapError(f"--weights: give {len(priors)} non-negative numbers, not all zero")
    w = w / w.sum()
    out = []
    for pid in amap.parameters:
        ps = [p.entries[pid] for p in priors]
        inputs = tuple(f"{p.names[-1]}: {q.describe()}" for p, q in zip(priors, ps, strict=True))
        if all(q.fixed for q in ps) and len({q.value for q in ps}) == 1:
            out.append(PooledPrior(pid, None, None, ps[0].value, inputs))
            continue
        if method == "logarithmic":
            # a point mass dominates a normalised product: the product vanishes everywhere else
            fixed = {q.value for wi, q in zip(w, ps, strict=True) if q.fixed and wi > 0}
            if len(fixed) > 1:
                raise ArgmapError(f"{pid}: the files fix it at different values {sorted(fixed)}, so "
                                  "their logarithmic pool is empty; use --method linear")
            if fixed:
                out.append(PooledPrior(pid, None, None, fixed.pop(), inputs))
                continue
            # a file with weight 0 takes no part, fixed or not
            used = [(wi, q) for wi, q in zip(w, ps, strict=True) if wi > 0]
            a = float(sum(wi * (q.a - 1) for wi, q in used) + 1)
            b = float(sum(wi * (q.b - 1) for wi, q in used) + 1)
            out.append(PooledPrior(pid, a, b, None, inputs))
            continue
        m = [q.mean for q in ps]
        v = [0.0 if q.fixed else q.a * q.b / ((q.a + q.b) ** 2 * (q.a + q.b + 1)) for q in ps]
        mean = float(np.dot(w, m))
        var = float(np.dot(w, np.asarray(v) + np.asarray(m) ** 2) - mean**2)
        if var <= 1e-15 or mean in (0.0, 1.0):
            out.append(PooledPrior(pid, None, None, mean, inputs))
            continue
        a, b = beta_from_mean_sd(mean, math.sqrt(min(var, mean * (1 - mean) * (1 - 1e-9))))
        out.append(PooledPrior(pid, a, b, None, inputs))
    return out




