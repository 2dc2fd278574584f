"""Update: the posterior of every node's probability given evidence, sampled with NUTS.

The PyMC model is the prior model plus one Binomial likelihood per evidence entry (model.py). Each
chain starts from its own draw of the prior (over-dispersed starting points make r_hat meaningful).
Node probabilities are computed from the posterior draws of the parameters with the same exact
circuit the model's Deterministics use, and added to the posterior group.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from argmap.analyses.estimate import Diagnostics, Estimate, NodeSummary, Summary, map_extras, summarise
from argmap.errors import EvidenceError, LimitError
from argmap.exact import exact_probabilities
from argmap.maps import ArgumentMap
from argmap.priors import Priors

R_HAT_LIMIT = 1.01
ESS_LIMIT = 400
MAX_CHAINS, MAX_POSTERIOR_DRAWS = 16, 100_000


def check_sampler(chains: int, tune: int, draws: int) -> None:
    """Refuse NUTS settings argmap does not support, with the reason."""
    if not 1 <= chains <= MAX_CHAINS:
        raise LimitError(f"--chains {chains}: use 1 to {MAX_CHAINS} chains (2 or more to check r_hat)")
    if not 0 <= tune <= MAX_POSTERIOR_DRAWS:
        raise LimitError(f"--tune {tune}: use 0 to {MAX_POSTERIOR_DRAWS:,} tuning steps")
    if not 100 <= draws <= MAX_POSTERIOR_DRAWS:
        raise LimitError(f"--posterior-draws {draws}: use 100 to {MAX_POSTERIOR_DRAWS:,} per chain")


def update(prior: Estimate, amap: ArgumentMap, priors: Priors, evidence: tuple, *, chains: int,
           tune: int, draws: int, seed: int, progressbar: bool) -> Estimate:
    """The posterior version of ``prior`` given ``evidence``."""
    import arviz as az

    from argmap.evidence import check_evidence
    from argmap.model import build_model, node_var, sample_posterior

    check_sampler(chains, tune, draws)
    check_evidence(list(evidence), amap)
    model = build_model(amap, priors, evidence)
    if not model.free_RVs:
        raise EvidenceError("nothing to update: every prior and every evidence rate is a fixed value, "
                            "and evidence cannot change a fixed probability; give the claims uncertain "
                            "priors")
    rng = np.random.default_rng(seed)
    starts = []
    for _ in range(chains):
        start = {}
        for rv in model.free_RVs:
            a, b = (float(p.data) for p in rv.owner.op.dist_params(rv.owner))
            start[rv.name] = float(np.clip(rng.beta(a, b), 1e-6, 1 - 1e-6))
        starts.append(start)
    from pymc.exceptions import SamplingError

    try:
        idata = sample_posterior(model, chains=chains, tune=tune, draws=draws, seed=seed,
                                 starts=starts, progressbar=progressbar)
    except (SamplingError, FloatingPointError) as exc:  # the evidence is impossible under the map
        raise EvidenceError("the evidence is impossible, or nearly so, under the map and priors "
                            f"(NUTS could not start: {str(exc).splitlines()[0]}); check the counts, "
                            "the sensitivity and the false-positive rate") from None
    post = idata.posterior
    values = {pid: (p.value if p.fixed else post[pid].values) for pid, p in priors.entries.items()}
    probs = exact_probabilities(amap, values)
    shape = (post.sizes["chain"], post.sizes["draw"])
    for node in amap.claims:
        post[node_var(node)] = (("chain", "draw"), np.broadcast_to(np.asarray(probs[node], float), shape))
    targets = {n: _summary(post[node_var(n)], prior.threshold) for n in prior.targets}
    nodes = {}
    for n in amap.claims:
        x = post[node_var(n)].values.ravel()
        q05, q95 = np.quantile(x, [0.05, 0.95])
        nodes[n] = NodeSummary(mean=float(x.mean()), p05=float(q05), p95=float(q95))
    diagnostics = _diagnostics(idata, az, chains, tune, draws)
    flat = {k: (np.asarray(v).ravel() if np.ndim(v) else v) for k, v in values.items()}
    conditionals, lever = map_extras(amap, prior.target, flat, None)
    from argmap.analyses.routes import routes

    return dataclasses.replace(
        prior, result=targets[prior.target], targets=targets, nodes=nodes,
        conditionals=conditionals, lever=lever, routes=routes(amap, prior.target, flat, None),
        prior_result=prior.result, prior_targets=prior.targets, prior_nodes=prior.nodes,
        diagnostics=diagnostics, evidence=tuple(evidence), posterior=idata)


def _summary(x: Any, threshold: float) -> Summary:
    """Summary of a (chain, draw) DataArray; the MCSE accounts for autocorrelation (arviz)."""
    import arviz as az

    flat = x.values.ravel()
    mcse = float(az.mcse(x.to_dataset(name="x"), method="mean")["x"]) if np.ptp(flat) > 0 else 0.0
    return summarise(flat, flat.mean(), mcse, None, threshold)


def _diagnostics(idata: Any, az: Any, chains: int, tune: int, draws: int) -> Diagnostics:
    varying = [v for v in idata.posterior.data_vars if np.ptp(idata.posterior[v].values) > 0]
    sub = idata.posterior[varying]
    r_hat = float(az.rhat(sub).to_array().max()) if chains > 1 else float("nan")
    ess = float(az.ess(sub, method="bulk").to_array().min())
    divergences = int(idata.sample_stats["diverging"].sum())
    warnings = []
    if chains < 2:
        warnings.append("one chain only: r_hat cannot be checked; use --chains 2 or more")
    elif r_hat > R_HAT_LIMIT:
        warnings.append(f"r_hat {r_hat:.3f} > {R_HAT_LIMIT}: the chains disagree; increase --tune "
                        "and --posterior-draws")
    if ess < ESS_LIMIT:
        warnings.append(f"bulk ESS {ess:.0f} < {ESS_LIMIT}: too few effective draws; increase "
                        "--posterior-draws")
    if divergences:
        warnings.append(f"{divergences} divergent transitions: the posterior may be biased; increase "
                        "--tune or check the evidence")
    return Diagnostics(r_hat_max=r_hat, ess_bulk_min=ess, divergences=divergences, chains=chains,
                       tune=tune, draws=draws, warnings=tuple(warnings))
