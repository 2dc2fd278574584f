"""Forward draws past the exact method's budget: the claims' truth values sampled per parameter draw.

For each draw of the parameters, :class:`SampledSampler` samples ``worlds`` joint states of the claims
in topological order. Each node's probability for that draw is estimated by the average, over the
worlds, of its probability *given its sampled parents* (Rao-Blackwellised ancestral sampling): an
unbiased estimate of P(node | parameters), with less noise than counting how often the node came out
true. Means over the draws are then unbiased, and their Monte Carlo error covers both the parameter
draws and the worlds; the spread of a node's per-draw estimates is its spread over the parameters
widened by the worlds' noise (binomial, at most 1 / (4 worlds) in variance). This module never prints.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from argmap.exact import none_of
from argmap.maps import ArgumentMap, Claim
from argmap.priors import Priors

WORLDS = 16  # joint states of the claims sampled per parameter draw


def conditional(claim: Claim, amap: ArgumentMap, truth: dict[str, np.ndarray],
                values: dict[str, Any]) -> Any:
    """P(claim | its parents' values in ``truth``), per draw, at the parameter values ``values``."""
    parents = [truth[p] for p in claim.parents]
    if claim.kind == "root":
        return values[claim.id]
    if claim.kind == "given":
        out: Any = 0.0
        for param in claim.parameters:
            hit = np.ones_like(parents[0], dtype=bool)
            for (_, want), have in zip(param.condition, parents, strict=True):
                hit = hit & (have if want else ~have)
            out = out + np.where(hit, values[param.id], 0.0)
        return out
    if claim.kind == "at_least_one_of":
        q = conditional(amap.claims[claim.template], amap, truth, values)
        return 1.0 - none_of(q, claim.counts)
    if claim.kind == "not":
        holds = ~parents[0]
    elif claim.kind == "all":
        holds = np.logical_and.reduce(parents)
    else:
        holds = np.logical_or.reduce(parents)
    return np.where(holds, values[claim.id] if claim.chance else 1.0, 0.0)


class SampledSampler:
    """The interface of :class:`argmap.model.ForwardSampler`, estimating each node by sampled worlds."""

    def __init__(self, amap: ArgumentMap, priors: Priors, seed: int, worlds: int = WORLDS,
                 cache: Any = None) -> None:
        from argmap.model import parameter_source

        self._params = parameter_source(priors, seed, cache)
        self.amap, self.worlds = amap, worlds
        self.nodes = list(amap.claims)
        self.fixed = {pid: p.value for pid, p in priors.entries.items() if p.fixed}
        self.params = [pid for pid, p in priors.entries.items() if not p.fixed]
        self._rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x5A3D])))
        self._order = amap.topological_order()

    def draw(self, n: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """One chunk: (estimated node probabilities, parameter draws), each array of length n."""
        params = self._params(n)
        values = {**self.fixed, **params}
        total = {node: np.zeros(n) for node in self.nodes}
        for _ in range(self.worlds):
            truth: dict[str, np.ndarray] = {}
            for node in self._order:
                p = np.broadcast_to(np.asarray(conditional(self.amap.claims[node], self.amap, truth, values),
                                               dtype=float), (n,))
                total[node] += p
                truth[node] = self._rng.random(n) < p
        return {node: x / self.worlds for node, x in total.items()}, params
