"""Mapping your own argument: argmap new, argmap check, priors init with placeholders, typed input."""

from __future__ import annotations

import json
import re

from tests.conftest import map_text, priors_text


def test_new_then_priors_init_then_fill_in_gives_a_file_estimate_accepts(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("new", "x.toml")
    assert r.exit_code == 0 and (tmp_path / "x.toml").exists()
    assert cli("check", "x.toml").exit_code == 0
    r = cli("priors", "init", "p.toml", "--map", "x.toml")
    assert r.exit_code == 0, r.stderr
    text = (tmp_path / "p.toml").read_text()
    holes = re.findall(r'^("?[a-z_| ,]+"?) = "\?"$', text, re.M)
    assert len(holes) == 5  # every parameter of the starter map is a placeholder
    # unfilled placeholders are refused, each named
    r = cli("estimate", "--map", "x.toml", "--priors", "p.toml")
    assert r.exit_code == 1 and "5 placeholder(s) still to fill" in r.stderr
    for hole in holes:
        assert hole.strip('"') in r.stderr
    # filling all but one: the one left is named
    fills = ["0.9", '"likely"', "{ ci90 = [0.3, 0.7] }", "{ beta = [8, 2] }"]
    for hole, fill in zip(holes, fills, strict=False):
        text = text.replace(f'{hole} = "?"', f"{hole} = {fill}", 1)
    (tmp_path / "p.toml").write_text(text)
    r = cli("estimate", "--map", "x.toml", "--priors", "p.toml")
    assert r.exit_code == 1 and "1 placeholder(s)" in r.stderr and holes[-1].strip('"') in r.stderr
    (tmp_path / "p.toml").write_text(text.replace(f'{holes[-1]} = "?"', f'{holes[-1]} = "50%"'))
    r = cli("estimate", "--map", "x.toml", "--priors", "p.toml", "--json", "--draws", "1e4")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["claim"] == "above" and doc["draws"] == 10_000


def test_a_path_inside_a_priors_file_is_the_files(cli, tmp_path, monkeypatch) -> None:
    sub = tmp_path / "work"
    sub.mkdir()
    (sub / "m.toml").write_text(map_text([{"id": "a"}], "a", map_id="m"))
    (sub / "p.toml").write_text(priors_text({"a": 0.3}, name="p", map="m.toml"))
    monkeypatch.chdir(tmp_path)  # not the files' folder
    r = cli("estimate", "--priors", "work/p.toml", "--json", "--draws", "1000")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["map"] == "m"


def test_check_reports_what_a_map_holds_or_every_problem(cli, write) -> None:
    m = write("m.toml", map_text([{"id": "a"}, {"id": "b"}, {"id": "spare", "given": ["a"]},
                                  {"id": "t", "all": ["a", "b"]}], "t"))
    r = cli("check", str(m))
    out = " ".join(r.stdout.split())
    assert r.exit_code == 0 and "unused nodes: spare" in out and "parameters: 4" in out
    assert "tracked jointly" in out
    bad = write("bad.toml", map_text([{"id": "a", "given": ["q"]}, {"id": "a"}, {"id": "c", "all": ["a", "r"]}],
                                     "zz"))
    r = cli("check", str(bad))
    assert r.exit_code == 1 and r.stderr.strip().startswith("Error: ") and "4 problem(s)" in r.stderr
    for words in ("duplicate node id", "unknown node 'q'", "unknown node 'r'", "target: unknown node 'zz'"):
        assert words in r.stdout, words
    doc = json.loads(cli("check", str(bad), "--json").stdout)
    assert not doc["valid"] and len(doc["problems"]) == 4


def test_inputs_as_people_type_them(cli, write) -> None:
    doc = json.loads(cli("estimate", "--threshold", "2%", "--draws", "1e4", "--json").stdout)
    assert doc["threshold"] == 0.02 and doc["draws"] == 10_000
    for bad in (["--draws", "1.5e2x"], ["--draws", "150.5"], ["--threshold", "150%"]):
        r = cli("estimate", *bad)
        assert r.exit_code == 2 and "Traceback" not in r.stderr, bad
    m = write("m.toml", map_text([{"id": "a"}, {"id": "b"}, {"id": "t", "any": ["a", "b"]}], "t"))
    p = write("p.toml", priors_text({"a": "50%", "b": "0.5"}, name="p", map=str(m)))
    doc = json.loads(cli("estimate", "--priors", str(p), "--json", "--draws", "1000").stdout)
    assert doc["result"]["exact_mean"] == 0.75
