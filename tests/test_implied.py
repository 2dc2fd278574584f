"""argmap implied: statements about derived claims conditioned on exactly, against independent oracles."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import special

from argmap.analyses.implied import implied, parse_given
from argmap.errors import ArgmapError
from argmap.maps import load_map, parse_map
from argmap.priors import combine, load_priors, load_priors_file
from tests.benchmarks.handwritten import node_probabilities
from tests.conftest import assert_one_error, map_text, priors_text


def product_map():
    nodes = [{"id": "x"}, {"id": "y"}, {"id": "t", "all": ["x", "y"]}]
    import tomllib

    return parse_map(tomllib.loads(map_text(nodes, target="t", map_id="product")), "product")


def priors_for(amap, entries, write):
    path = write("p.toml", priors_text(entries, name="p"))
    return combine([load_priors_file(path)], amap, frozenset())


@pytest.mark.parametrize("text, kind, lo, hi", [
    ("t < 1%", "below", 0.0, 0.01), ("t > 0.2", "above", 0.2, 1.0),
    ("t in [0.1, 0.3]", "between", 0.1, 0.3), ("t ~ 25% ± 5%", "about", 0.15, 0.35),
    ("t ~ 0.25 +- 0.05", "about", 0.15, 0.35)])
def test_the_given_grammar(text: str, kind: str, lo: float, hi: float) -> None:
    s = parse_given(text)
    assert (s.node, s.kind) == ("t", kind)
    assert (s.lo, s.hi) == pytest.approx((lo, hi))


@pytest.mark.parametrize("text", ["t", "t < 2", "t in [0.3, 0.1]", "t ~ 0.2", "< 0.1", "t <= 0.1"])
def test_bad_statements_are_clear_errors(text: str) -> None:
    with pytest.raises(ArgmapError):
        parse_given(text)


def test_truncated_beta_closed_form(write) -> None:
    """One root, P(x) < 0.3: the implied mean is E[x | x < 0.3] for x ~ Beta(2, 5), in closed form."""
    import tomllib

    amap = parse_map(tomllib.loads(map_text([{"id": "x"}], target="x", map_id="one")), "one")
    priors = priors_for(amap, {"x": {"beta": [2, 5]}}, write)
    r = implied(amap, priors, [parse_given("x < 0.3")], draws=400_000, seed=3)
    a, b, c = 2, 5, 0.3
    exact = a / (a + b) * special.betainc(a + 1, b, c) / special.betainc(a, b, c)
    v = r.parameters["x"]
    assert r.method == "importance"
    assert abs(v.implied_mean - exact) <= 4 * v.mcse
    assert r.prior_probability == pytest.approx(special.betainc(a, b, c), abs=4e-3)


def _rejection(values: dict, p: np.ndarray, statement, rng) -> np.ndarray:
    """Accepted draws: plain rejection sampling (soft statements accept with their likelihood)."""
    if statement.kind == "about":
        return rng.uniform(size=p.size) < np.exp(-0.5 * ((p - statement.value) / statement.sd) ** 2)
    return (p >= statement.lo) & (p <= statement.hi)


def _agree(ours, oracle_x: np.ndarray) -> None:
    se = oracle_x.std() / np.sqrt(oracle_x.size)
    assert abs(ours.implied_mean - oracle_x.mean()) <= 4 * np.hypot(ours.mcse, se), (
        ours.implied_mean, oracle_x.mean(), ours.mcse, se)


@pytest.mark.parametrize("given", ["t < 0.1", "t ~ 0.2 ± 0.05"])
def test_two_parameters_against_rejection_sampling(write, given: str) -> None:
    amap = product_map()
    priors = priors_for(amap, {"x": {"beta": [2, 5]}, "y": {"beta": [3, 3]}}, write)
    st = parse_given(given)
    r = implied(amap, priors, [st], draws=300_000, seed=1)
    rng = np.random.default_rng(2024)
    x, y = rng.beta(2, 5, 1_000_000), rng.beta(3, 3, 1_000_000)
    keep = _rejection({}, x * y, st, rng)
    for name, arr in (("x", x), ("y", y)):
        _agree(r.parameters[name], arr[keep])
    _agree(r.nodes["t"], (x * y)[keep])


@pytest.mark.parametrize("given", ["deceptive_alignment_prosaic < 0.3", "deceptive_alignment_prosaic ~ 0.4 ± 0.1"])
def test_shipped_map_under_agnostic_against_rejection_sampling(given: str) -> None:
    """The oracle computes P(target) with the hand-derived formulas, not argmap's circuit."""
    amap = load_map("deceptive-alignment")
    priors = load_priors("agnostic", amap=amap)
    st = parse_given(given)
    r = implied(amap, priors, [st], draws=300_000, seed=5)
    rng = np.random.default_rng(7)
    n = 1_000_000
    values = {pid: rng.uniform(size=n) for pid in amap.parameters}
    p = node_probabilities(values)[amap.target]
    keep = _rejection(values, p, st, rng)
    assert keep.sum() > 10_000
    _agree(r.nodes[amap.target], p[keep])
    for pid in ("da_ft_base_goal_first", "pt_goal_directed", "ft_situational_awareness"):
        _agree(r.parameters[pid], values[pid][keep])


def test_nearly_impossible_statements_are_reported_not_sampled(cli) -> None:
    r = cli("implied", "--given", "deceptive_alignment_prosaic > 0.5")
    assert_one_error(r, "nearly impossible", "prior probability", "--nuts")


def test_cli_uses_the_priors_files_statements_and_prints_json(cli) -> None:
    r = cli("implied", "--json", "--draws", "100000")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["method"] == "importance" and doc["ess"] > 400 and doc["statements"][0]["file"] == "wheaton"
    assert 0 < doc["prior_probability"] < 1
    row = doc["parameters"]["da_ft_base_goal_first"]
    assert set(row) >= {"prior_mean", "implied_mean", "implied_p05", "implied_p95", "mcse", "shift"}
    assert set(doc["nodes"]) == set(load_map("deceptive-alignment").claims)
    assert doc["nodes"]["deceptive_alignment_prosaic"]["implied_p95"] <= 0.01
    text = cli("implied", "--draws", "400000", "--priors", "wheaton-ipcc-reading",
               "--given", "deceptive_alignment_prosaic < 1%")
    assert text.exit_code == 0 and "Δ logit" in text.stdout and "exceptionally" in text.stdout
    assert_one_error(cli("implied", "--priors", "agnostic"), "no statement")
    assert_one_error(cli("implied", "--given", "no_such_node < 0.1"), "no_such_node")


def test_statements_only_file_works_with_estimate_compare_and_cruxes(cli) -> None:
    amap = load_map("deceptive-alignment-objections")
    priors = load_priors("wheaton-given-carlsmith-2023", amap=amap)
    assert all(p.implied_by for pid, p in priors.entries.items() if not p.fixed)
    m = ["--map", "deceptive-alignment-objections"]
    r = cli("estimate", *m, "--priors", "wheaton-given-carlsmith-2023", "--draws", "5000", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["statements"][0]["node"] == "scheming_given_aware"
    assert cli("compare", "carlsmith-2023", "wheaton-given-carlsmith-2023", *m, "--draws", "2000").exit_code == 0
    assert cli("cruxes", "carlsmith-2023", "wheaton-given-carlsmith-2023", *m).exit_code == 0


@pytest.mark.slow
def test_nuts_and_importance_sampling_agree(write) -> None:
    amap = product_map()
    priors = priors_for(amap, {"x": {"beta": [2, 5]}, "y": {"beta": [3, 3]}}, write)
    st = [parse_given("t ~ 0.2 ± 0.05")]
    fast = implied(amap, priors, st, draws=400_000, seed=1)
    slow = implied(amap, priors, st, nuts=True, chains=2, tune=1000, posterior_draws=2000, seed=1)
    assert fast.method == "importance" and slow.method == "nuts"
    assert slow.diagnostics["r_hat_max"] <= 1.01
    for name in ("x", "y"):
        a, b = fast.parameters[name], slow.parameters[name]
        assert abs(a.implied_mean - b.implied_mean) <= 4 * np.hypot(a.mcse, b.mcse), name
