"""Update: the posterior of every node's probability given evidence (the two-level model, evidence.py).

Two ways to the same posterior:

- the fast path reweights the prior draws that ``estimate`` already made: each draw gets draws of the
  evidence's rates, each reference class's kappa and propensity r from their priors, and the weight
  L(results | r, rates) with every model's disposition summed out; the weights are Pareto-smoothed
  (ArviZ's PSIS) and used when their k-hat is below 0.7 and enough draws carry them;
- NUTS on the PyMC model (the prior model plus the same likelihood as a Potential) otherwise, or when
  asked for. Each chain starts from its own draw of the prior (over-dispersed starting points make
  r_hat meaningful).

Node probabilities are computed from the posterior draws of the parameters with the same exact circuit
the model's Deterministics use.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
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
METHODS = ("auto", "nuts", "importance")


@dataclass(frozen=True)
class ClassSummary:
    """What the evidence says about today's reference class for one claim."""

    about: str
    kappa: str
    models: int
    tests: int
    r_prior_mean: float
    r_mean: float  # posterior mean of today's propensity (P(about) itself when kappa is infinite)
    r_p05: float
    r_p95: float


def check_sampler(chains: int, tune: int, draws: int) -> None:
    """Refuse NUTS settings argmap does not support, with the reason."""
    if not 1 <= chains <= MAX_CHAINS:
        raise LimitError(f"--chains {chains}: use 1 to {MAX_CHAINS} chains (2 or more to check r_hat)")
    if not 0 <= tune <= MAX_POSTERIOR_DRAWS:
        raise LimitError(f"--tune {tune}: use 0 to {MAX_POSTERIOR_DRAWS:,} tuning steps")
    if not 100 <= draws <= MAX_POSTERIOR_DRAWS:
        raise LimitError(f"--posterior-draws {draws}: use 100 to {MAX_POSTERIOR_DRAWS:,} per chain")


def beta_draws(rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Beta(a, b) draws that stay right for tiny a or b: numpy's sampler returns 0 for most draws
    when a is about 1e-5, which biases the mean. Gamma(a) = Gamma(a + 1) U^(1/a), taken in logs."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    log_x = np.log(rng.standard_gamma(a + 1)) + np.log(rng.random(a.shape)) / a
    log_y = np.log(rng.standard_gamma(b + 1)) + np.log(rng.random(b.shape)) / b
    return np.exp(log_x - np.logaddexp(log_x, log_y))


def evidence_draws(em: Any, node_p: dict[str, np.ndarray], n: int, seed: int) -> dict[str, np.ndarray]:
    """Draws from the priors of the evidence's rates, kappas and propensities, beside n prior draws.

    Each variable has its own generator, a function of the seed and its name (model.py), so adding a
    file does not change the draws of another's variables.
    """
    from argmap.evidence import EPS
    from argmap.model import parameter_generator

    values: dict[str, np.ndarray] = {}
    for name, prior in em.rates.items():
        if not prior.fixed:
            values[name] = beta_draws(parameter_generator(seed, name), np.full(n, prior.a), prior.b)
    for c in em.classes:
        p = node_p[c.about]
        if c.kappa.infinite:
            values[c.about] = p
            continue
        if c.kappa.fixed:
            kappa = np.full(n, c.kappa.value)
        else:
            kappa = np.exp(c.kappa.mu + c.kappa.sigma
                           * parameter_generator(seed, c.kappa_name).standard_normal(n))
            values[c.kappa_name] = kappa
        p = EPS + (1 - 2 * EPS) * p
        values[c.r_name] = beta_draws(parameter_generator(seed, c.r_name), kappa * p, kappa * (1 - p))
    return values


def update(prior: Estimate, amap: ArgumentMap, priors: Priors, em: Any, *, chains: int, tune: int,
           draws: int, seed: int, progressbar: bool, method: str = "auto") -> Estimate:
    """The posterior version of ``prior`` given the evidence model ``em``."""
    from argmap.analyses.importance import KHAT_MAX, MIN_ESS, importance
    from argmap.evidence import log_likelihood
    from argmap.model import node_var

    if method not in METHODS:
        raise LimitError(f"method {method!r}: use one of {', '.join(METHODS)}")
    check_sampler(chains, tune, draws)
    if not priors.uncertain:
        raise EvidenceError("nothing to update: every prior is a fixed value, and evidence cannot change "
                            "a fixed probability; give the claims uncertain priors")
    n = prior.node_sample
    node_p = {node: prior.kept[node_var(node)] for node in amap.claims}
    check_possible(em, node_p)
    ev = evidence_draws(em, node_p, n, seed)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        loglik = np.broadcast_to(np.asarray(log_likelihood(em, ev, np), float), (n,))
    if not np.isfinite(loglik).any():
        raise EvidenceError("the evidence is impossible under the map and priors: no prior draw can "
                            "produce it; check the counts, the sensitivities and the false-positive rates")
    w, khat, ess = importance(loglik)
    reliable = khat is not None and khat < KHAT_MAX and ess >= MIN_ESS
    if method == "importance" and not reliable:
        raise EvidenceError(f"importance sampling is unreliable here (Pareto k {_k(khat)}, "
                            f"{ess:,.0f} effective draws); let argmap use NUTS")
    if method == "nuts" or not reliable:
        why = "asked for" if method == "nuts" else f"importance sampling unreliable: Pareto k {_k(khat)}, " \
                                                   f"{ess:,.0f} effective draws"
        return _nuts(prior, amap, priors, em, ev, chains=chains, tune=tune, draws=draws, seed=seed,
                     progressbar=progressbar, khat=khat, why=why)
    return _reweighted(prior, amap, priors, em, w, khat, ess, ev, seed)


def check_possible(em: Any, node_p: dict[str, np.ndarray]) -> None:
    """Refuse evidence that no draw can produce because the priors settle its claim.

    A claim that is false in every draw (its probability fixed at 0) leaves today's models without it,
    so a positive from a test with no false positives cannot happen; a claim true in every draw gives
    every model it, so a negative from a test that never misses, on a model surely capable, cannot
    either. The likelihood's guard against log(0) would otherwise make such evidence merely very
    unlikely in every draw alike, and the posterior would silently equal the prior.
    """
    def fixed(name: str, value: float) -> bool:
        prior = em.rates[name]
        return prior.fixed and prior.value == value

    for c in em.classes:
        p = node_p[c.about]
        never, always = bool(np.all(p == 0)), bool(np.all(p == 1))
        for u in c.units:
            for t in u.tests:
                if never and t.positives and fixed(t.false_positive_rate, 0.0):
                    raise EvidenceError(
                        f"the evidence is impossible under the map and priors: P({c.about}) is 0 in every "
                        f"draw (the priors settle it), yet {u.model!r} reports {t.positives} positive "
                        "result(s) from a test with a false-positive rate of 0; give the claim an "
                        "uncertain prior or the test a false-positive rate above 0")
                if always and t.trials > t.positives and fixed(t.sensitivity, 1.0) and (
                        u.capable is None or fixed(u.capable, 1.0)):
                    raise EvidenceError(
                        f"the evidence is impossible under the map and priors: P({c.about}) is 1 in every "
                        f"draw (the priors settle it), yet {u.model!r} reports {t.trials - t.positives} "
                        "negative result(s) from a test that never misses; give the claim an uncertain "
                        "prior or the test a sensitivity below 1")


def _k(khat: float | None) -> str:
    return "undefined" if khat is None else f"{khat:.2f}"


def _weighted_summary(x: np.ndarray, w: np.ndarray, threshold: float) -> Summary:
    from argmap.analyses.importance import weighted

    mean, q05, q95, mcse, _ = weighted(x, w)
    keep = w > 0
    order = np.argsort(x[keep], kind="stable")
    cum = np.cumsum(w[keep][order])
    median = float(x[keep][order][min(np.searchsorted(cum, 0.5), order.size - 1)])
    below = float(w[x < threshold].sum())
    return Summary(mean=mean, mcse=mcse, exact_mean=None, median=median, p05=q05, p95=q95,
                   prob_below_threshold=below)


def _resample(w: np.ndarray, seed: int) -> np.ndarray:
    """Systematic resampling: len(w) indices drawn in proportion to the weights."""
    n = w.size
    u = (np.random.default_rng([seed, 7]).random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(w), u), n - 1)


def _reweighted(prior: Estimate, amap: ArgumentMap, priors: Priors, em: Any, w: np.ndarray,
                khat: float, ess: float, ev: dict[str, np.ndarray], seed: int) -> Estimate:
    from argmap.analyses.routes import routes
    from argmap.model import node_var

    kept = prior.kept
    targets = {node: _weighted_summary(kept[node_var(node)], w, prior.threshold) for node in prior.targets}
    idx = _resample(w, seed)
    nodes = {}
    for node in amap.claims:
        x = kept[node_var(node)][idx]
        q05, q95 = np.quantile(x, [0.05, 0.95])
        nodes[node] = NodeSummary(mean=float(np.sum(w * kept[node_var(node)])), p05=float(q05),
                                  p95=float(q95))
    values = {pid: (p.value if p.fixed else kept[pid][idx]) for pid, p in priors.entries.items()}
    conditionals, lever = map_extras(amap, prior.target, values, None)
    from argmap.analyses.monitoring import monitoring_summary

    monitoring = monitoring_summary(amap, prior.target, values, None)
    diagnostics = Diagnostics(r_hat_max=float("nan"), ess_bulk_min=ess, divergences=0, chains=1, tune=0,
                              draws=w.size, method="importance", pareto_k=khat,
                              warnings=_ess_warning(ess))

    def posterior() -> Any:  # built only when asked for (--save, .idata): it copies every kept draw
        resampled = {k: v[idx] for k, v in kept.items()}
        resampled.update({k: v[idx] for k, v in ev.items()
                          if isinstance(v, np.ndarray) and k not in amap.claims})
        return _idata(resampled, diagnostics)
    classes = _class_summaries(em, ev, w, idx)
    return dataclasses.replace(
        prior, result=targets[prior.target], targets=targets, nodes=nodes, conditionals=conditionals,
        lever=lever, routes=routes(amap, prior.target, values, None), prior_result=prior.result,
        prior_targets=prior.targets, prior_nodes=prior.nodes, diagnostics=diagnostics,
        evidence=_listed(em), evidence_model=em, reference_classes=classes, posterior=posterior,
        monitoring=monitoring)


def _ess_warning(ess: float) -> tuple[str, ...]:
    return ((f"only {ess:,.0f} effective draws carry the weight; increase --draws",)
            if ess < ESS_LIMIT else ())


def _idata(draws: dict[str, np.ndarray], diagnostics: Diagnostics) -> Any:
    """An InferenceData posterior group of resampled draws (one chain)."""
    import arviz as az

    return az.from_dict(posterior={k: v[None, :] for k, v in draws.items()},
                        attrs={"method": "importance", "pareto_k": diagnostics.pareto_k,
                               "ess": diagnostics.ess_bulk_min})


def _listed(em: Any) -> tuple[Any, ...]:
    return tuple(em.entries) + tuple(em.tests)


def _class_summaries(em: Any, prior_draws: dict[str, np.ndarray], w: np.ndarray | None,
                     idx: np.ndarray | None, posterior: dict[str, np.ndarray] | None = None
                     ) -> tuple[ClassSummary, ...]:
    """Today's propensity r for each reference class, before and after the evidence."""
    out = []
    for c in em.classes:
        name = c.about if c.kappa.infinite else c.r_name
        before = np.asarray(prior_draws[name], float)
        after = before[idx] if posterior is None else np.asarray(posterior[name], float).ravel()
        mean = float(np.sum(w * before)) if posterior is None else float(after.mean())
        q05, q95 = np.quantile(after, [0.05, 0.95])
        tests = sum(len(u.tests) * u.count for u in c.units)
        out.append(ClassSummary(c.about, c.kappa.spec, c.models, tests, float(before.mean()), mean,
                                float(q05), float(q95)))
    return tuple(out)


def _nuts(prior: Estimate, amap: ArgumentMap, priors: Priors, em: Any, before: dict[str, np.ndarray], *,
          chains: int, tune: int, draws: int, seed: int, progressbar: bool, khat: float | None,
          why: str) -> Estimate:
    """NUTS on the model; ``before`` holds the prior draws of the evidence's variables (for the report)."""
    import arviz as az

    from argmap.model import build_model, node_var, prepare, sample_posterior

    prepare("posterior")
    model = build_model(amap, priors, em)
    rng = np.random.default_rng(seed)
    starts = []
    for _ in range(chains):
        start = {}
        for rv in model.free_RVs:
            params = rv.owner.op.dist_params(rv.owner)
            if type(rv.owner.op).__name__ != "BetaRV" or not all(hasattr(p, "data") for p in params):
                continue  # kappa and r start at their prior means (PyMC's default)
            a, b = (float(p.data) for p in params)
            start[rv.name] = float(np.clip(rng.beta(a, b), 1e-6, 1 - 1e-6))
        starts.append(start)
    from pymc.exceptions import SamplingError

    try:
        # a finite kappa couples r to p through Beta(kappa p, kappa (1 - p)), a funnel-like geometry
        # that the default step size crosses with divergences; smaller steps keep it exact
        funnel = any(not c.kappa.infinite for c in em.classes)
        idata = sample_posterior(model, chains=chains, tune=tune, draws=draws, seed=seed,
                                 starts=starts, progressbar=progressbar,
                                 target_accept=0.95 if funnel else 0.8)
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
    diagnostics = _diagnostics(idata, az, chains, tune, draws, khat, why)
    flat = {k: (np.asarray(v).ravel() if np.ndim(v) else v) for k, v in values.items()}
    conditionals, lever = map_extras(amap, prior.target, flat, None)
    from argmap.analyses.monitoring import monitoring_summary
    from argmap.analyses.routes import routes

    after = {(c.about if c.kappa.infinite else c.r_name):
             (post[node_var(c.about)].values if c.kappa.infinite else post[c.r_name].values)
             for c in em.classes}
    classes = _class_summaries(em, before, None, None, after)
    return dataclasses.replace(
        prior, result=targets[prior.target], targets=targets, nodes=nodes,
        conditionals=conditionals, lever=lever, routes=routes(amap, prior.target, flat, None),
        prior_result=prior.result, prior_targets=prior.targets, prior_nodes=prior.nodes,
        diagnostics=diagnostics, evidence=_listed(em), evidence_model=em, reference_classes=classes,
        posterior=idata, monitoring=monitoring_summary(amap, prior.target, flat, None))


def _summary(x: Any, threshold: float) -> Summary:
    """Summary of a (chain, draw) DataArray; the MCSE accounts for autocorrelation (arviz)."""
    import arviz as az

    flat = x.values.ravel()
    mcse = float(az.mcse(x.to_dataset(name="x"), method="mean")["x"]) if np.ptp(flat) > 0 else 0.0
    return summarise(flat, flat.mean(), mcse, None, threshold)


def _diagnostics(idata: Any, az: Any, chains: int, tune: int, draws: int, khat: float | None,
                 why: str) -> Diagnostics:
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
                       tune=tune, draws=draws, warnings=tuple(warnings), method="nuts",
                       pareto_k=khat, reason=why)


__all__ = ["ClassSummary", "update", "check_sampler", "beta_draws", "evidence_draws"]
