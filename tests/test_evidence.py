"""Evidence: the posterior against closed forms and quadrature; bad evidence; saving InferenceData."""

from __future__ import annotations

import json
import math
import tomllib

import arviz as az
import numpy as np
import pytest
from scipy import special, stats

from argmap.analyses.estimate import estimate
from argmap.evidence import load_evidence_file, parse_evidence
from argmap.maps import load_map, parse_map
from argmap.priors import Priors, parse_prior
from argmap.resources import priors_dir, shipped_names
from tests.conftest import assert_one_error, map_text, priors_text


def small_map():
    text = map_text([{"id": "a"}, {"id": "b"}, {"id": "t", "all": ["a", "b"]}], target="t", map_id="small",
                    threshold=0.05)
    return parse_map(tomllib.loads(text))


def priors_for(amap, entries: dict) -> Priors:
    return Priors(("test",), {pid: parse_prior(pid, entries[pid], "test") for pid in amap.parameters})


def evidence(about: str, trials: int, positives: int, sensitivity=1.0, fpr=0.0):
    return parse_evidence({"id": "obs", "about": about, "trials": trials, "positives": positives,
                           "sensitivity": sensitivity, "false_positive_rate": fpr}, "test", 0)


def test_conjugate_oracle_for_a_root_node() -> None:
    """Perfect test about a root: the posterior of its parameter is Beta(a + k, b + n - k)."""
    amap = small_map()
    a, b, n, k = 2.0, 3.0, 30, 9
    priors = priors_for(amap, {"a": {"beta": [a, b]}, "b": {"beta": [3, 3]}})
    est = estimate(amap, priors, draws=1000, evidence=[evidence("a", n, k)], tune=500,
                   posterior_draws=2000, seed=1)
    post = est.posterior.posterior["a"]
    exact = stats.beta(a + k, b + n - k)
    mcse = float(az.mcse(post.to_dataset(name="a"), method="mean")["a"])
    assert abs(float(post.mean()) - exact.mean()) < 3 * mcse
    # KS on a thinned sample, so the draws are close to independent
    ess = float(az.ess(post.to_dataset(name="a"))["a"])
    x = post.values.ravel()
    thin = max(1, math.ceil(x.size / ess))
    assert stats.kstest(x[::thin], exact.cdf).pvalue > 0.01
    # an unrelated root is untouched by the observation
    b_post = est.posterior.posterior["b"].values.ravel()
    assert abs(b_post.mean() - 0.5) < 4 * b_post.std() / math.sqrt(ess)
    assert est.diagnostics.r_hat_max <= 1.01 and est.diagnostics.divergences == 0


def exact_posterior_mean(sensitivity: float, n: int = 20) -> tuple[float, float]:
    """Prior and posterior E[P(t)] for t = a AND b, a ~ Beta(2, 8), b ~ Beta(3, 3), by quadrature."""
    x, w = special.roots_legendre(200)
    u, wu = (x + 1) / 2, w / 2
    A, B = np.meshgrid(u, u, indexing="ij")
    W = np.outer(wu, wu) * stats.beta.pdf(A, 2, 8) * stats.beta.pdf(B, 3, 3)
    p = A * B
    like = (1 - sensitivity * p) ** n  # zero positives in n trials
    return float((W * p).sum() / W.sum()), float((W * p * like).sum() / (W * like).sum())


def test_null_result_lowers_the_target_less_as_sensitivity_falls() -> None:
    amap = small_map()
    priors = priors_for(amap, {"a": {"beta": [2, 8]}, "b": {"beta": [3, 3]}})
    prior_mean, _ = exact_posterior_mean(1.0)
    drops = []
    for s in (0.9, 0.3, 0.05):
        _, exact = exact_posterior_mean(s)
        est = estimate(amap, priors, draws=1000, evidence=[evidence("t", 20, 0, sensitivity=s)],
                       tune=500, posterior_draws=1500, seed=2)
        r = est.result
        assert abs(r.mean - exact) < 4 * r.mcse, (s, r.mean, exact, r.mcse)
        assert r.mean < est.prior_result.mean
        drops.append((prior_mean - exact, prior_mean - r.mean, r.mcse))
    exact_drops = [d[0] for d in drops]
    assert exact_drops == sorted(exact_drops, reverse=True) and exact_drops[-1] > 0
    for (_, hi, e1), (_, lo, e2) in zip(drops, drops[1:], strict=False):  # sampled drops shrink too
        assert hi - lo > -3 * math.hypot(e1, e2)


@pytest.mark.slow
@pytest.mark.parametrize("s", [1.0, 0.6, 0.3, 0.1, 0.02])
def test_null_result_matches_quadrature_at_many_sensitivities(s: float) -> None:
    amap = small_map()
    priors = priors_for(amap, {"a": {"beta": [2, 8]}, "b": {"beta": [3, 3]}})
    _, exact = exact_posterior_mean(s)
    est = estimate(amap, priors, draws=1000, evidence=[evidence("t", 20, 0, sensitivity=s)], seed=3)
    assert abs(est.result.mean - exact) < 4 * est.result.mcse


def write_small(write):
    m = write("small.toml", map_text([{"id": "a"}, {"id": "b"}, {"id": "t", "all": ["a", "b"]}],
                                     target="t", map_id="small", threshold=0.05))
    p = write("small-priors.toml", priors_text({"a": {"beta": [2, 8]}, "b": {"beta": [3, 3]}}, name="small"))
    return m, p


def test_cli_evidence_json_and_save(cli, write, tmp_path) -> None:
    m, p = write_small(write)
    ev = write("ev.toml", '[[evidence]]\nid = "null"\nabout = "t"\ntrials = 20\npositives = 0\n'
                          'sensitivity = { ci90 = [0.2, 0.8] }\n')
    out = tmp_path / "run.nc"
    args = ["estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev), "--draws", "2000",
            "--tune", "300", "--posterior-draws", "500", "--json"]
    r = cli(*args, "--save", str(out))
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""  # no progress bar, no PyMC chatter under --json
    doc = json.loads(r.stdout)
    assert doc["result"]["exact_mean"] is None
    assert set(doc["prior_result"]) == set(doc["result"])
    assert {"r_hat_max", "ess_bulk_min", "divergences"} <= set(doc["diagnostics"])
    assert doc["result"]["mean"] < doc["prior_result"]["mean"]
    idata = az.from_netcdf(out)
    assert {"prior", "posterior", "sample_stats"} <= set(idata.groups())
    assert "P(t)" in idata.posterior and "P(t)" in idata.prior
    # never overwritten without --force, and nothing written on refusal
    before = out.stat().st_mtime_ns
    assert_one_error(cli(*args, "--save", str(out)), "exists", "--force")
    assert out.stat().st_mtime_ns == before
    assert cli(*args, "--save", str(out), "--force").exit_code == 0
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_report_shows_prior_posterior_and_diagnostics(cli, write) -> None:
    m, p = write_small(write)
    ev = write("ev.toml", '[[evidence]]\nid = "null"\nabout = "t"\ntrials = 20\npositives = 0\n')
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev), "--draws", "2000",
            "--tune", "100", "--posterior-draws", "100")
    assert r.exit_code == 0, r.stderr
    for text in ("prior", "posterior", "NUTS diagnostics: largest r_hat", "smallest bulk ESS"):
        assert text in r.stdout
    assert "Warning: bulk ESS" in r.stdout  # 2 x 100 draws cannot reach 400 effective draws


BAD = [
    ({"positives": 30}, ("positives", "positives <= trials")),
    ({"trials": -1}, ("trials", "negative")),
    ({"positives": -2}, ("positives", "negative")),
    ({"about": "nowhere"}, ("'nowhere' is not a node",)),
    ({"sensitivity": 1.5}, ("sensitivity", "outside [0, 1]")),
    ({"sensitivity": {"beta": [0, 1]}}, ("sensitivity", "impossible")),
    ({"false_positive_rate": -0.1}, ("false_positive_rate", "outside [0, 1]")),
    ({"sensitivity": 0.1, "false_positive_rate": 0.2}, ("no evidence",)),
    ({"trials": 2.5}, ("trials", "whole number")),
    ({"trials": 0}, ("0 trials",)),
    ({"colour": "red"}, ("unknown key",)),
]


@pytest.mark.parametrize("change, fragments", BAD)
def test_bad_evidence(cli, write, change: dict, fragments: tuple[str, ...]) -> None:
    m, p = write_small(write)
    entry = {"id": "obs", "about": "t", "trials": 20, "positives": 0, **change}
    lines = ["[[evidence]]"] + [f"{k} = {json.dumps(v) if not isinstance(v, dict) else _inline(v)}"
                                for k, v in entry.items()]
    ev = write("bad.toml", "\n".join(lines) + "\n")
    assert_one_error(cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev)), *fragments)


def _inline(d: dict) -> str:
    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in d.items()) + " }"


def test_missing_key_duplicate_ids_and_empty_file(cli, write) -> None:
    m, p = write_small(write)
    base = ["estimate", "--map", str(m), "--priors", str(p), "--evidence"]
    ev = write("a.toml", '[[evidence]]\nid = "x"\nabout = "t"\ntrials = 3\n')
    assert_one_error(cli(*base, str(ev)), "positives", "missing")
    ev = write("b.toml", '[[evidence]]\nid = "x"\nabout = "t"\ntrials = 3\npositives = 0\n' * 2)
    assert_one_error(cli(*base, str(ev)), "share this id")
    ev = write("c.toml", 'name = "nothing"\n')
    assert_one_error(cli(*base, str(ev)), "[[evidence]]")
    ev = write("d.toml", '[[evidence]]\nid = "x"\nabout = "t"\ntrials = 3\npositives = 0\n')
    assert_one_error(cli(*base, str(ev), "--chains", "0"), "--chains")
    assert_one_error(cli(*base, str(ev), "--save", "out.txt"), ".nc")


def test_evidence_in_a_priors_file_is_used(write) -> None:
    from argmap.priors import combine, load_priors_file

    amap = load_map("deceptive-alignment")
    path = write("mine.toml", 'name = "mine"\nextends = "wheaton"\n[priors]\n\n[[evidence]]\n'
                              'id = "x"\nabout = "deceptive_alignment_prosaic"\ntrials = 5\npositives = 0\n')
    priors = combine([load_priors_file(path)], amap)
    assert [e.id for e in priors.evidence] == ["x"]


@pytest.mark.parametrize("name", shipped_names(priors_dir() / "evidence"))
def test_shipped_evidence_files_are_valid_and_documented(name: str) -> None:
    from argmap.evidence import check_evidence

    entries = load_evidence_file(name)
    check_evidence(entries, load_map("deceptive-alignment-objections"))
    text = (priors_dir() / "evidence" / f"{name}.toml").read_text()
    assert "Mapping." in text and "Caveats" in text
    for e in entries:
        assert e.source and e.sensitivity.why or e.sensitivity.fixed


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_names(priors_dir() / "evidence"))
def test_shipped_evidence_runs_on_the_shipped_map(cli, name: str) -> None:
    r = cli("estimate", "--map", "deceptive-alignment-objections", "--evidence", name, "--json",
            "--draws", "10000")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)["diagnostics"]
    assert d["r_hat_max"] <= 1.01 and d["divergences"] == 0


def test_evidence_with_nothing_uncertain_is_refused(cli, write) -> None:
    m = write("m.toml", map_text([{"id": "a"}], target="a"))
    p = write("p.toml", priors_text({"a": 0.5}, name="p"))
    ev = write("e.toml", '[[evidence]]\nid = "x"\nabout = "a"\ntrials = 5\npositives = 1\n')
    assert_one_error(cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev),
                         "--draws", "1000"), "nothing to update")
