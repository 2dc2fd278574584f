"""Property-based fuzzing of every input argmap reads: maps, priors files, evidence files, CLI options.

Each generated case must end in exit code 0 (the input happened to be valid), 1 (one ``Error:`` line
on stderr) or 2 (a usage error), never in an internal error or a traceback, and must not create,
change or truncate any file. The default run tries over 500 cases (derandomised, so CI sees the same
ones every time); ``-m slow`` runs many more with fresh randomness.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from argmap.cli import app
from tests.conftest import map_text, priors_text, toml_value

FAST = settings(max_examples=130, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(max_examples=1500, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

GOOD_NODES = [{"id": "a"}, {"id": "b", "given": ["a"]}, {"id": "c", "all": ["a", "b"], "chance": True},
              {"id": "d", "not": "c"}, {"id": "t", "any": ["c", "d"]}]
GOOD_PRIORS = {"a": {"beta": [2, 3]}, "b | a": 0.7, "b | not a": {"ci90": [0.1, 0.4]}, "c": "likely"}

# values of every type TOML can hold, and the odd ones a user types by mistake
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                    st.sampled_from(["", "a", "t", "zz", "not a", "a | b", "50%", "likely", "1e-9", "-0.1",
                                     "beta(2, 5)", "\ufeff", "ünï 🙂", "x" * 300]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _check(folder: Path, args: list[str], *, writes: tuple[str, ...] = ()) -> None:
    """Run argmap in ``folder`` and assert the boundary's promises."""
    before = _snapshot(folder)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        r = CliRunner().invoke(app, args, env={"COLUMNS": "100"})
    finally:
        os.chdir(cwd)
    assert r.exception is None or isinstance(r.exception, SystemExit), (args, repr(r.exception))
    assert r.exit_code in (0, 1, 2), (args, r.exit_code, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, args
    if r.exit_code == 1:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (args, r.stderr)
        assert len(lines[0]) < 1200, "an error line echoes a value whole"
    after = _snapshot(folder)
    if r.exit_code != 0:
        assert after == before, (args, "files changed on failure")
    else:
        assert {k: v for k, v in after.items() if k in before} == before, (args, "an input was changed")
        assert set(after) - set(before) <= set(writes), (args, set(after) - set(before))


def _toml_key(k: str) -> str:
    return json.dumps(k)


def _node_lines(node: dict) -> str:
    return "\n[[node]]\n" + "\n".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in node.items()
                                      if v is not None and not (isinstance(v, float) and v != v)) + "\n"


def _safe(v: object) -> bool:
    """Whether conftest.toml_value can write ``v`` as TOML (None and NaN have no TOML form)."""
    if v is None:
        return False
    if isinstance(v, float):
        return v == v and v not in (float("inf"), float("-inf"))
    if isinstance(v, list):
        return all(_safe(x) for x in v)
    if isinstance(v, dict):
        return all(_safe(x) for x in v.values())
    return True


@st.composite
def mutated_map(draw) -> str:
    nodes = [dict(n) for n in GOOD_NODES]
    for _ in range(draw(st.integers(1, 3))):
        node = draw(st.sampled_from(nodes))
        action = draw(st.sampled_from(["set", "delete", "add"]))
        key = draw(st.sampled_from(["id", "claim", "given", "all", "any", "not", "chance", "short", "group",
                                    "at_least_one_of", "count", "section", "bogus"]))
        if action == "delete":
            node.pop(key, None)
        else:
            value = draw(VALUES.filter(_safe))
            node[key] = value
    top = {"target": draw(st.sampled_from(["t", "a", "zz", ""])), "threshold": draw(
        st.one_of(st.floats(-1, 2, allow_nan=False), st.sampled_from([0.01, 0, 1])))}
    head = "\n".join([f'id = "{draw(st.sampled_from(["m", "M!", "a-b", ""]))}"', 'title = "t"',
                      f"target = {toml_value(top['target'])}", f"threshold = {toml_value(top['threshold'])}"])
    body = "".join(_node_lines({"claim": "c", **n}) for n in nodes)
    text = head + "\n" + body
    if draw(st.booleans()):  # cut the file short, as a half-written save would be
        text = text[:draw(st.integers(0, len(text)))]
    return text


@st.composite
def mutated_priors(draw) -> str:
    entries: dict[str, object] = dict(GOOD_PRIORS)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*GOOD_PRIORS, "zz", "b | zz", "c | a", ""]))
        if draw(st.booleans()):
            entries.pop(key, None)
        else:
            entries[key] = draw(st.one_of(
                VALUES.filter(_safe),
                st.fixed_dictionaries({}, optional={
                    "beta": st.lists(st.floats(-2, 1e6, allow_nan=False), max_size=3),
                    "ci90": st.lists(st.floats(-0.5, 1.5, allow_nan=False), max_size=3),
                    "phrase": st.text(max_size=12), "value": st.floats(-1, 2, allow_nan=False),
                    "why": st.text(max_size=20), "basis": st.sampled_from(["quote", "unstated", "x"]),
                    "quote": st.text(max_size=20), "lexicon": st.sampled_from(["ipcc", "survey", "x"])})))
    top = {"name": draw(st.sampled_from(["p", "", "P Q", "ünï"])), "map": "m.toml"}
    if draw(st.booleans()):
        top["extends"] = draw(st.sampled_from(["agnostic", "nope", "p.toml", ""]))
    text = priors_text(entries, **top)
    if draw(st.booleans()):
        text = text[:draw(st.integers(0, len(text)))]
    return text


@st.composite
def mutated_evidence(draw) -> str:
    entry: dict[str, object] = {"id": "e", "about": "t", "trials": 10, "positives": 0,
                                "sensitivity": {"ci90": [0.2, 0.8]}, "false_positive_rate": 0.01,
                                "source": "invented"}
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*entry, "capable", "kappa", "perfect", "checked", "bogus"]))
        if draw(st.booleans()):
            entry.pop(key, None)
        else:
            entry[key] = draw(st.one_of(VALUES.filter(_safe), st.integers(-5, 50),
                                        st.sampled_from(["inf", {"ci90": [2, 100]}, 0, 1.5])))
    text = 'name = "ev"\ndescription = "fuzz"\n\n[[evidence]]\n' + "\n".join(
        f"{_toml_key(k)} = {toml_value(v)}" for k, v in entry.items()) + "\n"
    if draw(st.booleans()):
        text = text[:draw(st.integers(0, len(text)))]
    return text


def _folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "good.toml").write_text(map_text(GOOD_NODES, "t", map_id="m"))
    (folder / "good-priors.toml").write_text(priors_text(GOOD_PRIORS, name="p", map="good.toml"))
    return folder


def _maps(text: str, folder: Path) -> None:
    (folder / "m.toml").write_text(text)
    _check(folder, ["estimate", "--map", "m.toml", "--priors", "good-priors.toml", "--draws", "100"])


def _priors(text: str, folder: Path) -> None:
    (folder / "m.toml").write_text(map_text(GOOD_NODES, "t", map_id="m"))
    (folder / "p.toml").write_text(text)
    _check(folder, ["estimate", "--map", "m.toml", "--priors", "p.toml", "--draws", "100"])
    _check(folder, ["priors", "check", "p.toml", "--map", "m.toml"])


def _evidence(text: str, folder: Path) -> None:
    # what is fuzzed is reading and checking the file; a valid file whose importance weights are
    # unreliable would start NUTS (a minute each), which the slow tests cover: here it ends in an error
    from unittest import mock

    from argmap.errors import EvidenceError

    (folder / "ev.toml").write_text(text)
    refuse = mock.Mock(side_effect=EvidenceError("NUTS is not run while fuzzing"))
    with mock.patch("argmap.analyses.update._nuts", refuse):
        _check(folder, ["estimate", "--map", "good.toml", "--priors", "good-priors.toml", "--draws", "2000",
                        "--evidence", "ev.toml", "--json"])


OPTION_VALUES = st.one_of(st.text(max_size=12), st.sampled_from(
    ["-1", "0", "1e6", "50%", "nan", "inf", "-inf", "1.5", "100000000000", "1,0", "0.5", "", "t", "zz",
     "a < 1%", "t in [0.2, 0.1]", "t ~ 0.5 ± 0.1", "linear", "logarithmic", "mermaid", "svg", "out.png",
     "out.nc", "out.toml", "good.toml", "good-priors.toml", "wheaton", "..", "/dev/null"]))
COMMANDS = [["estimate"], ["sensitivity"], ["implied"], ["show"], ["graph"], ["compare", "good-priors.toml"],
            ["cruxes", "good-priors.toml"], ["pool", "good-priors.toml"], ["priors", "init", "new.toml"],
            ["priors", "check", "good-priors.toml"]]
OPTIONS = ["--map", "--priors", "--target", "--threshold", "--draws", "--seed", "--samples", "--given",
           "--format", "--method", "--weights", "--output", "--from", "--kappa", "--chains", "--tune",
           "--posterior-draws", "--plot", "--save", "--evidence", "--permutations"]


@st.composite
def command_lines(draw) -> list[str]:
    args = list(draw(st.sampled_from(COMMANDS)))
    for _ in range(draw(st.integers(1, 3))):
        args += [draw(st.sampled_from(OPTIONS)), draw(OPTION_VALUES)]
    if args[0] in ("estimate", "sensitivity", "implied"):
        args += ["--map", "good.toml", "--priors", "good-priors.toml"]
        args += ["--draws", "100"] if args[0] == "estimate" else ["--samples", "64"] if args[0] == "sensitivity" \
            else ["--draws", "1000"]
    return args


def _command(args: list[str], folder: Path) -> None:
    writes = ("new.toml", "out.png", "out.nc", "out.toml", "out.svg")
    _check(folder, args, writes=writes)
    for name in writes:  # what a successful run wrote is not an input of the next case
        (folder / name).unlink(missing_ok=True)


@FAST
@given(text=mutated_map())
def test_malformed_maps(tmp_path_factory, text: str) -> None:
    _maps(text, _folder(tmp_path_factory))


@FAST
@given(text=mutated_priors())
def test_malformed_priors(tmp_path_factory, text: str) -> None:
    _priors(text, _folder(tmp_path_factory))


@settings(FAST, max_examples=110)
@given(text=mutated_evidence())
def test_malformed_evidence(tmp_path_factory, text: str) -> None:
    _evidence(text, _folder(tmp_path_factory))


@FAST
@given(args=command_lines())
def test_malformed_command_lines(tmp_path_factory, args: list[str]) -> None:
    _command(args, _folder(tmp_path_factory))


@pytest.mark.slow
@SLOW
@given(text=mutated_map(), priors=mutated_priors(), evidence=mutated_evidence(), args=command_lines())
def test_everything_at_once_many_more_cases(tmp_path_factory, text, priors, evidence, args) -> None:
    folder = _folder(tmp_path_factory)
    _maps(text, folder)
    _priors(priors, folder)
    _evidence(evidence, folder)
    _command(args, folder)
