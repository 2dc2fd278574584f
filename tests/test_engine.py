"""The engine against outside answers: pgmpy's variable elimination, brute force, closed forms.

Every compile plan (the two topological walks and the min-fill junction tree) and both array back-ends
(numpy arrays, PyTensor tensors) are checked; the sampled fallback is checked within 4 Monte Carlo
standard errors of the exact answer.
"""

from __future__ import annotations

import itertools
import random
import tomllib

import numpy as np
import pytest

from argmap import exact
from argmap.maps import parse_map
from tests.conftest import map_text
from tests.randommaps import random_map_text, write_random
from tests.test_exact import brute_force


def _conditional(amap, node: str, state: dict[str, bool], values: dict[str, float]) -> float:
    """P(node true | its parents' values in ``state``), written out from formats.md's node kinds."""
    c = amap.claims[node]
    pv = [state[p] for p in c.parents]
    if c.kind == "root":
        return values[node]
    if c.kind == "given":
        return values[f"{node} | " + ", ".join(p if v else f"not {p}" for p, v in zip(c.parents, pv, strict=True))]
    holds = (not pv[0]) if c.kind == "not" else (all(pv) if c.kind == "all" else any(pv))
    return (values[node] if c.chance else 1.0) if holds else 0.0


def pgmpy_marginals(amap, values: dict[str, float]) -> dict[str, float]:
    """P(node) for every node by pgmpy's VariableElimination on the same network."""
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.inference import VariableElimination
    from pgmpy.models import DiscreteBayesianNetwork

    net = DiscreteBayesianNetwork([(p, n) for n, c in amap.claims.items() for p in c.parents])
    net.add_nodes_from(amap.claims)
    for n, c in amap.claims.items():
        ones = [_conditional(amap, n, dict(zip(c.parents, bits, strict=True)), values)
                for bits in itertools.product((False, True), repeat=len(c.parents))]
        net.add_cpds(TabularCPD(n, 2, [[1 - q for q in ones], ones], evidence=list(c.parents) or None,
                                evidence_card=[2] * len(c.parents) or None))
    ve = VariableElimination(net)
    return {n: float(ve.query([n], show_progress=False).values[1]) for n in amap.claims}


def _map(claims: int, seed: int, window: int | None):
    return parse_map(tomllib.loads(random_map_text(claims, seed=seed, window=window)))


@pytest.mark.parametrize("seed", range(30))
def test_every_plan_equals_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    amap = _map(rng.randint(3, 12), seed, rng.choice([None, 3, 5]))
    values = {p: rng.random() for p in amap.parameters}
    truth = brute_force(amap, values)
    for plan in exact.plans(amap):
        got = exact.evaluate(exact.compile_circuit(amap, plan), values)
        assert max(abs(got[n] - truth[n]) for n in truth) < 1e-12, plan.method


@pytest.mark.parametrize(("seed", "window"), [(1, 8), (2, None), (3, 6)])
def test_forty_claims_equal_pgmpy_on_both_back_ends(seed: int, window: int | None) -> None:
    import pytensor
    import pytensor.tensor as pt

    amap = _map(40, seed, window)
    circuit = exact.compile_circuit(amap)
    rng = np.random.default_rng(seed)
    draws = {p: rng.uniform(0.01, 0.99, size=3) for p in amap.parameters}
    numpy_out = exact.evaluate(circuit, draws)
    inputs = {p: pt.dvector(f"v{i}") for i, p in enumerate(amap.parameters)}
    symbolic = exact.evaluate(circuit, inputs)
    fn = pytensor.function(list(inputs.values()), [pt.as_tensor_variable(symbolic[n]) for n in amap.claims],
                           mode=pytensor.compile.mode.Mode(linker="py", optimizer=None),
                           on_unused_input="ignore")
    tensor_out = dict(zip(amap.claims, fn(*draws.values()), strict=True))
    for k in range(3):
        truth = pgmpy_marginals(amap, {p: float(v[k]) for p, v in draws.items()})
        for n in amap.claims:
            assert abs(np.broadcast_to(numpy_out[n], (3,))[k] - truth[n]) < 1e-9, (n, "numpy")
            assert abs(np.broadcast_to(tensor_out[n], (3,))[k] - truth[n]) < 1e-9, (n, "pytensor")


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_sixty_claims_with_parents_anywhere_equal_pgmpy(seed: int) -> None:
    amap = _map(60, seed, None)
    candidates = exact.plans(amap)
    topological = min(p.width for p in candidates if p.method == "frontier")
    tree = next(p for p in candidates if p.method == "tree")
    assert tree.width <= topological  # the min-fill order follows the treewidth, a walk does not
    values = {p: random.Random(seed).uniform(0.01, 0.99) for p in amap.parameters}
    rng = random.Random(seed)
    values = {p: rng.uniform(0.01, 0.99) for p in amap.parameters}
    got = exact.evaluate(exact.compile_circuit(amap), values)
    truth = pgmpy_marginals(amap, values)
    assert max(abs(got[n] - truth[n]) for n in truth) < 1e-9


def test_plans_are_sized_before_anything_is_built(monkeypatch) -> None:
    built = []
    monkeypatch.setattr(exact, "_compile_tree", lambda *a: built.append(a))
    monkeypatch.setattr(exact, "_compile", lambda *a: built.append(a))
    amap = _map(200, 4, None)  # far past the budget for every plan
    assert min(p.cost for p in exact.plans(amap)) > exact.MAX_STATES
    with pytest.raises(exact.ExactLimit, match="past the exact method's budget"):
        exact.compile_circuit(amap)
    assert not built


def test_sampled_fallback_within_four_mcse_of_exact(tmp_path, monkeypatch) -> None:
    from argmap.analyses.estimate import estimate
    from argmap.maps import load_map
    from argmap.priors import load_priors

    map_path, priors_path = write_random(tmp_path, 24, seed=8, window=None)
    amap = load_map(str(map_path))
    priors = load_priors(str(priors_path), amap=amap)
    exact_run = estimate(amap, priors, draws=20_000, seed=1)
    monkeypatch.setattr(exact, "MAX_STATES", 0)
    exact._CACHE.clear()
    sampled = estimate(amap, priors, draws=20_000, seed=1)
    assert sampled.inference.method == "sampled" and exact_run.inference.method == "exact"
    assert sampled.result.exact_mean is None
    truth = exact_run.result.exact_mean
    assert abs(sampled.result.mean - truth) < 4 * sampled.result.mcse
    # every node's mean, with the error of its per-draw estimates
    for node, s in sampled.nodes.items():
        x = sampled.kept[f"P({node})"]
        mcse = x.std() / np.sqrt(x.size)
        assert abs(s.mean - exact_run.nodes[node].exact_mean) < 4 * mcse + 1e-12, node


def test_sampled_fallback_matches_a_closed_form(cli, write) -> None:
    # 16 roots, every pair joined by an `any`, the sink `all` of the pairs: too wide for the exact
    # method's budget; the sink holds when at most one root is false, so P = (1 + 16) / 2^16
    import json

    roots = [{"id": f"r{i}"} for i in range(16)]
    pairs = [{"id": f"x{i}_{j}", "any": [f"r{i}", f"r{j}"]} for i in range(16) for j in range(i + 1, 16)]
    sink = {"id": "t", "all": [p["id"] for p in pairs]}
    m = write("wide.toml", map_text(roots + pairs + [sink], "t"))
    p = write("wide-priors.toml", "name = \"half\"\n[priors]\n" + "\n".join(f"r{i} = 0.5" for i in range(16)))
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--json", "--draws", "200000")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["inference"]["method"] == "sampled" and doc["result"]["exact_mean"] is None
    assert abs(doc["result"]["mean"] - 17 / 2**16) < 4 * doc["result"]["mcse"]
    text = cli("estimate", "--map", str(m), "--priors", str(p))
    assert text.exit_code == 0 and "Past the exact method's budget" in " ".join(text.stdout.split())
    # analyses that need the exact method refuse in one line
    r = cli("sensitivity", "--map", str(m), "--priors", str(p))
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "past the exact method's budget" in r.stderr
