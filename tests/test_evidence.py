"""Evidence: the two-level model against closed forms, quadrature and its own properties; bad files."""

from __future__ import annotations

import json
import math
import tomllib

import arviz as az
import numpy as np
import pytest
from scipy import integrate, special, stats

from argmap.analyses.estimate import estimate
from argmap.evidence import (EvidenceFile, assemble, load_evidence_document, parse_evidence, parse_model,
                             parse_test)
from argmap.maps import load_map, parse_map
from argmap.priors import Priors, parse_prior
from argmap.resources import priors_dir, shipped_names
from tests.conftest import assert_one_error, map_text, priors_text, toml_value


def small_map():
    text = map_text([{"id": "a"}, {"id": "b"}, {"id": "t", "all": ["a", "b"]}], target="t", map_id="small",
                    threshold=0.05)
    return parse_map(tomllib.loads(text))


def priors_for(amap, entries: dict) -> Priors:
    return Priors(("test",), {pid: parse_prior(pid, entries[pid], "test") for pid in amap.parameters})


SMALL = {"a": {"beta": [2, 3]}, "b": {"beta": [3, 3]}}


def evidence(about: str, trials: int, positives: int, sensitivity=1.0, fpr=0.0, kappa="inf"):
    raw = {"id": "obs", "about": about, "trials": trials, "positives": positives,
           "sensitivity": sensitivity, "false_positive_rate": fpr}
    if kappa is not None:
        raw["kappa"] = kappa
    return parse_evidence(raw, "test", 0)


def named(results: list[bool], *, about="a", sens=0.8, fpr=0.1, kappa=5.0, capable=None, file="f",
          test_id="probe") -> EvidenceFile:
    """An evidence file of named models, one yes/no test each."""
    models, tests = [], []
    for i, fired in enumerate(results):
        m = {"name": f"model {i}"} | ({"capable": capable} if capable is not None else {})
        models.append(parse_model(m, file, i))
        tests.append(parse_test({"id": test_id, "model": f"model {i}", "about": about, "result": fired,
                                 "sensitivity": sens, "false_positive_rate": fpr, "source": "test",
                                 "kappa": kappa}, file, i))
    return EvidenceFile(name=file, origin=file, models=tuple(models), tests=tuple(tests))


# ------------------------------------------------------------------------------- exact oracles


def two_level_posterior_mean(a0: float, b0: float, kappa: float, sens: float, fpr: float, k: int,
                             n: int) -> tuple[float, float]:
    """E[p | data] and sd for p ~ Beta(a0, b0), r ~ Beta(kappa p, kappa (1 - p)), k of n models fired.

    The likelihood given r is a polynomial in r; its expectation over the Beta uses the exact moments
    E[r^j] = prod_{m<j} (alpha + m) / (kappa + m). The outer integral is scipy's quad.
    """
    pos = np.polynomial.Polynomial([fpr, sens - fpr]) ** k
    neg = np.polynomial.Polynomial([1 - fpr, -(sens - fpr)]) ** (n - k)
    coef = (pos * neg).coef

    def like(p: float) -> float:
        alpha = kappa * p
        moments = np.cumprod([1.0] + [(alpha + m) / (kappa + m) for m in range(len(coef) - 1)])
        return float(np.dot(coef, moments))

    def f(p: float, power: int) -> float:
        return p**power * like(p) * stats.beta.pdf(p, a0, b0)

    z = integrate.quad(f, 0, 1, args=(0,), limit=200)[0]
    m1 = integrate.quad(f, 0, 1, args=(1,), limit=200)[0] / z
    m2 = integrate.quad(f, 0, 1, args=(2,), limit=200)[0] / z
    return m1, math.sqrt(m2 - m1**2)


def posterior_of(est, name: str) -> np.ndarray:
    return est.posterior_idata.posterior[name].values.ravel()


@pytest.mark.parametrize("method", ["importance", "nuts"])
def test_conjugate_oracle_for_a_root_node(method: str) -> None:
    """kappa inf, perfect tests, one model per trial: the posterior is Beta(a + k, b + n - k)."""
    amap = small_map()
    a, b, n, k = 2.0, 3.0, 30, 9
    priors = priors_for(amap, SMALL)
    est = estimate(amap, priors, draws=50_000, evidence=[evidence("a", n, k, kappa="inf")], tune=500,
                   posterior_draws=2000, seed=1, method=method)
    assert est.diagnostics.method == method
    exact = stats.beta(a + k, b + n - k)
    if method == "importance":
        assert abs(est.nodes["a"].mean - exact.mean()) < 3 * _is_mcse(est, "a")
        x = np.random.default_rng(0).choice(posterior_of(est, "a"), 2000, replace=False)
        assert stats.kstest(x, exact.cdf).pvalue > 0.01
        return
    post = est.posterior_idata.posterior["a"]
    mcse = float(az.mcse(post.to_dataset(name="a"), method="mean")["a"])
    assert abs(float(post.mean()) - exact.mean()) < 3 * mcse
    ess = float(az.ess(post.to_dataset(name="a"))["a"])
    x = post.values.ravel()
    thin = max(1, math.ceil(x.size / ess))  # KS on a thinned sample, close to independent draws
    assert stats.kstest(x[::thin], exact.cdf).pvalue > 0.01
    assert est.diagnostics.r_hat_max <= 1.01 and est.diagnostics.divergences == 0


def _is_mcse(est, node: str) -> float:
    """The Monte Carlo error of a reweighted node mean: its sd over the square root of the ESS."""
    x = posterior_of(est, f"P({node})")
    return float(x.std() / math.sqrt(est.diagnostics.ess_bulk_min))


@pytest.mark.parametrize("kappa, sens, fpr, k, n", [(5.0, 0.8, 0.1, 3, 8), (1.0, 0.6, 0.2, 1, 6),
                                                    (40.0, 0.9, 0.05, 0, 12)])
def test_finite_kappa_matches_quadrature(kappa, sens, fpr, k, n) -> None:
    amap = small_map()
    exact, _ = two_level_posterior_mean(2, 3, kappa, sens, fpr, k, n)
    est = estimate(amap, priors_for(amap, SMALL), draws=100_000, seed=4,
                   evidence=[evidence("a", n, k, sensitivity=sens, fpr=fpr, kappa=kappa)])
    assert est.diagnostics.method == "importance"
    assert abs(est.nodes["a"].mean - exact) < 4 * _is_mcse(est, "a"), (est.nodes["a"].mean, exact)


@pytest.mark.slow
def test_nuts_and_importance_sampling_agree_with_quadrature() -> None:
    amap = small_map()
    exact, _ = two_level_posterior_mean(2, 3, 5.0, 0.8, 0.1, 3, 8)
    ev = [evidence("a", 8, 3, sensitivity=0.8, fpr=0.1, kappa=5.0)]
    fast = estimate(amap, priors_for(amap, SMALL), draws=100_000, seed=5, evidence=ev)
    slow = estimate(amap, priors_for(amap, SMALL), draws=1000, seed=5, evidence=ev, method="nuts",
                    posterior_draws=3000)
    post = slow.posterior_idata.posterior["a"]
    mcse = float(az.mcse(post.to_dataset(name="a"), method="mean")["a"])
    assert abs(float(post.mean()) - exact) < 4 * mcse
    assert abs(fast.nodes["a"].mean - float(post.mean())) < 4 * math.hypot(mcse, _is_mcse(fast, "a"))
    assert slow.diagnostics.r_hat_max <= 1.01 and slow.diagnostics.divergences == 0


# ------------------------------------------------------------------------------------ properties


@pytest.mark.parametrize("kappa", [1.0, 10.0, "inf"])
@pytest.mark.parametrize("sens, fpr", [(0.9, 0.05), (0.4, 0.3)])
def test_flipping_a_negative_to_a_positive_never_lowers_the_node(kappa, sens, fpr) -> None:
    amap = small_map()
    priors = priors_for(amap, SMALL)
    means = []
    for results in ([True, False, False, False], [True, True, False, False]):
        f = named(results, sens=sens, fpr=fpr, kappa=kappa)
        est = estimate(amap, priors, draws=100_000, seed=6, evidence=[f])
        means.append(est.nodes["a"].mean)
    exact = [two_level_posterior_mean(2, 3, 1e9 if kappa == "inf" else kappa, sens, fpr, k, 4)[0]
             for k in (1, 2)]
    assert exact[1] > exact[0]
    assert means[1] > means[0], means


def test_a_test_as_likely_either_way_changes_nothing() -> None:
    amap = small_map()
    priors = priors_for(amap, SMALL)
    est = estimate(amap, priors, draws=20_000, seed=7, evidence=[named([True, True, False], sens=0.3,
                                                                       fpr=0.3)])
    assert est.diagnostics.method == "importance"
    assert est.result.mean == pytest.approx(est.prior_result.mean, abs=1e-15)
    assert est.nodes["a"].mean == pytest.approx(est.prior_nodes["a"].mean, abs=1e-15)


def test_repeating_a_models_result_in_a_second_file_changes_nothing() -> None:
    amap = small_map()
    priors = priors_for(amap, SMALL)
    once = estimate(amap, priors, draws=20_000, seed=8, evidence=[named([True, False, False], file="one")])
    again = estimate(amap, priors, draws=20_000, seed=8,
                     evidence=[named([True, False, False], file="one"), named([True], file="two")])
    assert again.result.mean == once.result.mean and again.nodes["a"].mean == once.nodes["a"].mean
    assert any("counted once" in note for note in again.evidence_model.notes)
    # the same model with a different result under the same test id is an error, not a silent pick
    with pytest.raises(Exception, match="differently"):
        estimate(amap, priors, draws=1000, evidence=[named([True], file="one"), named([False], file="two")])


def test_a_model_named_in_two_files_is_one_model() -> None:
    """Two tests on one model share its disposition: two positives on one model move p less than
    one positive on each of two models (with a finite kappa, where models differ)."""
    amap = small_map()
    one = named([True, False], file="x")
    second = parse_test({"id": "other", "model": "model 0", "about": "a", "result": True, "sensitivity": 0.8,
                         "false_positive_rate": 0.1, "source": "t", "kappa": 5.0}, "y", 0)
    same_model = EvidenceFile(name="y", origin="y", tests=(second,))
    em = assemble([one, same_model], amap)
    assert len(em.classes[0].units) == 2 and em.classes[0].models == 2
    shared = estimate(amap, priors_for(amap, SMALL), draws=100_000, seed=9, evidence=[one, same_model])
    apart = estimate(amap, priors_for(amap, SMALL), draws=100_000, seed=9,
                     evidence=[named([True, False, True], file="x")])
    assert shared.nodes["a"].mean < apart.nodes["a"].mean


def test_with_finite_kappa_the_posterior_keeps_a_floor_of_spread() -> None:
    """Listing more models with the same rate narrows today's propensity, never the first TAI's p
    beyond what kappa allows: the limit is p | r known (quadrature)."""
    amap = small_map()
    kappa, rate = 10.0, 0.3

    def density(p: float) -> float:
        return stats.beta.pdf(p, 2, 3) * stats.beta.pdf(rate, kappa * p, kappa * (1 - p))

    z = integrate.quad(density, 0, 1)[0]
    m = integrate.quad(lambda p: p * density(p), 0, 1)[0] / z
    floor = math.sqrt(integrate.quad(lambda p: (p - m) ** 2 * density(p), 0, 1)[0] / z)
    sds = []
    for n in (10, 100, 1000):
        est = estimate(amap, priors_for(amap, SMALL), draws=100_000, seed=10,
                       evidence=[evidence("a", n, int(rate * n), kappa=kappa)])
        sds.append(float(posterior_of(est, "a").std()))
    assert all(sd > 0.9 * floor for sd in sds), (sds, floor)
    assert sds[-1] == pytest.approx(floor, rel=0.1)
    # with an infinite kappa the same listing would shrink the spread without a floor
    inf = estimate(amap, priors_for(amap, SMALL), draws=100_000, seed=10,
                   evidence=[evidence("a", 100, 30, kappa="inf")])
    assert float(posterior_of(inf, "a").std()) < 0.5 * floor


def test_a_null_on_models_without_the_capability_moves_nothing() -> None:
    amap = load_map("deceptive-alignment")
    from argmap.priors import load_priors

    priors = load_priors("wheaton", amap=amap)
    f = named([False] * 20, about="deceptive_alignment_prosaic", sens={"ci90": [0.3, 0.9]},
              fpr={"ci90": [0.001, 0.05]}, kappa={"ci90": [1, 100]}, capable={"beta": [1, 500]})
    est = estimate(amap, priors, draws=100_000, seed=11, evidence=[f])
    assert abs(est.result.mean - est.prior_result.mean) < est.prior_result.mcse
    # the same null on capable models does move it
    g = named([False] * 20, about="deceptive_alignment_prosaic", sens={"ci90": [0.3, 0.9]},
              fpr={"ci90": [0.001, 0.05]}, kappa={"ci90": [1, 100]})
    moved = estimate(amap, priors, draws=100_000, seed=11, evidence=[g])
    assert est.prior_result.mean - moved.result.mean > 5 * est.prior_result.mcse


def test_null_result_lowers_the_target_less_as_sensitivity_falls() -> None:
    """kappa inf (the exchangeable case): against 2-D quadrature, as before the two-level model."""
    amap = small_map()
    priors = priors_for(amap, {"a": {"beta": [2, 8]}, "b": {"beta": [3, 3]}})
    drops = []
    for s in (0.9, 0.3, 0.05):
        prior_mean, exact = exact_and_prior(s)
        est = estimate(amap, priors, draws=100_000, evidence=[evidence("t", 20, 0, sensitivity=s)], seed=2)
        assert abs(est.result.mean - exact) < 4 * est.result.mcse, (s, est.result.mean, exact)
        drops.append(prior_mean - exact)
    assert drops == sorted(drops, reverse=True) and drops[-1] > 0


def exact_and_prior(sensitivity: float, n: int = 20) -> tuple[float, float]:
    """Prior and posterior E[P(t)] for t = a AND b, a ~ Beta(2, 8), b ~ Beta(3, 3), by quadrature."""
    x, w = special.roots_legendre(200)
    u, wu = (x + 1) / 2, w / 2
    A, B = np.meshgrid(u, u, indexing="ij")
    W = np.outer(wu, wu) * stats.beta.pdf(A, 2, 8) * stats.beta.pdf(B, 3, 3)
    p = A * B
    like = (1 - sensitivity * p) ** n  # zero positives in n trials
    return float((W * p).sum() / W.sum()), float((W * p * like).sum() / (W * like).sum())


# ----------------------------------------------------------------------------------- the CLI


def write_small(write):
    m = write("small.toml", map_text([{"id": "a"}, {"id": "b"}, {"id": "t", "all": ["a", "b"]}],
                                     target="t", map_id="small", threshold=0.05))
    p = write("small-priors.toml", priors_text({"a": {"beta": [2, 8]}, "b": {"beta": [3, 3]}}, name="small"))
    return m, p


def test_cli_evidence_json_and_save(cli, write, tmp_path) -> None:
    m, p = write_small(write)
    ev = write("ev.toml", '[[evidence]]\nid = "null"\nabout = "t"\ntrials = 20\npositives = 0\n'
                          'sensitivity = { ci90 = [0.2, 0.8] }\nfalse_positive_rate = { ci90 = [0.001, 0.05] }\n')
    out = tmp_path / "run.nc"
    args = ["estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev), "--draws", "20000",
            "--json"]
    r = cli(*args, "--save", str(out))
    assert r.exit_code == 0, r.stderr
    assert r.stderr == f"wrote {out}: every draw (20,000)\n"  # stdout stays the JSON alone
    doc = json.loads(r.stdout)
    assert doc["result"]["exact_mean"] is None
    assert set(doc["prior_result"]) == set(doc["result"])
    d = doc["diagnostics"]
    assert {"r_hat_max", "ess_bulk_min", "divergences", "method", "pareto_k"} <= set(d)
    assert d["method"] == "importance" and d["pareto_k"] < 0.7
    assert doc["result"]["mean"] < doc["prior_result"]["mean"]
    [rc] = doc["reference_classes"]
    assert rc["about"] == "t" and rc["models"] == 20 and "log-normal" in rc["kappa"]
    assert doc["evidence"][0]["id"] == "null" and doc["evidence"][0]["trials"] == 20
    idata = az.from_netcdf(out)
    assert {"prior", "posterior"} <= set(idata.groups())
    assert "P(t)" in idata.posterior and "P(t)" in idata.prior
    before = out.stat().st_mtime_ns
    assert_one_error(cli(*args, "--save", str(out)), "exists", "--force")
    assert out.stat().st_mtime_ns == before
    assert cli(*args, "--save", str(out), "--force").exit_code == 0
    assert not list(tmp_path.glob(".*.tmp"))
    # --kappa inf recovers the exchangeable model: a larger drop than with the default finite kappa
    r = cli(*args, "--kappa", "inf")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["result"]["mean"] < doc["result"]["mean"]


def test_cli_report_says_which_method_ran(cli, write) -> None:
    m, p = write_small(write)
    ev = write("ev.toml", '[[evidence]]\nid = "null"\nabout = "t"\ntrials = 20\npositives = 0\n'
                          'perfect = true\n')
    base = ["estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev), "--draws", "20000"]
    r = cli(*base)
    assert r.exit_code == 0, r.stderr
    for text in ("prior", "posterior", "reweighting the prior draws", "Pareto k", "today's propensity"):
        assert text in r.stdout, text
    r = cli(*base, "--nuts", "--tune", "100", "--posterior-draws", "100")
    assert r.exit_code == 0, r.stderr
    for text in ("NUTS diagnostics: largest r_hat", "smallest bulk ESS", "asked for"):
        assert text in r.stdout
    assert "Warning: bulk ESS" in r.stdout  # 2 x 100 draws cannot reach 400 effective draws


def test_an_old_entry_with_a_zero_false_positive_rate_is_flagged(cli, write) -> None:
    m, p = write_small(write)
    ev = write("ev.toml", '[[evidence]]\nid = "x"\nabout = "t"\ntrials = 20\npositives = 0\n'
                          'sensitivity = 0.5\n')
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev), "--draws", "5000", "--json")
    assert r.exit_code == 0, r.stderr
    assert any("conclusive" in n for n in json.loads(r.stdout)["evidence_notes"])


BAD = [
    ({"positives": 30}, ("positives", "positives <= trials")),
    ({"trials": -1}, ("trials", "negative")),
    ({"positives": -2}, ("positives", "negative")),
    ({"about": "nowhere"}, ("'nowhere' is not a node",)),
    ({"sensitivity": 1.5}, ("sensitivity", "outside [0, 1]")),
    ({"sensitivity": {"beta": [0, 1]}}, ("sensitivity", "impossible")),
    ({"false_positive_rate": -0.1}, ("false_positive_rate", "outside [0, 1]")),
    ({"sensitivity": 0.1, "false_positive_rate": 0.2}, ("below the false-positive",)),
    ({"trials": 2.5}, ("trials", "whole number")),
    ({"trials": 0}, ("0 trials",)),
    ({"colour": "red"}, ("unknown key",)),
    ({"kappa": -3}, ("kappa", "not positive")),
    ({"kappa": {"ci90": [5, 2]}}, ("kappa", "0 < lo < hi")),
    ({"perfect": True, "sensitivity": 0.9}, ("perfect = true",)),
]


@pytest.mark.parametrize("change, fragments", BAD)
def test_bad_evidence(cli, write, change: dict, fragments: tuple[str, ...]) -> None:
    m, p = write_small(write)
    entry = {"id": "obs", "about": "t", "trials": 20, "positives": 0, **change}
    ev = write("bad.toml", "[[evidence]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in entry.items()))
    assert_one_error(cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev)), *fragments)


MODEL = '[[model]]\nname = "M"\n'
TEST = '[[test]]\nid = "probe"\nmodel = "M"\nabout = "t"\nresult = true\nsource = "s"\n'
BAD_FILES = [
    (MODEL + TEST + 'sensitivity = 0.8\n', ("false_positive_rate", "required")),
    (MODEL + TEST + 'sensitivity = 0.8\nfalse_positive_rate = 0\n', ("0 makes one positive conclusive",)),
    (TEST + 'perfect = true\n', ("'M' is not a [[model]]",)),
    (MODEL + TEST + 'method = "nowhere"\n', ("'nowhere' is not a [[method]]",)),
    (MODEL + TEST.replace("result = true\n", "") + 'perfect = true\n', ("result", "required")),
    (MODEL + TEST + 'perfect = true\nkappa = 5\n' + TEST.replace('"probe"', '"two"') + 'perfect = true\nkappa = 9\n',
     ("one reference class has one kappa",)),
    (MODEL + TEST + 'perfect = true\n[[model]]\nname = "N"\ncapable = 2\n', ("capable", "outside [0, 1]")),
    ('kappa = "lots"\n' + MODEL + TEST + 'perfect = true\n', ("kappa",)),
]


@pytest.mark.parametrize("text, fragments", BAD_FILES)
def test_bad_evidence_files(cli, write, text: str, fragments: tuple[str, ...]) -> None:
    m, p = write_small(write)
    ev = write("bad.toml", text)
    assert_one_error(cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev)), *fragments)


def test_bad_kappa_option_and_sampler_settings(cli, write) -> None:
    m, p = write_small(write)
    ev = write("d.toml", '[[evidence]]\nid = "x"\nabout = "t"\ntrials = 3\npositives = 0\n')
    base = ["estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev)]
    assert_one_error(cli(*base, "--kappa", "0"), "--kappa", "not positive")
    assert_one_error(cli(*base, "--kappa", "9:1"), "--kappa")
    assert_one_error(cli(*base, "--chains", "0"), "--chains")
    assert_one_error(cli(*base, "--save", "out.txt"), ".nc")


def test_missing_key_duplicate_ids_and_empty_file(cli, write) -> None:
    m, p = write_small(write)
    base = ["estimate", "--map", str(m), "--priors", str(p), "--evidence"]
    ev = write("a.toml", '[[evidence]]\nid = "x"\nabout = "t"\ntrials = 3\n')
    assert_one_error(cli(*base, str(ev)), "positives", "missing")
    ev = write("b.toml", '[[evidence]]\nid = "x"\nabout = "t"\ntrials = 3\npositives = 0\n' * 2)
    assert_one_error(cli(*base, str(ev)), "share this id")
    ev = write("c.toml", 'name = "nothing"\n')
    assert_one_error(cli(*base, str(ev)), "[[evidence]]")


def test_evidence_in_a_priors_file_is_used(write) -> None:
    from argmap.priors import combine, load_priors_file

    amap = load_map("deceptive-alignment")
    path = write("mine.toml", 'name = "mine"\nextends = "wheaton"\n[priors]\n\n[[evidence]]\n'
                              'id = "x"\nabout = "deceptive_alignment_prosaic"\ntrials = 5\npositives = 0\n')
    priors = combine([load_priors_file(path)], amap)
    assert [e.id for e in priors.evidence] == ["x"]


def test_evidence_with_nothing_uncertain_is_refused(cli, write) -> None:
    m = write("m.toml", map_text([{"id": "a"}], target="a"))
    p = write("p.toml", priors_text({"a": 0.5}, name="p"))
    ev = write("e.toml", '[[evidence]]\nid = "x"\nabout = "a"\ntrials = 5\npositives = 1\n')
    assert_one_error(cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev),
                         "--draws", "1000"), "nothing to update")


# ------------------------------------------------------------------------------ shipped files


@pytest.mark.parametrize("name", shipped_names(priors_dir() / "evidence"))
def test_shipped_evidence_files_are_valid_and_documented(name: str) -> None:
    doc = load_evidence_document(name)
    about = {e.about for e in doc.entries} | {t.about for t in doc.tests}
    amap = load_map("deceptive-alignment-objections"
                    if about <= set(load_map("deceptive-alignment-objections").claims) else "monitoring")
    assemble([doc], amap)
    text = (priors_dir() / "evidence" / f"{name}.toml").read_text()
    assert "Coding." in text and "Caveats" in text
    assert doc.hypothetical == ("hypothetical" in name or name in ("honeypots-null", "monitoring-ladder"))
    for t in doc.tests:
        assert t.source and t.checked is not None, (t.model, t.id)
    for e in doc.entries:
        assert e.source and e.checked is not None


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_names(priors_dir() / "evidence"))
def test_shipped_evidence_runs_on_the_shipped_map(cli, name: str) -> None:
    doc = load_evidence_document(name)
    about = {e.about for e in doc.entries} | {t.about for t in doc.tests}
    amap = ("deceptive-alignment-objections"
            if about <= set(load_map("deceptive-alignment-objections").claims) else "monitoring")
    r = cli("estimate", "--map", amap, "--evidence", name, "--json", "--draws", "100000")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)["diagnostics"]
    assert d["method"] == "importance" or (d["r_hat_max"] <= 1.01 and d["divergences"] == 0)
