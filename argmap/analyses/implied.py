"""Implied beliefs: what statements about derived claims commit someone to on each step.

Priors on the steps give a distribution for every node. A statement about a node ("P(target) < 1%",
"about 25% given situational awareness") restricts that distribution; conditioning the priors on it
shows what the statement implies for each parameter. A hard statement (below, above, between) is a
truncation of the prior to the region of parameter space where it holds; a soft one (about v with sd)
multiplies the prior by a normal likelihood in P(node).

Two paths compute the same posterior:

- importance sampling (fast): prior draws weighted by the statements' likelihood, with ArviZ's
  Pareto-smoothed importance sampling (PSIS) for soft statements; hard ones are exact rejection. Used
  when the Pareto k-hat is below 0.7 and the effective sample size is large enough;
- NUTS (PyMC): the map's model with a potential per statement, started inside the region.

This module computes; it never prints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from argmap.analyses.importance import KHAT_MAX, MIN_ESS, importance, weighted
from argmap.errors import ArgmapError, LimitError
from argmap.exact import circuit_for, evaluate
from argmap.maps import ArgumentMap
from argmap.priors import Priors
from argmap.statements import Statement

IMPOSSIBLE = 1e-4  # a statement this unlikely under the priors is reported as such
DEFAULT_DRAWS = 500_000


@dataclass(frozen=True)
class ImpliedValue:
    """One probability before and after conditioning on the statements."""

    prior_mean: float
    prior_p05: float
    prior_p95: float
    implied_mean: float
    implied_p05: float
    implied_p95: float
    mcse: float  # Monte Carlo standard error of implied_mean
    implied_sd: float  # standard deviation of the implied distribution
    shift: float  # logit(implied_mean) - logit(prior_mean): the shift in log-odds
    phrases: tuple[str, ...] = ()  # IPCC phrases whose range holds implied_mean


@dataclass(frozen=True)
class Implied:
    """What ``argmap implied`` reports; its JSON output is this object's serialisation."""

    map: str
    priors: tuple[str, ...]
    statements: tuple[Statement, ...]
    method: str  # "importance" or "nuts"
    ess: float
    khat: float | None  # Pareto k-hat of the importance weights (None on the NUTS path)
    prior_probability: float  # share of prior draws inside every statement's range
    draws: int
    seed: int
    parameters: dict[str, ImpliedValue]
    nodes: dict[str, ImpliedValue]
    warnings: tuple[str, ...] = ()
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def reliable(self) -> bool:
        """False when the statements are nearly impossible under the priors."""
        return self.prior_probability >= IMPOSSIBLE


_NUMBER = r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?%?)"


def _value(text: str) -> float:
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def parse_given(text: str) -> Statement:
    """A statement from the command line: ``node < x``, ``node > x``, ``node in [lo, hi]``, ``node ~ v ± sd``.

    Numbers may be written as percentages (``1%``).
    """
    from argmap.statements import parse_statement

    t = text.strip()
    patterns = [
        (rf"^(\w+)\s*<\s*{_NUMBER}$", lambda m: {"below": _value(m[2])}),
        (rf"^(\w+)\s*>\s*{_NUMBER}$", lambda m: {"above": _value(m[2])}),
        (rf"^(\w+)\s+in\s+\[\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\]$",
         lambda m: {"between": [_value(m[2]), _value(m[3])]}),
        (rf"^(\w+)\s*~\s*{_NUMBER}\s*(?:±|\+-|\+/-)\s*{_NUMBER}$",
         lambda m: {"about": _value(m[2]), "sd": _value(m[3])}),
    ]
    for pattern, build in patterns:
        m = re.match(pattern, t)
        if m:
            return parse_statement({"node": m[1], **build(m)}, f"--given {text!r}", 0)
    raise ArgmapError(f"--given {text!r}: write 'NODE < x', 'NODE > x', 'NODE in [lo, hi]' or "
                      "'NODE ~ v ± sd' (numbers as 0.01 or 1%)")


def _probability(amap: ArgumentMap, node_p: dict[str, np.ndarray], node: str) -> np.ndarray:
    """P(node) per draw, or P(numerator) / P(denominator) for a map conditional."""
    cond = next((c for c in amap.conditionals if c.id == node), None)
    if cond is None:
        return node_p[node]
    num, den = node_p[cond.numerator], node_p[cond.denominator]
    return np.divide(num, den, out=np.zeros(num.shape), where=den > 0)


def _loglik(st: Statement, p: np.ndarray) -> np.ndarray:
    if st.kind == "about":
        return -0.5 * ((p - st.value) / st.sd) ** 2
    return np.where((p >= st.lo) & (p <= st.hi), 0.0, -np.inf)


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def ipcc_phrases(p: float) -> tuple[str, ...]:
    """The IPCC AR5 terms whose probability range holds p."""
    from argmap.lexicons import load_lexicon

    lexicon = load_lexicon("ipcc")
    return tuple(name for name, (lo, hi) in lexicon.ranges.items() if lo <= p <= hi)


def _value_row(prior_x: np.ndarray, post_x: np.ndarray, post_w: np.ndarray, mcse: float | None,
               phrases: bool) -> ImpliedValue:
    prior_x = np.asarray(prior_x, float)
    pm, (p05, p95) = float(prior_x.mean()), np.quantile(prior_x, [0.05, 0.95])
    mean, q05, q95, err, sd = weighted(post_x, post_w)
    return ImpliedValue(prior_mean=pm, prior_p05=float(p05), prior_p95=float(p95), implied_mean=mean,
                        implied_p05=q05, implied_p95=q95, mcse=err if mcse is None else mcse,
                        implied_sd=sd, shift=_logit(mean) - _logit(pm),
                        phrases=ipcc_phrases(mean) if phrases else ())


def implied(amap: ArgumentMap, priors: Priors, statements: list[Statement] | tuple[Statement, ...],
            *, draws: int = DEFAULT_DRAWS, seed: int = 0, nuts: bool = False, chains: int = 2,
            tune: int = 1000, posterior_draws: int = 1000, progressbar: bool = False) -> Implied:
    """Condition ``priors`` on ``statements`` about derived nodes of ``amap``.

    Parameters
    ----------
    amap : ArgumentMap
    priors : Priors
    statements : sequence of Statement
        Each from :func:`parse_given` (``"NODE < 1%"``) or a priors file's ``[[statement]]``.
    draws, seed : int
        Prior draws reweighted (importance sampling) and their seed.
    nuts : bool
        Sample with NUTS even where reweighting is reliable.
    chains, tune, posterior_draws, progressbar
        NUTS settings.

    Returns
    -------
    Implied
        What the statements imply for each parameter, and the diagnostics of the method that ran.
    """
    from argmap.model import parameter_generator

    statements = tuple(statements)
    if not statements:
        raise ArgmapError("no statement to condition on: give --given 'NODE < x', or a priors file "
                          "with [[statement]] entries")
    known = set(amap.claims) | {c.id for c in amap.conditionals}
    for st in statements:
        if st.node not in known:
            from argmap.files import did_you_mean

            raise ArgmapError(f"{st.origin}: node {st.node!r} is not a node or conditional of map "
                              f"{amap.id!r}; " + did_you_mean(st.node, known))
    uncertain = priors.uncertain
    if not uncertain:
        raise LimitError("every prior is a fixed value: there is nothing a statement could imply")
    if not 1000 <= draws <= 5_000_000:
        raise LimitError(f"--draws {draws:,}: use between 1,000 and 5,000,000 prior draws")
    circuit = circuit_for(amap)
    values: dict[str, Any] = {}
    for pid, p in priors.entries.items():
        values[pid] = p.value if p.fixed else parameter_generator(seed, pid).beta(p.a, p.b, size=draws)
    node_p = _node_probabilities(circuit, values, draws)
    stated = {st.node: _probability(amap, node_p, st.node) for st in statements}
    inside = np.ones(draws, bool)
    loglik = np.zeros(draws)
    for st in statements:
        x = np.broadcast_to(stated[st.node], (draws,))
        inside &= (x >= st.lo) & (x <= st.hi)
        loglik = loglik + _loglik(st, x)
    prior_probability = float(inside.mean())
    warnings = []
    if prior_probability < IMPOSSIBLE:
        shown = f"below {1 / draws:.0e}" if not inside.any() else f"{prior_probability:.1e}"
        said = (f"the statements are nearly impossible under these priors: {int(inside.sum()):,} of "
                f"{draws:,} prior draws satisfy them (prior probability {shown})")
        if not nuts:
            raise ArgmapError(f"{said}, so what they imply would be unreliable; widen a statement or the "
                              "priors, or add --nuts to sample it anyway")
        warnings.append(f"{said[0].upper()}{said[1:]}; what they imply is unreliable.")
    w, khat, ess = importance(loglik)
    use_nuts = nuts or khat is None or khat >= KHAT_MAX or ess < MIN_ESS
    if not use_nuts:
        params = {pid: _value_row(values[pid], values[pid], w, None, True) for pid in uncertain}
        nodes = {n: _value_row(node_p[n], node_p[n], w, None, False) for n in amap.claims}
        return Implied(map=amap.id, priors=priors.names, statements=statements, method="importance",
                       ess=ess, khat=khat, prior_probability=prior_probability, draws=draws, seed=seed,
                       parameters=params, nodes=nodes, warnings=tuple(warnings))
    if not np.isfinite(loglik).any():
        raise ArgmapError("no prior draw satisfies the statements, so NUTS has nowhere to start: they are "
                          "impossible, or nearly so, under these priors (" + "; ".join(
                              s.describe() for s in statements) + "); widen a statement or the priors")
    return _nuts(amap, priors, statements, values, node_p, loglik, prior_probability, warnings, draws,
                 seed, chains, tune, posterior_draws, progressbar, khat)


def _node_probabilities(circuit: Any, values: dict, draws: int) -> dict[str, np.ndarray]:
    """P(node) for every node and draw, evaluated in chunks so intermediate arrays stay small."""
    chunk = 100_000
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        part = {k: (v[start:stop] if isinstance(v, np.ndarray) else v) for k, v in values.items()}
        for n, x in evaluate(circuit, part).items():
            parts.setdefault(n, []).append(np.broadcast_to(np.asarray(x, float), (stop - start,)))
    return {n: np.concatenate(xs) for n, xs in parts.items()}


def _nuts(amap: ArgumentMap, priors: Priors, statements: tuple[Statement, ...], values: dict,
          node_p: dict, loglik: np.ndarray, prior_probability: float, warnings: list[str], draws: int,
          seed: int, chains: int, tune: int, posterior_draws: int, progressbar: bool,
          khat: float | None) -> Implied:
    """The NUTS path: the map's PyMC model with one potential per statement."""
    from argmap.analyses.update import check_sampler
    from argmap.model import build_model, node_var, prepare, sample_posterior

    check_sampler(chains, tune, posterior_draws)
    prepare("posterior")
    import arviz as az
    import pymc as pm
    import pytensor.tensor as pt

    model = build_model(amap, priors)
    with model:
        for i, st in enumerate(statements):
            cond = next((c for c in amap.conditionals if c.id == st.node), None)
            if cond is None:
                p = model[node_var(st.node)]
            else:
                p = model[node_var(cond.numerator)] / model[node_var(cond.denominator)]
            if st.kind == "about":
                pm.Potential(f"statement {i}", -0.5 * ((p - st.value) / st.sd) ** 2)
            else:
                pm.Potential(f"statement {i}", pt.switch((p >= st.lo) & (p <= st.hi), 0.0, -np.inf))
    # start each chain at a prior draw inside the statements (the most likely ones first)
    best = np.argsort(-loglik, kind="stable")[:chains]
    starts = [{rv.name: float(np.clip(values[rv.name][j], 1e-6, 1 - 1e-6)) for rv in model.free_RVs}
              for j in best]
    idata = sample_posterior(model, chains=chains, tune=tune, draws=posterior_draws, seed=seed,
                             starts=starts, progressbar=progressbar, target_accept=0.95)
    post = idata.posterior
    flat = {pid: (p.value if p.fixed else post[pid].values.ravel()) for pid, p in priors.entries.items()}
    probs = evaluate(circuit_for(amap), flat)
    n = post.sizes["chain"] * post.sizes["draw"]
    w = np.full(n, 1.0 / n)
    summary = az.ess(idata)
    rhat = az.rhat(idata)
    params, nodes = {}, {}
    for pid in priors.uncertain:
        mcse = float(az.mcse(idata, var_names=[pid])[pid])
        params[pid] = _value_row(values[pid], flat[pid], w, mcse, True)
    for node in amap.claims:
        x = np.broadcast_to(np.asarray(probs[node], float), (n,))
        sd = float(np.std(x))
        ess_node = max(1.0, float(min(summary[v].values for v in summary.data_vars)))
        nodes[node] = _value_row(node_p[node], x, w, sd / math.sqrt(ess_node), False)
    divergences = int(idata.sample_stats["diverging"].values.sum())
    ess_min = float(min(summary[v].values for v in summary.data_vars))
    rhat_max = float(max(rhat[v].values for v in rhat.data_vars))
    if rhat_max > 1.01:
        warnings.append(f"r_hat {rhat_max:.3f} > 1.01: the chains disagree; run more --tune or draws.")
    if divergences and any(s.kind != "about" for s in statements):
        warnings.append(f"{divergences} proposals crossed a hard statement's edge and were rejected "
                        "(expected for a truncation; they do not bias the result).")
    elif divergences:
        warnings.append(f"{divergences} divergent transitions: treat the result with care.")
    return Implied(map=amap.id, priors=priors.names, statements=statements, method="nuts", ess=ess_min,
                   khat=khat, prior_probability=prior_probability, draws=draws, seed=seed,
                   parameters=params, nodes=nodes, warnings=tuple(warnings),
                   diagnostics={"r_hat_max": rhat_max, "ess_bulk_min": ess_min,
                                "divergences": divergences, "chains": chains, "tune": tune,
                                "draws": posterior_draws})


def implied_priors(amap: ArgumentMap, base: Priors, statements: tuple[Statement, ...], name: str,
                   draws: int = 200_000, seed: int = 0) -> dict[str, Any]:
    """Priors implied by statements alone: ``base`` conditioned on them, each marginal fitted to a Beta.

    Used for a priors file that holds statements and no priors of its own. The fit keeps each
    parameter's implied mean and variance; the dependence between parameters that conditioning
    creates is dropped, so P(node) under the fitted priors can differ from the statement (the report
    shows both). Only the fast path runs here; a statement too unlikely for it is an error.
    """
    from argmap.errors import PriorsError
    from argmap.fitting import beta_from_mean_sd
    from argmap.priors import Prior

    result = implied(amap, base, statements, draws=draws, seed=seed)
    if result.method != "importance" or not result.reliable:
        raise PriorsError(f"{name}: statement: the statements are too unlikely under the priors this file "
                          f"extends for argmap to fit implied priors at load time (prior probability "
                          f"{result.prior_probability:.1e}); run argmap implied to see why, or widen them")
    described = "; ".join(s.describe() for s in statements)
    out: dict[str, Any] = {}
    for pid, v in result.parameters.items():
        a, b = beta_from_mean_sd(min(max(v.implied_mean, 1e-9), 1 - 1e-9), max(v.implied_sd, 1e-9))
        out[pid] = Prior(pid, f"implied by {described}", a=a, b=b, origin=name, implied_by=described,
                         why=f"The prior of {', '.join(base.names)} conditioned on {described} "
                             f"({result.ess:,.0f} effective draws), fitted to a Beta by mean and variance.")
    return out
