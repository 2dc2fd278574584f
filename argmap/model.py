"""The PyMC model of a map, and forward draws of the same probabilities with numpy.

The map's probabilities have one formulation, its circuit (argmap.exact), and two array back-ends:
:func:`build_model` evaluates it on PyTensor tensors (Beta parameters, every node's probability a
Deterministic: the model NUTS samples), and :class:`ForwardSampler` evaluates it on numpy arrays
holding a chunk of prior draws, with nothing to compile. This module never prints.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from argmap.exact import circuit_for, evaluate
from argmap.maps import ArgumentMap
from argmap.priors import Priors

EPS = 1e-12


def cache_dir() -> Path:
    """Argmap's cache folder: ARGMAP_CACHE_DIR, else argmap/ under XDG_CACHE_HOME or ~/.cache."""
    chosen = os.environ.get("ARGMAP_CACHE_DIR")
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "argmap"


# Set by the command line (argmap.cli), which owns its process: a callable taking the purpose
# ("posterior": the only thing argmap compiles is NUTS's log-density) that chooses PyTensor's compile
# cache, quiets its logging and imports PyMC.
# As a library argmap leaves the host's environment, loggers, warning filters and other libraries alone.
PROCESS_HOOK: Any = None
# Also set by the command line: called once the run's compiled functions exist (it lets other argmap
# processes waiting to compile into the same cache go on).
COMPILED_HOOK: Any = None


def compiled(stage: str) -> None:
    """Tell the CLI, if it is listening, that this run's ``stage`` ("posterior") is compiled."""
    if COMPILED_HOOK is not None:
        COMPILED_HOOK(stage)


def prepare(purpose: str = "posterior") -> None:
    """Import PyMC and ArviZ for a run: through the CLI's process hook when there is one."""
    if PROCESS_HOOK is not None:
        PROCESS_HOOK(purpose)
    else:
        quiet_imports()


def quiet_imports() -> None:
    """Import PyMC and ArviZ with their import-time FutureWarnings silenced, for this import only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz  # noqa: F401
        import pymc  # noqa: F401


def node_var(node: str) -> str:
    """The model's name for P(node): parameter ids and node ids may coincide, so nodes get P(...)."""
    return f"P({node})"


def build_model(amap: ArgumentMap, priors: Priors, evidence: Any = None) -> Any:
    """The map's ``pm.Model``.

    Each uncertain parameter is a ``pm.Beta``, fixed ones are constants, and every node's
    probability is a ``pm.Deterministic`` named ``P(node)``, computed exactly by the map's circuit.
    With an :class:`argmap.evidence.EvidenceModel` the model also holds its two-level likelihood
    (:func:`add_evidence`).

    Parameters
    ----------
    amap : ArgumentMap
    priors : Priors
    evidence : EvidenceModel, optional

    Returns
    -------
    pymc.Model
    """
    quiet_imports()
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model() as model:
        values: dict[str, Any] = {}
        for pid, prior in priors.entries.items():
            values[pid] = prior.value if prior.fixed else pm.Beta(pid, alpha=prior.a, beta=prior.b)
        probs = evaluate(circuit_for(amap), values)
        for node in amap.claims:
            pm.Deterministic(node_var(node), pt.as_tensor_variable(np.float64(probs[node]))
                             if isinstance(probs[node], float | int) else probs[node])
        if evidence is not None:
            add_evidence(model, evidence)
    return model


def add_evidence(model: Any, em: Any) -> None:
    """The evidence's rates, each reference class's kappa and propensity r, and one Potential.

    ``r[about] ~ Beta(kappa p, kappa (1 - p))`` with p = P(about) (squeezed off 0 and 1); the
    likelihood is :func:`argmap.evidence.log_likelihood`, the expression importance sampling uses.
    """
    import pymc as pm
    import pytensor.tensor as pt

    from argmap.evidence import EPS, log_likelihood

    with model:
        values: dict[str, Any] = {}
        for name, prior in em.rates.items():
            if not prior.fixed:
                values[name] = pm.Beta(name, alpha=prior.a, beta=prior.b)
        for c in em.classes:
            p = model[node_var(c.about)]
            if c.kappa.infinite:
                values[c.about] = p
                continue
            kappa = (c.kappa.value if c.kappa.fixed else
                     pm.LogNormal(c.kappa_name, mu=c.kappa.mu, sigma=c.kappa.sigma))
            p = EPS + (1 - 2 * EPS) * p
            values[c.r_name] = pm.Beta(c.r_name, alpha=kappa * p, beta=kappa * (1 - p))
        pm.Potential("evidence", log_likelihood(em, values, pt))


def parameter_generator(seed: int, name: str) -> np.random.Generator:
    """The random generator of one parameter: a function of the seed and the parameter's id only."""
    import hashlib

    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key])))


class DrawCache:
    """Prior draws kept between runs of one process (``argmap estimate --watch``).

    A parameter's draws depend only on the seed, its id and its Beta, so after an edit to a priors
    file a rerun redraws only the parameters whose priors changed. Entries a run did not use are
    dropped by :meth:`prune`; at most ``budget`` bytes are kept (512 MiB by default).
    """

    def __init__(self, budget: int = 1 << 29) -> None:
        self._kept: dict[tuple, np.ndarray] = {}
        self._used: set[tuple] = set()
        self.budget = budget  # bytes of draws kept at most; past it, new draws are not kept
        self._bytes = 0

    def get(self, key: tuple) -> np.ndarray | None:
        self._used.add(key)
        return self._kept.get(key)

    def put(self, key: tuple, draws: np.ndarray) -> None:
        self._used.add(key)
        if key not in self._kept and self._bytes + draws.nbytes <= self.budget:
            self._kept[key] = draws
            self._bytes += draws.nbytes

    def prune(self) -> None:
        """Forget the draws the last run did not use."""
        self._kept = {k: v for k, v in self._kept.items() if k in self._used}
        self._bytes = sum(v.nbytes for v in self._kept.values())
        self._used = set()


def parameter_source(priors: Priors, seed: int, cache: DrawCache | None = None) -> Any:
    """A function n -> the next n draws of every uncertain parameter, one generator per parameter.

    With a :class:`DrawCache`, draws already made for the same parameter, Beta, seed and position are
    reused (a generator that skipped them catches up before it draws anew), so the values are the
    same with or without the cache.
    """
    shapes = {pid: (p.a, p.b) for pid, p in priors.entries.items() if not p.fixed}
    rngs = {pid: parameter_generator(seed, pid) for pid in shapes}
    position = dict.fromkeys(shapes, 0)
    behind = dict.fromkeys(shapes, 0)

    def draw(n: int) -> dict[str, np.ndarray]:
        out = {}
        for pid, (a, b) in shapes.items():
            key = (pid, a, b, seed, position[pid], n)
            x = cache.get(key) if cache is not None else None
            if x is None:
                if behind[pid]:
                    rngs[pid].beta(a, b, size=behind[pid])
                    behind[pid] = 0
                x = rngs[pid].beta(a, b, size=n)
                if cache is not None:
                    cache.put(key, x)
            else:
                behind[pid] += n
            out[pid] = x
            position[pid] += n
        return out
    return draw


class ForwardSampler:
    """Draws parameters from their priors in chunks and returns every node's probability for each.

    The draws are numpy's Beta draws, one generator per parameter (:func:`parameter_generator`), and
    the node probabilities the map's circuit evaluated on the arrays (:func:`argmap.exact.evaluate`):
    the same formulation the PyMC model evaluates on tensors, with no code generation, so the first
    run costs what later runs cost. The seed fixes the whole sequence of chunks.
    """

    def __init__(self, amap: ArgumentMap, priors: Priors, seed: int, cache: DrawCache | None = None) -> None:
        self.circuit = circuit_for(amap)
        self.nodes = list(amap.claims)
        self.fixed = {pid: p.value for pid, p in priors.entries.items() if p.fixed}
        self.params = [pid for pid, p in priors.entries.items() if not p.fixed]
        self.parameters = parameter_source(priors, seed, cache)

    def draw(self, n: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """One chunk: (node probabilities, parameter draws), each array of length n."""
        params = self.parameters(n)
        out = evaluate(self.circuit, {**self.fixed, **params})
        nodes = {node: np.broadcast_to(np.asarray(out[node], dtype=float), (n,)) for node in self.nodes}
        return nodes, params


# In PyMC's log-densities, `local_mul_switch_sink` and `local_merge_switch_same_cond` undo each
# other's work for some twenty passes on the gradient of a circuit this size (3 s of 7); the first
# only matters where a density is evaluated outside its support, which the log-odds transform of
# every Beta rules out.
POSTERIOR_REWRITES_SKIPPED = ("local_mul_switch_sink",)


def sample_posterior(model: Any, *, chains: int, tune: int, draws: int, seed: int,
                     starts: list[dict[str, float]], progressbar: bool, target_accept: float = 0.8) -> Any:
    """NUTS on the model, each chain started at its own point (drawn from the prior by the caller).

    The NUTS step is built directly: PyMC's automatic step assignment would build the gradient once
    per variable just to choose NUTS. Chains run in parallel, one per core; PyMC seeds each chain, so
    the result does not depend on the number of cores. Returns the InferenceData of the free
    parameters.
    """
    import pymc as pm
    import pytensor

    mode = pytensor.compile.mode.get_mode("FAST_RUN").excluding(*POSTERIOR_REWRITES_SKIPPED)
    with model:
        step = pm.NUTS(vars=model.value_vars, target_accept=target_accept, compile_kwargs={"mode": mode})
        compiled("posterior")
        cores = min(chains, os.cpu_count() or 1)
        return pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, step=step, initvals=starts,
                         random_seed=seed, progressbar=progressbar, compute_convergence_checks=False,
                         var_names=[rv.name for rv in model.free_RVs], return_inferencedata=True)
