"""Estimate: the distribution of P(target) over the parameters' uncertainty.

Draws parameters from their priors with the map's PyMC model, in chunks so memory stays bounded,
and summarises each node's probability. The exact mean comes from the circuit at the prior means:
P(node) is multilinear in the parameters (each appears at most once per term, as theta or 1 - theta),
so with independent priors E[P(node)] = P(node) at E[theta], which the sampled mean must match.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from argmap.errors import LimitError
from argmap.exact import exact_probabilities
from argmap.maps import ArgumentMap
from argmap.priors import Priors

MAX_DRAWS = 10_000_000
CHUNK = 250_000  # draws evaluated at once at most: ~100 MB of arrays for the shipped map
KEEP = 1_000_000  # draws of every variable kept for node intervals and the InferenceData, at most
# arrays of draws a run may hold: a quarter for the chunk being evaluated, three quarters for the
# kept draws (a large map keeps fewer than KEEP, and says how many in `node_sample`)
MEMORY = 1 << 30
MIN_CHUNK = 1_000
UNSTATED_S1 = 0.05  # an unstated prior with a larger first-order index is named under the verdict


@dataclass(frozen=True)
class Summary:
    """The distribution of one probability over the parameters' uncertainty."""

    mean: float
    mcse: float
    exact_mean: float | None
    median: float
    p05: float
    p95: float
    prob_below_threshold: float


@dataclass(frozen=True)
class NodeSummary:
    """Mean and 90% interval of one node's probability."""

    mean: float
    p05: float
    p95: float
    exact_mean: float | None = None


@dataclass(frozen=True)
class Interval:
    """A probability's value and 90% interval over the draws (value exact when it can be)."""

    value: float
    median: float
    p05: float
    p95: float


@dataclass(frozen=True)
class Lever:
    """The target with a premise forced true and forced false: what that premise is worth."""

    node: str
    if_true: Interval
    if_false: Interval

    @property
    def reduction(self) -> float:
        """How much lower the target is with the premise true than with it false."""
        return self.if_false.value - self.if_true.value


@dataclass(frozen=True)
class Diagnostics:
    """How far the posterior sample can be trusted (NUTS), with the warnings it calls for."""

    r_hat_max: float
    ess_bulk_min: float
    divergences: int
    chains: int
    tune: int
    draws: int
    warnings: tuple[str, ...] = ()
    method: str = "nuts"  # or "importance": prior draws reweighted (PSIS)
    pareto_k: float | None = None  # of the importance weights, also when they were found unreliable
    reason: str = ""  # why NUTS ran: "asked for", or why the importance weights were not used


@dataclass(frozen=True)
class Inference:
    """How the node probabilities were computed for each parameter draw."""

    method: str = "exact"  # the map's circuit; or "sampled": the claims' truth values sampled
    worlds: int | None = None  # joint states sampled per parameter draw ("sampled")
    width: int | None = None  # claims tracked jointly by the exact method
    reason: str = ""  # why the exact method was not used
    chunk: int = 0  # draws evaluated at once


@dataclass(frozen=True)
class Estimate:
    """What ``argmap estimate`` reports; the JSON output is this object's serialisation."""

    map: str
    priors: tuple[str, ...]
    target: str
    threshold: float
    draws: int
    seed: int
    result: Summary
    targets: dict[str, Summary]
    nodes: dict[str, NodeSummary]
    node_sample: int  # draws behind the node intervals (all of them up to KEEP)
    kept: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    # with evidence: `result`, `targets` and `nodes` describe the posterior, these the prior
    prior_result: Summary | None = None
    prior_targets: dict[str, Summary] | None = None
    prior_nodes: dict[str, NodeSummary] | None = None
    diagnostics: Diagnostics | None = None
    evidence: tuple[Any, ...] = ()  # the shorthand entries and the tests that were used
    evidence_model: Any = field(default=None, repr=False, compare=False)
    reference_classes: tuple[Any, ...] = ()  # ClassSummary of each claim the evidence bears on
    # with evidence: the posterior's InferenceData, or a function of no arguments that builds it (the
    # reweighted path defers building it, which copies every draw); read it through posterior_idata
    posterior: Any = field(default=None, repr=False, compare=False)
    conditionals: dict[str, Interval] = field(default_factory=dict)  # the map's [[conditional]]s
    lever: Lever | None = None
    routes: tuple[Any, ...] = ()  # RouteGroups of the target, when it is `any` of several routes
    monitoring: Any = None  # MonitoringSummary, for a map with a [monitoring] table
    # for each headline node: every uncertain parameter's first-order Sobol index on P(node) under
    # the priors, and where its number comes from ('quote', 'logical', 'unstated', 'none given'),
    # largest first
    drivers_by_target: dict[str, tuple[tuple[str, float, str], ...]] = field(default_factory=dict)
    inference: Inference = field(default_factory=Inference)
    # the claim under test about the target: "below" (P < threshold), "above", or None (no verdict)
    claim: str | None = "below"

    @property
    def drivers(self) -> tuple[tuple[str, float, str], ...]:
        """The target's parameters by first-order index, largest first, with their basis."""
        return self.drivers_by_target.get(self.target, ())

    def unstated_drivers_of(self, node: str) -> tuple[tuple[str, float], ...]:
        """Priors marked unstated whose first-order index on P(node) exceeds 0.05."""
        return tuple((pid, s1) for pid, s1, basis in self.drivers_by_target.get(node, ())
                     if basis == "unstated" and s1 > UNSTATED_S1)

    def rests_on_silence_of(self, node: str) -> bool:
        """True when unstated priors carry most of the spread of P(node) (first-order indices)."""
        return sum(s1 for _, s1, basis in self.drivers_by_target.get(node, ()) if basis == "unstated") > 0.5

    @property
    def rests_on_silence(self) -> bool:
        """True when unstated priors carry most of the spread of P(target)."""
        return self.rests_on_silence_of(self.target)

    @property
    def unstated_drivers(self) -> tuple[tuple[str, float], ...]:
        """Priors marked unstated whose first-order index on the target exceeds 0.05."""
        return self.unstated_drivers_of(self.target)

    @cached_property
    def idata(self) -> Any:
        """The kept draws (parameters and every P(node)) as an arviz InferenceData ``prior`` group.

        Built on first use: it copies the draws, which the CLI's tables do not need.
        """
        import arviz as az

        prior = az.from_dict(prior={k: v[None, :] for k, v in self.kept.items()}, attrs={
            "map": self.map, "priors": ",".join(self.priors), "draws": self.draws,
            "kept_draws": self.node_sample, "seed": self.seed, "inference_library": "pymc"})
        if self.posterior is None:
            return prior
        both = self.posterior_idata.copy()
        both.extend(prior)
        return both

    @cached_property
    def posterior_idata(self) -> Any:
        """The posterior's InferenceData (None without evidence), built on first use when deferred."""
        return self.posterior() if callable(self.posterior) else self.posterior

    @property
    def holds(self) -> bool | None:
        """Whether the claim under test holds for the expected P(target); None when there is none."""
        if self.claim is None:
            return None
        below = self.result.mean < self.threshold
        return below if self.claim == "below" else self.result.mean > self.threshold


class _Moments:
    """Running mean and variance over chunks (Chan et al.'s pairwise update)."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, x: np.ndarray) -> None:
        n, mean = x.size, float(x.mean())
        if x.min() == x.max():  # a fixed value: exactly no spread, not rounding residue
            mean, m2 = float(x[0]), 0.0
        else:
            m2 = float(((x - mean) ** 2).sum())
        total = self.n + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta**2 * self.n * n / total
        self.n = total

    @property
    def sd(self) -> float:
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0


def summarise(x: np.ndarray, mean: float, mcse: float, exact_mean: float | None,
              threshold: float) -> Summary:
    """A Summary of draws ``x`` of one probability, given its mean and that mean's error."""
    q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
    return Summary(mean=float(mean), mcse=float(mcse), exact_mean=exact_mean, median=float(q50),
                   p05=float(q05), p95=float(q95),
                   prob_below_threshold=float(np.count_nonzero(x < threshold) / x.size))


def check_draws(draws: int) -> None:
    """Refuse draw counts argmap does not support, with the reason."""
    if draws < 100:
        raise LimitError(f"--draws {draws}: use at least 100 draws (the default is 100,000)")
    if draws > MAX_DRAWS:
        raise LimitError(f"--draws {draws:,}: at most {MAX_DRAWS:,} are supported; at that count "
                         "the Monte Carlo error is already far below any difference that matters")


def estimate(amap: ArgumentMap, priors: Priors, *, target: str | None = None,
             threshold: float | None = None, draws: int = 100_000, seed: int = 0,
             evidence: Any = None, chains: int = 2, tune: int = 1000, posterior_draws: int = 1000,
             progressbar: bool = False, kappa: Any = None, method: str = "auto",
             draw_cache: Any = None) -> Estimate:
    """Propagate the priors' uncertainty through ``amap`` to every node's probability.

    With evidence (``evidence``: shorthand entries and/or loaded evidence files, else the priors
    files' own entries) the result is the posterior under the two-level model (argmap.evidence), by
    reweighting the prior draws when that is reliable and by NUTS otherwise (``method``: "auto",
    "importance" or "nuts"); the prior summaries are kept beside it. ``kappa`` (a
    :class:`argmap.evidence.Kappa`) overrides every evidence file's. ``draw_cache`` (a
    :class:`argmap.model.DrawCache`) reuses prior draws between runs; the result is the same.

    Parameters
    ----------
    amap : ArgumentMap
    priors : Priors
    target, threshold : optional
        The node and the claim under test; default: the map's.
    draws : int
        Parameter draws from the priors (100 to 10,000,000).
    seed : int
        The same seed gives the same result; each parameter's draws depend only on it and the id.
    evidence : sequence, optional
        Evidence entries and/or files (:func:`argmap.evidence.load_evidence_document`); default: the
        priors files' own entries; ``()`` for none.
    chains, tune, posterior_draws, progressbar : optional
        NUTS settings, when NUTS runs.
    kappa : Kappa, optional
    method : {"auto", "importance", "nuts"}
    draw_cache : DrawCache, optional

    Returns
    -------
    Estimate
        Summaries of the target, the map's targets and every node (posterior ones with evidence),
        the kept draws (``Estimate.idata`` for ArviZ) and how inference ran (``Estimate.inference``).
    """
    from argmap.evidence import evidence_model
    from argmap.model import node_var

    em = evidence_model(priors.evidence if evidence is None else evidence, amap, kappa)
    claim = amap.claim_for(target, threshold)
    target, threshold = amap.question(target, threshold)
    check_draws(draws)
    headline = list(dict.fromkeys([target, *amap.targets]))
    sampler, inference = forward_sampler(amap, priors, seed, evidence=em is not None, cache=draw_cache)
    chunk = inference.chunk
    per_draw = 8 * (len(sampler.params) + len(amap.claims))
    kept = min(draws, KEEP, max(MIN_CHUNK, (MEMORY - MEMORY // 4) // per_draw))
    moments = {n: _Moments() for n in amap.claims}
    full = {n: np.empty(draws) for n in headline}  # every draw of the targets, for exact quantiles
    kept_nodes = {n: np.empty(kept) for n in amap.claims}
    kept_params = {p: np.empty(kept) for p in sampler.params}
    done = 0
    while done < draws:
        n = min(chunk, draws - done)
        nodes, params = sampler.draw(n)
        keep = max(0, min(n, kept - done))
        for node, x in nodes.items():
            moments[node].add(x)
            if node in full:
                full[node][done:done + n] = x
            kept_nodes[node][done:done + keep] = x[:keep]
        for p, x in params.items():
            kept_params[p][done:done + keep] = x[:keep]
        done += n
    kept_draws = dict(kept_params)
    kept_draws.update({node_var(n): x for n, x in kept_nodes.items()})
    if inference.method != "exact":  # no exact means, and the analyses that need the circuit are left out
        targets = {node: summarise(full[node], moments[node].mean, moments[node].sd / math.sqrt(draws), None,
                                   threshold) for node in headline}
        del full
        return Estimate(map=amap.id, priors=priors.names, target=target, threshold=threshold, draws=draws,
                        seed=seed, result=targets[target], targets=targets,
                        nodes=_node_summaries(amap, moments, kept_nodes, None), node_sample=kept,
                        kept=kept_draws, inference=inference, claim=claim)
    from argmap.exact import moment_values

    at_means = moment_values(amap, priors)
    exact = exact_probabilities(amap, at_means)
    targets = {}
    for node in headline:
        targets[node] = summarise(full[node], moments[node].mean, moments[node].sd / math.sqrt(draws),
                                  float(exact[node]), threshold)
    del full
    node_summaries = _node_summaries(amap, moments, kept_nodes, exact)
    values = {pid: (p.value if p.fixed else kept_params[pid]) for pid, p in priors.entries.items()}
    conditionals, lever = map_extras(amap, target, values, at_means)
    from argmap.analyses.monitoring import monitoring_summary
    from argmap.analyses.routes import routes
    from argmap.analyses.sensitivity import first_order_indices

    indices = first_order_indices(amap, priors, {node: moments[node].sd ** 2 for node in headline})
    drivers = {node: tuple(sorted(((pid, v, priors.entries[pid].provenance) for pid, v in s1.items()),
                                  key=lambda d: (-d[1], d[0])))
               for node, s1 in indices.items()}
    prior = Estimate(map=amap.id, priors=priors.names, target=target, threshold=threshold,
                     draws=draws, seed=seed, result=targets[target], targets=targets,
                     nodes=node_summaries, node_sample=kept, kept=kept_draws,
                     conditionals=conditionals, lever=lever,
                     routes=routes(amap, target, values, at_means, kept_nodes),
                     drivers_by_target=drivers,
                     monitoring=monitoring_summary(amap, target, values, at_means, priors),
                     inference=inference, claim=claim)
    if em is None:
        return prior
    from argmap.analyses.update import update

    return update(prior, amap, priors, em, chains=chains, tune=tune, draws=posterior_draws,
                  seed=seed, progressbar=progressbar, method=method)


def forward_sampler(amap: ArgumentMap, priors: Priors, seed: int, *, evidence: bool = False,
                    cache: Any = None) -> tuple[Any, Inference]:
    """The sampler of a run and how it infers: the exact circuit, or sampled worlds past its budget.

    The chunk size keeps the arrays being evaluated within a quarter of :data:`MEMORY`.
    """
    from argmap.exact import ExactLimit, circuit_for, peak_live
    from argmap.model import ForwardSampler

    try:
        circuit = circuit_for(amap)
        live = peak_live(circuit)
        per_draw = 8 * (live + len(priors.entries) + len(amap.claims))
        if per_draw * MIN_CHUNK > MEMORY // 4:
            raise ExactLimit(f"map {amap.id!r} is past the exact method's memory budget: its circuit holds "
                             f"{live:,} values per draw at once")
    except ExactLimit as exc:
        if evidence:
            raise ExactLimit(f"{exc}; evidence needs exact inference: split the map or cut links") from None
        from argmap.sampled import WORLDS, SampledSampler

        per_draw = 8 * (3 * len(amap.claims) + len(priors.entries)) * 2
        chunk = max(MIN_CHUNK, min(CHUNK, (MEMORY // 4) // per_draw))
        return SampledSampler(amap, priors, seed, cache=cache), Inference("sampled", worlds=WORLDS, reason=str(exc),
                                                             chunk=chunk)
    chunk = max(MIN_CHUNK, min(CHUNK, (MEMORY // 4) // per_draw))
    return ForwardSampler(amap, priors, seed, cache), Inference("exact", width=circuit.max_frontier, chunk=chunk)


def _node_summaries(amap: ArgumentMap, moments: dict[str, _Moments], kept_nodes: dict[str, np.ndarray],
                    exact: dict[str, Any] | None) -> dict[str, NodeSummary]:
    out = {}
    for node in amap.claims:
        q05, q95 = np.quantile(kept_nodes[node], [0.05, 0.95])
        out[node] = NodeSummary(mean=moments[node].mean, p05=float(q05), p95=float(q95),
                                exact_mean=None if exact is None else float(exact[node]))
    return out


def _interval(x: np.ndarray, value: float) -> Interval:
    q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
    return Interval(value=float(value), median=float(q50), p05=float(q05), p95=float(q95))


def map_extras(amap: ArgumentMap, target: str, values: dict[str, Any],
               means: dict[str, float] | None) -> tuple[dict[str, Interval], Lever | None]:
    """The map's conditionals and lever, from parameter draws (and exactly, given prior means).

    A conditional's value is E[P(numerator)] / E[P(denominator)], the conditional probability under
    the uncertainty; its interval is that of the per-draw ratio. A lever's values are E[P(target)]
    with the premise set to 1 and to 0 (exact at the prior means when ``means`` is given).
    """
    if not amap.conditionals and amap.lever is None:
        return {}, None
    from argmap.exact import circuit_for, evaluate, set_value

    circuit = circuit_for(amap)
    n = max((np.size(v) for v in values.values()), default=1)

    def draws(vals: dict[str, Any], nodes: list[str]) -> dict[str, np.ndarray]:
        out = evaluate(circuit, vals, nodes=nodes)
        return {k: np.broadcast_to(np.asarray(v, float), (n,)) for k, v in out.items()}

    conditionals = {}
    for c in amap.conditionals:
        d = draws(values, [c.numerator, c.denominator])
        num, den = d[c.numerator], d[c.denominator]
        if means is not None:
            exact = evaluate(circuit, means, nodes=[c.numerator, c.denominator])
            value = exact[c.numerator] / exact[c.denominator] if exact[c.denominator] > 0 else float("nan")
        else:
            value = num.mean() / den.mean() if den.mean() > 0 else float("nan")
        ratio = np.divide(num, den, out=np.zeros(n), where=den > 0)
        conditionals[c.id] = _interval(ratio, value)
    lever = None
    if amap.lever is not None:
        sides = []
        for setting in (1.0, 0.0):
            x = draws({**values, amap.lever: setting}, [target])[target]
            value = (evaluate(circuit, set_value(means, circuit, amap.lever, setting), nodes=[target])[target]
                     if means is not None else x.mean())
            sides.append(_interval(x, value))
        lever = Lever(amap.lever, *sides)
    return conditionals, lever
