"""`argmap sensitivity` against closed forms: Sobol indices, break-even values, the joint factor."""

from __future__ import annotations

import json
import math
import tomllib

import numpy as np
import pytest
from scipy import stats

from argmap.analyses.sensitivity import sensitivity
from argmap.exact import circuit_for, evaluate
from argmap.maps import load_map, parse_map
from argmap.priors import Prior, combine, load_priors_file, parse_prior
from tests.conftest import assert_one_error, map_text


def product_map():
    text = map_text([{"id": "x1"}, {"id": "x2"}, {"id": "t", "all": ["x1", "x2"]}], target="t",
                    map_id="product", threshold=0.1)
    return parse_map(tomllib.loads(text))


def priors_for(amap, entries: dict):
    from argmap.priors import Priors

    return Priors(("test",), {pid: parse_prior(pid, entries[pid], "test") for pid in amap.parameters})


def test_sobol_indices_of_a_product_match_closed_forms() -> None:
    amap = product_map()
    (a1, b1), (a2, b2) = (2.0, 5.0), (4.0, 3.0)
    priors = priors_for(amap, {"x1": {"beta": [a1, b1]}, "x2": {"beta": [a2, b2]}})
    m1, v1 = (float(x) for x in stats.beta.stats(a1, b1, moments="mv"))
    m2, v2 = (float(x) for x in stats.beta.stats(a2, b2, moments="mv"))
    var_y = (v1 + m1**2) * (v2 + m2**2) - (m1 * m2) ** 2  # Y = X1 X2, independent
    truth = {"x1": (m2**2 * v1 / var_y, (v2 + m2**2) * v1 / var_y),
             "x2": (m1**2 * v2 / var_y, (v1 + m1**2) * v2 / var_y)}
    sens = sensitivity(amap, priors, samples=16384, seed=3)
    for row in sens.rows:
        s1, st = truth[row.parameter]
        assert abs(row.s1 - s1) <= row.s1_conf, (row.parameter, row.s1, s1, row.s1_conf)
        assert abs(row.st - st) <= row.st_conf, (row.parameter, row.st, st, row.st_conf)
        assert row.s1_conf < 0.05 and row.st_conf < 0.05  # the intervals are informative


def _fixed(pid: str, value: float) -> Prior:
    return Prior(pid, f"fixed {value}", value=value)


@pytest.mark.parametrize("threshold", [0.01, 0.1, 0.2])
def test_break_even_values_fed_back_reach_the_threshold(threshold: float) -> None:
    amap = load_map("deceptive-alignment")
    priors = combine([load_priors_file("wheaton")], amap)
    sens = sensitivity(amap, priors, threshold=threshold, samples=256)
    circuit = circuit_for(amap)
    found = [r for r in sens.rows if r.break_even is not None]
    assert found, "expected at least one parameter able to reach the threshold"
    for r in found:
        moved = priors.replace(**{r.parameter: _fixed(r.parameter, r.break_even)})
        value = evaluate(circuit, moved.means(), nodes=[amap.target])[amap.target]
        assert abs(value - threshold) < 1e-9, r.parameter
        assert r.plausible_flip == (r.p05 <= r.break_even <= r.p95)
    for r in sens.rows:
        if r.break_even is None:  # "never": neither end of [0, 1] reaches the threshold
            ends = [evaluate(circuit, priors.replace(**{r.parameter: _fixed(r.parameter, v)}).means(),
                             nodes=[amap.target])[amap.target] for v in (0.0, 1.0)]
            assert min(ends) > threshold or max(ends) < threshold, r.parameter


@pytest.mark.parametrize("priors_name, threshold", [("wheaton", 0.01), ("wheaton", 0.3), ("agnostic", 0.05)])
def test_joint_factor_applied_reaches_the_threshold(priors_name: str, threshold: float) -> None:
    amap = load_map("deceptive-alignment")
    priors = combine([load_priors_file(priors_name)], amap)
    sens = sensitivity(amap, priors, threshold=threshold, samples=256)
    k = sens.joint.factor
    assert k is not None and k >= 1
    assert sens.joint.direction == ("raise" if sens.expected < threshold else "lower")
    circuit = circuit_for(amap)
    shifted = {}
    for pid, prior in priors.entries.items():
        m = prior.mean
        if prior.fixed:
            shifted[pid] = m
            continue
        new = sens.joint.moved[pid]
        ratio = (new / (1 - new)) / (m / (1 - m))  # each odds moved by exactly k, one way or the other
        assert min(abs(ratio - k), abs(ratio - 1 / k)) < 1e-9 * k
        shifted[pid] = new
    value = evaluate(circuit, shifted, nodes=[amap.target])[amap.target]
    assert abs(value - threshold) < 1e-9


def test_one_way_swing_is_the_conditional_expectation() -> None:
    """E[P(target) | theta_j = v] by Monte Carlo over the other priors matches the exact swing."""
    amap = load_map("deceptive-alignment")
    priors = combine([load_priors_file("wheaton")], amap)
    sens = sensitivity(amap, priors, samples=256)
    row = sens.rows[0]
    rng = np.random.default_rng(4)
    n = 400_000
    draws = {pid: p.value if p.fixed else rng.beta(p.a, p.b, n) for pid, p in priors.entries.items()}
    draws[row.parameter] = row.p95
    y = evaluate(circuit_for(amap), draws, nodes=[amap.target])[amap.target]
    assert abs(y.mean() - row.at_p95) < 4 * y.std() / math.sqrt(n)


def test_rows_sorted_by_total_order_index() -> None:
    amap = load_map("deceptive-alignment")
    sens = sensitivity(amap, combine([load_priors_file("wheaton")], amap), samples=512)
    sts = [r.st for r in sens.rows]
    assert sts == sorted(sts, reverse=True)
    assert len(sens.rows) == len([p for p in combine([load_priors_file("wheaton")], amap).entries.values()
                                  if not p.fixed])


def test_cli_json_is_deterministic_and_quiet(cli) -> None:
    a = cli("sensitivity", "--json", "--samples", "512")
    b = cli("sensitivity", "--json", "--samples", "512")
    assert a.exit_code == 0 and a.stdout == b.stdout and a.stderr == ""
    doc = json.loads(a.stdout)
    keys = {"map", "priors", "target", "threshold", "expected", "rows", "joint", "holds", "summary"}
    assert keys <= set(doc)
    row = doc["rows"][0]
    assert {"parameter", "label", "prior_mean", "p05", "p95", "at_p05", "at_p95", "s1", "s1_conf", "st",
            "st_conf", "break_even", "plausible_flip", "swing"} <= set(row)


def test_cli_report_and_tornado_plot(cli, tmp_path) -> None:
    png = tmp_path / "tornado.png"
    r = cli("sensitivity", "--samples", "512", "--plot", str(png))
    assert r.exit_code == 0, r.stderr
    assert "The verdict hangs most on" in r.stdout and "ST ± CI" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 100
    import matplotlib.image

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = matplotlib.image.imread(png).shape
    assert 850 <= width <= 950 and 500 <= height <= 900


def test_cli_errors(cli, tmp_path) -> None:
    assert_one_error(cli("sensitivity", "--samples", "10"), "--samples")
    assert_one_error(cli("sensitivity", "--samples", "512", "--plot", str(tmp_path / "x.jpg")), ".png")
    assert_one_error(cli("sensitivity", "--samples", "512", "--plot", str(tmp_path / "no" / "x.png")),
                     "does not exist")
    assert not (tmp_path / "x.jpg").exists()


def test_chunked_design_equals_salibs_own_sampler(monkeypatch) -> None:
    # SALib's sample() builds the whole N (D + 2) x D design; ours is built a block at a time: with
    # blocks of a few base samples the indices must be SALib's, number for number
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    import argmap.analyses.sensitivity as sens_mod

    amap = load_map("deceptive-alignment")
    priors = combine([load_priors_file("wheaton")], amap)
    uncertain = priors.uncertain
    n = 256
    monkeypatch.setattr(sens_mod, "SOBOL_MEMORY", 1)  # one base sample per block
    ours = sens_mod._sobol(circuit_for(amap), amap.target, priors, uncertain, n, 5, None)
    problem = {"num_vars": len(uncertain), "names": uncertain, "bounds": [[0.0, 1.0]] * len(uncertain)}
    u = sobol_sample.sample(problem, n, calc_second_order=False, seed=5)
    values = {p: v.value for p, v in priors.entries.items() if v.fixed}
    for j, pid in enumerate(uncertain):
        values[pid] = stats.beta.ppf(u[:, j], priors.entries[pid].a, priors.entries[pid].b)
    y = evaluate(circuit_for(amap), values, nodes=[amap.target])[amap.target]
    theirs = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=200,
                                   conf_level=0.95, seed=6)
    for key in ("S1", "ST", "S1_conf", "ST_conf"):
        assert np.allclose(ours[key], theirs[key], rtol=0, atol=1e-12), key
