"""Reports at 80 columns keep every id and both ends of every interval whole."""

from __future__ import annotations

import json

import pytest

from argmap.render import pct


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("map_name", ["deceptive-alignment", "deceptive-alignment-objections", "monitoring"])
def test_estimate_at_80_columns(cli_width, map_name: str) -> None:
    doc = json.loads(cli_width(100, "estimate", "--map", map_name, "--json", "--draws", "20000").stdout)
    r = cli_width(80, "estimate", "--map", map_name, "--draws", "20000")
    assert r.exit_code == 0, r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    words = set(_flat(r.stdout).split())
    for node, s in doc["nodes"].items():
        assert node in words, node
        assert pct(s["p05"]) in words and pct(s["p95"]) in words, (node, s)
    for node, s in doc["targets"].items():
        assert node in words and pct(s["p05"]) in words and pct(s["p95"]) in words, node


def test_sensitivity_at_80_columns(cli_width) -> None:
    doc = json.loads(cli_width(100, "sensitivity", "--json", "--samples", "256").stdout)
    r = cli_width(80, "sensitivity", "--samples", "256", "--all")
    assert r.exit_code == 0, r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    flat = _flat(r.stdout)
    for row in doc["rows"]:
        assert _flat(row["parameter"]) in flat, row["parameter"]
        assert f"{row['p05']:.2g}–{row['p95']:.2g}" in flat and pct(row["at_p95"]) in flat, row["parameter"]


def test_sensitivity_hides_rows_indistinguishable_from_zero(cli_width) -> None:
    from argmap.render import negligible

    doc = json.loads(cli_width(100, "sensitivity", "--json", "--samples", "256").stdout)
    zero = [row for row in doc["rows"]
            if negligible(type("Row", (), {k: row[k] for k in ("s1", "s1_conf", "st", "st_conf")}))]
    assert zero, "the shipped map has parameters whose indices are indistinguishable from zero"
    short = cli_width(100, "sensitivity", "--samples", "256").stdout
    assert f"{len(zero)} more parameter(s) with both indices indistinguishable from zero" in _flat(short)
    assert zero[0]["parameter"] not in short
    assert zero[0]["parameter"] in cli_width(100, "sensitivity", "--samples", "256", "--all").stdout
