"""`argmap priors init`, `argmap priors check` and `argmap elicit`."""

from __future__ import annotations

import json

import pytest

from argmap.exact import exact_probabilities
from argmap.maps import load_map
from argmap.priors import load_priors
from tests.conftest import assert_one_error, map_text, priors_text


def test_init_round_trips_the_starting_priors(cli, tmp_path) -> None:
    out = tmp_path / "mine.toml"
    r = cli("priors", "init", str(out), "--from", "hubinger-2022")
    assert r.exit_code == 0, r.stderr
    amap = load_map("deceptive-alignment")
    mine, theirs = load_priors(str(out), amap=amap), load_priors("hubinger-2022", amap=amap)
    for pid in amap.parameters:
        a, b = mine.entries[pid], theirs.entries[pid]
        assert (a.a, a.b, a.value) == (b.a, b.b, b.value), pid
    e1, e2 = exact_probabilities(amap, mine.means()), exact_probabilities(amap, theirs.means())
    assert e1[amap.target] == e2[amap.target]
    assert_one_error(cli("priors", "init", str(out)), "exists", "--force")
    assert cli("priors", "init", str(out), "--force", "--map", "monitoring").exit_code == 0
    assert "labs_monitor" in out.read_text()


def test_check_reports_valid_files_and_errors(cli, write) -> None:
    r = cli("priors", "check", "wheaton")
    assert r.exit_code == 0 and "valid for map deceptive-alignment" in r.stdout
    doc = json.loads(cli("priors", "check", "lesswrong-comment-wgdc", "--json").stdout)
    assert doc["valid"] and "schemer_goals_favoured" in doc["parameters"]
    bad = write("bad.toml", 'name = "bad"\nextends = "wheaton"\n[priors]\nprosaic_tai = 1.2\n')
    assert_one_error(cli("priors", "check", str(bad)), "priors.prosaic_tai", "outside [0, 1]")


def test_elicit_asks_each_claim_and_writes_the_answers(cli, write, tmp_path) -> None:
    from typer.testing import CliRunner

    from argmap.cli import app

    m = write("m.toml", map_text([{"id": "a"}, {"id": "b", "given": ["a"]}, {"id": "t", "all": ["a", "b"]}],
                                 target="t"))
    start = write("s.toml", priors_text({"a": 0.5, "b | a": 0.5, "b | not a": 0.5}, name="s"))
    out = tmp_path / "answers.toml"
    answers = "very likely\n\nnonsense\n0.05-0.4\n"  # a phrase, keep, a bad answer then an interval
    r = CliRunner().invoke(app, ["elicit", str(out), "--from", str(start), "--map", str(m)], input=answers)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "try again" in r.stdout
    amap = load_map(str(m))
    got = load_priors(str(out), amap=amap).entries
    assert got["a"].spec.startswith('phrase "very likely"') and got["a"].why == "elicited: very likely"
    assert got["b | a"].value == 0.5
    assert got["b | not a"].ppf(0.05) == __import__("pytest").approx(0.05, abs=1e-6)
    r = CliRunner().invoke(app, ["elicit", str(tmp_path / "short.toml"), "--from", str(start), "--map",
                                 str(m)], input="likely\n")
    assert r.exit_code == 1 and "nothing written" in r.stderr
    assert not (tmp_path / "short.toml").exists()


def test_elicit_takes_answers_as_people_type_them(write, tmp_path) -> None:
    from typer.testing import CliRunner

    from argmap.cli import app

    m = write("m.toml", map_text([{"id": "a"}, {"id": "b", "given": ["a"]}, {"id": "t", "all": ["a", "b"]}],
                                 target="t"))
    start = write("s.toml", priors_text({"a": 0.5, "b | a": 0.5, "b | not a": 0.5}, name="s"))
    out = tmp_path / "answers.toml"
    # a: 20%, then how sure (an interval around it); 'back' to a, which becomes an 'exact' 30%;
    # b | a: a Beta; b | not a: 5%-40%
    answers = "20%\n10%-30%\nback\n30%\nexact\nbeta(2, 5)\n5%-40%\n"
    r = CliRunner().invoke(app, ["elicit", str(out), "--from", str(start), "--map", str(m)], input=answers)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    text = " ".join(r.stdout.split())
    assert "→ " in text and "Beta(2, 5), mean 0.286" in text  # each answer is echoed as its prior
    got = load_priors(str(out), amap=load_map(str(m))).entries
    assert got["a"].fixed and got["a"].value == pytest.approx(0.3)
    assert not got["b | a"].fixed and (got["b | a"].a, got["b | a"].b) == (2, 5)
    assert got["b | not a"].ppf(0.95) == pytest.approx(0.4, abs=1e-6)
    # a bare number with no answer to "how sure" is not silently made a certainty
    r = CliRunner().invoke(app, ["elicit", str(tmp_path / "x.toml"), "--from", str(start), "--map", str(m)],
                           input="0.2\n\n0.2\n0.1-0.3\n\n\n")
    assert r.exit_code == 0 and "a single number has no uncertainty" in r.stdout
    got = load_priors(str(tmp_path / "x.toml"), amap=load_map(str(m))).entries
    assert not got["a"].fixed and got["a"].ppf(0.05) == pytest.approx(0.1, abs=1e-6)
