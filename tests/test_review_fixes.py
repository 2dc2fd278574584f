"""Regressions found by an independent review of the engine, --watch, check and sensitivity changes."""

from __future__ import annotations

import json
import os
import time

from tests.conftest import priors_text

COPIES = ('id = "copies"\ntitle = "t"\ntarget = "t"\nthreshold = 0.5\n[[node]]\nid = "a"\nclaim = "a"\n'
          '[[node]]\nid = "x"\nclaim = "one model"\ngiven = ["a"]\n'
          '[[node]]\nid = "t"\nclaim = "at least one of ten"\nat_least_one_of = "x"\ncount = 10\n')
BETAS = {"a": {"beta": [2, 8]}, "x | a": {"beta": [2, 8]}, "x | not a": {"beta": [2, 8]}}


def test_break_even_through_an_at_least_one_of_copy_reaches_the_threshold(cli, write) -> None:
    from argmap.exact import circuit_for, evaluate, moment_values, set_value
    from argmap.maps import load_map
    from argmap.priors import load_priors

    m = write("m.toml", COPIES)
    p = write("p.toml", priors_text(BETAS, name="p", map=str(m)))
    doc = json.loads(cli("sensitivity", "--priors", str(p), "--json", "--samples", "128").stdout)
    row = next(r for r in doc["rows"] if r["parameter"] == "x | not a")
    assert row["break_even"] is not None
    amap = load_map(str(m))
    means = moment_values(amap, load_priors(str(p), amap=amap))
    circuit = circuit_for(amap)
    at = evaluate(circuit, set_value(means, circuit, "x | not a", row["break_even"]), nodes=["t"])["t"]
    assert abs(at - 0.5) < 1e-9  # fed back, the break-even value gives the threshold


def test_check_counts_an_at_least_one_of_template_as_used(cli, write) -> None:
    m = write("m.toml", COPIES)
    out = " ".join(cli("check", str(m)).stdout.split())
    assert "unused nodes: none" in out


def test_check_takes_a_priors_file_with_evidence_and_no_priors_table(cli, write) -> None:
    f = write("mine.toml", 'name = "mine"\nextends = "wheaton"\n[[evidence]]\nid = "e"\nabout = "da_finetuning"\n'
                           'trials = 3\npositives = 0\nsensitivity = 0.5\nfalse_positive_rate = 0.01\nsource = "x"\n')
    r = cli("check", str(f))
    assert r.exit_code == 0 and "valid priors file" in r.stdout, r.stderr


def test_a_maps_own_priors_path_is_the_map_files(cli, tmp_path, monkeypatch) -> None:
    sub = tmp_path / "m"
    sub.mkdir()
    (sub / "m.toml").write_text(COPIES.replace('threshold = 0.5\n', 'threshold = 0.5\npriors = "p.toml"\n'))
    (sub / "p.toml").write_text(priors_text(BETAS, name="p"))
    monkeypatch.chdir(tmp_path)
    r = cli("estimate", "--map", "m/m.toml", "--json", "--draws", "1000")
    assert r.exit_code == 0, r.stderr


def test_an_edit_saved_while_the_watch_refreshes_is_picked_up(tmp_path, write, monkeypatch) -> None:
    import argmap.analyses.estimate as est_mod
    from argmap.watch import Watcher

    m = write("m.toml", COPIES)
    p = write("p.toml", priors_text({"a": 0.5, "x | a": 0.5, "x | not a": 0.5}, name="p", map=str(m)))
    real = est_mod.estimate

    def slow(*args, **kwargs):
        out = real(*args, **kwargs)
        p.write_text(priors_text({"a": 0.9, "x | a": 0.9, "x | not a": 0.9}, name="p", map=str(m)))
        stamp = time.time_ns() + 10**9
        os.utime(p, ns=(stamp, stamp))
        return out
    monkeypatch.setattr(est_mod, "estimate", slow)
    w = Watcher(str(m), [str(p)], draws=1000)
    w.refresh()
    assert w.changed()  # the save during the run is not taken as already seen


def test_the_draw_cache_keeps_within_its_budget() -> None:
    import numpy as np

    from argmap.model import DrawCache

    cache = DrawCache(budget=8 * 1000)
    cache.put(("a",), np.zeros(1000))
    cache.put(("b",), np.zeros(1000))  # over the budget: not kept
    assert cache.get(("a",)) is not None and cache.get(("b",)) is None


def test_counts_and_intervals_as_typed() -> None:
    import pytest
    import typer

    from argmap.cli import _answer, parse_count

    assert parse_count("100,000") == parse_count("1e5") == parse_count("100_000") == 100_000
    with pytest.raises(typer.BadParameter):
        parse_count("1,5")  # a decimal comma, not a thousands separator
    assert _answer("5-40%") == _answer("5%-40%") == _answer("0.05-0.4") == {"ci90": [0.05, 0.4]}
