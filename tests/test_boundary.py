"""The CLI's error boundary and the library's manners: one line on every failure, no side effects."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import assert_one_error

BOOM = """
import sys
import argmap.analyses.estimate as e
def boom(*args, **kwargs):
    raise ZeroDivisionError("division by zero")
e.estimate = boom
sys.argv = ["argmap", *{args!r}]
from argmap.cli import main
main()
"""


def _run(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_an_unexpected_exception_is_one_line_and_exit_3() -> None:
    r = _run(BOOM.format(args=["estimate"]), env={"ARGMAP_DEBUG": ""})
    assert r.returncode == 3
    assert r.stderr.splitlines() == ["Error: internal error (ZeroDivisionError: division by zero); please "
                                     "report it with the command and `argmap --version`"]


def test_debug_shows_the_traceback() -> None:
    r = _run(BOOM.format(args=["--debug", "estimate"]))
    assert r.returncode != 0 and "Traceback" in r.stderr and "ZeroDivisionError" in r.stderr
    r = _run(BOOM.format(args=["estimate"]), env={"ARGMAP_DEBUG": "1"})
    assert "Traceback" in r.stderr


def test_version(cli) -> None:
    from argmap import __version__

    r = cli("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"argmap {__version__}"


@pytest.mark.parametrize("command", [["estimate"], ["sensitivity"], ["implied"], ["show"],
                                     ["compare", "wheaton", "agnostic"], ["cruxes", "wheaton", "agnostic"]])
def test_a_negative_seed_is_a_usage_error(cli, command: list[str]) -> None:
    r = cli(*command, "--seed", "-1")
    assert r.exit_code == 2 and "Traceback" not in r.stderr and "--seed" in r.stderr


def test_plots_never_replace_a_file_without_force(cli, tmp_path) -> None:
    png = tmp_path / "keep.png"
    png.write_bytes(b"mine")
    for command in (["estimate", "--draws", "1000"], ["sensitivity", "--samples", "64"],
                    ["implied", "--draws", "2000"]):
        assert_one_error(cli(*command, "--plot", str(png)), "exists", "--force")
        assert png.read_bytes() == b"mine"
    r = cli("estimate", "--draws", "1000", "--plot", str(png), "--force")
    assert r.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG"


NO_SIDE_EFFECTS = """
import json, logging, os, sys, warnings
# importing these changes the process by itself (their own loggers, filters, variables): that is theirs
import arviz, matplotlib, pymc, pytensor, scipy.stats, SALib.analyze.sobol  # noqa
try:  # PyTensor imports setuptools when it loads its first compiled module, and with it this filter
    import pkg_resources  # noqa
except ImportError:
    pass
before = (dict(os.environ), [logging.getLogger(n).level for n in ("pymc", "pytensor", "pytensor.tensor.blas")],
          list(warnings.filters))
import argmap
amap = argmap.load_map("deceptive-alignment")
priors = argmap.load_priors("wheaton", amap=amap)
argmap.estimate(amap, priors, draws=2000)
argmap.sensitivity(amap, priors, samples=64)
after = (dict(os.environ), [logging.getLogger(n).level for n in ("pymc", "pytensor", "pytensor.tensor.blas")],
         list(warnings.filters))
print(json.dumps([before[0] == after[0], before[1] == after[1], before[2] == after[2]]))
"""


def test_the_library_leaves_the_host_process_alone() -> None:
    r = _run(NO_SIDE_EFFECTS)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == [True, True, True]


def test_no_environment_writes_or_patches_outside_the_cli() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "argmap"
    for path in root.rglob("*.py"):
        if path.name == "cli.py":
            continue
        text = path.read_text()
        assert "os.environ[" not in text and "os.environ.update" not in text, path
        assert "cmodule." not in text and "GCC_compiler." not in text, path


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_exit_130(tmp_path) -> None:
    p = subprocess.Popen([sys.executable, "-m", "argmap", "estimate", "--draws", "10000000"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    time.sleep(2)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert err.strip().splitlines() == ["Error: interrupted (Ctrl-C); no file was written"]


def test_files_named_alike_are_refused_not_mixed_up(cli, write) -> None:
    a = write("a.toml", 'name = "same"\nextends = "wheaton"\n[priors]\n')
    b = write("b.toml", 'name = "same"\nextends = "agnostic"\n[priors]\n')
    assert_one_error(cli("compare", str(a), str(b), "--draws", "1000"), "'same'")
    assert_one_error(cli("compare", "wheaton", "wheaton", "--draws", "1000"), "'wheaton'")


@pytest.mark.parametrize("args", [["--draws", "50"], ["--draws", "20000000"], ["--threshold", "1.5"],
                                  ["--threshold", "0"]])
def test_out_of_range_options_are_usage_errors(cli, args: list[str]) -> None:
    r = cli("estimate", *args)
    assert r.exit_code == 2 and "Traceback" not in r.stderr


def test_a_folder_or_a_bom_as_a_priors_file(cli, tmp_path, monkeypatch) -> None:
    import os

    assert_one_error(cli("estimate", "--priors", str(tmp_path) + "/"), "not a regular file")
    assert_one_error(cli("estimate", "--priors", "/dev/null"), "not a regular file")
    os.mkfifo(tmp_path / "fifo")
    monkeypatch.chdir(tmp_path)
    assert_one_error(cli("estimate", "--priors", "fifo"), "fifo: not a regular file")
    bom = tmp_path / "bom.toml"
    bom.write_bytes('\ufeffname = "bom"\nextends = "wheaton"\n[priors]\n'.encode("utf-8"))
    r = cli("estimate", "--priors", str(bom), "--draws", "1000", "--json")
    assert r.exit_code == 0, r.stderr


def test_an_undefined_conditional_is_null_in_json(cli, write) -> None:
    m = write("m.toml", 'id = "m"\ntitle = "M"\ntarget = "both"\n[[conditional]]\nid = "c"\nlabel = "P(b | a)"\n'
              'numerator = "both"\ndenominator = "a"\n[[node]]\nid = "a"\nclaim = "claim a"\n'
              '[[node]]\nid = "b"\nclaim = "claim b"\n[[node]]\nid = "both"\nclaim = "claim both"\n'
              'all = ["a", "b"]\n')
    p = write("p.toml", 'name = "p"\n[priors]\na = 0\nb = 0.5\n')
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--draws", "1000", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["conditionals"]["c"]["value"] is None


def test_unicode_survives_priors_init(cli, tmp_path) -> None:
    src = tmp_path / "src.toml"
    src.write_text('name = "src"\nextends = "wheaton"\n[priors]\n'
                   'prompted_from_start = { phrase = "likely", why = "ünï cødé 🙂 and a \\"quote\\"" }\n',
                   encoding="utf-8")
    out = tmp_path / "ünï cødé 🙂.toml"
    r = cli("priors", "init", str(out), "--from", str(src))
    assert r.exit_code == 0, r.stderr
    assert "🙂" in out.read_text(encoding="utf-8")
    assert cli("priors", "check", str(out)).exit_code == 0


@pytest.mark.parametrize("ci90, words", [([0.5, 0.50001], "too narrow"), ([1e-9, 0.5], "too extreme")])
def test_beta_intervals_argmap_cannot_fit_are_refused_clearly(cli, write, ci90, words) -> None:
    p = write("p.toml", 'name = "p"\nextends = "wheaton"\n[priors]\n'
              f"prompted_from_start = {{ ci90 = [{ci90[0]!r}, {ci90[1]!r}] }}\n")
    assert_one_error(cli("priors", "check", str(p)), "prompted_from_start", words)


def test_an_empty_map_has_a_clear_error(cli, write) -> None:
    m = write("empty.toml", 'id = "empty"\ntitle = "E"\ntarget = "x"\n')
    r = cli("estimate", "--map", str(m))
    assert r.exit_code == 1 and "valid names are \n" not in r.stderr and r.stderr.startswith("Error: ")


def test_logarithmic_pool_with_a_zero_weight_file_that_fixes_a_parameter(cli, tmp_path) -> None:
    half = tmp_path / "half.toml"
    half.write_text('name = "half"\nextends = "wheaton"\n[priors]\nprompted_from_start = 0.5\n')
    out = tmp_path / "pooled.toml"
    r = cli("pool", "wheaton", str(half), "--weights", "1,0", "--method", "logarithmic", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    from argmap.maps import load_map
    from argmap.priors import load_priors

    amap = load_map("deceptive-alignment")
    pooled, wheaton = load_priors(str(out), amap=amap), load_priors("wheaton", amap=amap)
    p, q = pooled.entries["prompted_from_start"], wheaton.entries["prompted_from_start"]
    assert (p.a, p.b) == pytest.approx((q.a, q.b), rel=1e-12)


def test_sensitivity_reports_the_samples_it_used(cli) -> None:
    doc = json.loads(cli("sensitivity", "--samples", "100", "--json").stdout)
    assert doc["sobol_samples"] == 128


@pytest.mark.slow
def test_eight_processes_on_an_empty_cache_all_succeed_alike(tmp_path) -> None:
    import os

    env = {**os.environ, "ARGMAP_CACHE_DIR": str(tmp_path / "cache")}  # empty
    env.pop("PYTENSOR_FLAGS", None)
    procs = [subprocess.Popen([sys.executable, "-m", "argmap", "estimate", "--draws", "2000", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
             for _ in range(8)]
    outs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [e for _, e in outs]
    assert len({o for o, _ in outs}) == 1
    for _, err in outs:
        assert "Traceback" not in err


def test_a_very_long_name_is_not_echoed_whole(cli) -> None:
    name = "x" * 300_000
    for args in (["--priors", name], ["--map", name], ["--target", name]):
        r = cli("estimate", *args)
        assert r.exit_code == 1 and len(r.stderr) < 2_000, (args[0], len(r.stderr))


@pytest.mark.parametrize(("sig", "code", "line"), [
    (signal.SIGTERM, 143, "Error: terminated (SIGTERM); no file was written"),
    (signal.SIGINT, 130, "Error: interrupted (Ctrl-C); no file was written"),
])
def test_a_signal_while_saving_leaves_no_file(tmp_path, sig, code, line) -> None:
    # raised inside HDF5's callbacks, the signal's exception would be printed and ignored, and the file
    # written anyway: the write finishes, its temporary file is removed, then the program ends
    p = subprocess.Popen([sys.executable, "-m", "argmap", "estimate", "--draws", "200000", "--save", "out.nc"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None and not list(tmp_path.glob(".out.nc.*.tmp")):
        time.sleep(0.01)
    assert p.poll() is None, "the run ended before its file was being written"
    time.sleep(0.05)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    assert err.strip().splitlines() == [line]
    assert list(tmp_path.iterdir()) == []


def test_evidence_the_priors_make_impossible_is_refused(cli, write) -> None:
    from tests.conftest import map_text, priors_text

    m = write("m.toml", map_text([{"id": "a"}, {"id": "t", "all": ["a"], "chance": True}], "t", map_id="m"))
    p = write("p.toml", priors_text({"a": 0, "t": {"beta": [2, 3]}}, name="p", map=str(m)))
    ev = write("ev.toml", 'name = "ev"\ndescription = "x"\n[[evidence]]\nid = "e"\nabout = "a"\ntrials = 5\n'
               'positives = 3\nsensitivity = 1\nfalse_positive_rate = 0\nsource = "x"\n')
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev), "--draws", "1000")
    assert_one_error(r, "impossible", "P(a) is 0 in every draw", "false-positive rate")
    # the mirror case: a claim true in every draw, and a test that never misses reports negatives
    p1 = write("p1.toml", priors_text({"a": 1, "t": {"beta": [2, 3]}}, name="p1", map=str(m)))
    ev1 = write("ev1.toml", 'name = "ev1"\ndescription = "x"\n[[evidence]]\nid = "e"\nabout = "a"\n'
                'trials = 5\npositives = 2\nsensitivity = 1\nfalse_positive_rate = 0.1\nsource = "x"\n')
    r = cli("estimate", "--map", str(m), "--priors", str(p1), "--evidence", str(ev1), "--draws", "1000")
    assert_one_error(r, "impossible", "P(a) is 1 in every draw", "never misses")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("not", ["a"], ('node[1] (t).not: expected text in quotes', "got a list ['a']")),
    ("given", "a", ("node[1] (t).given: expected a list in brackets", "got text 'a'")),
])
def test_a_value_of_the_wrong_kind_is_named_in_argmaps_words(cli, write, field, value, words) -> None:
    from tests.conftest import map_text, priors_text

    m = write("m.toml", map_text([{"id": "a"}, {"id": "t", field: value}], "t", map_id="m"))
    p = write("p.toml", priors_text({"a": 0.5}, name="p", map=str(m)))
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--draws", "100")
    assert_one_error(r, *words)
    assert "Input should be" not in r.stderr  # pydantic's own wording stays inside


def test_ctrl_c_in_elicit_is_one_line_and_exit_130(tmp_path) -> None:
    p = subprocess.Popen([sys.executable, "-m", "argmap", "elicit", "out.toml"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    time.sleep(3)  # waiting for the first answer
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert err.strip().splitlines() == ["Error: interrupted (Ctrl-C); no file was written"]
    assert not (tmp_path / "out.toml").exists()


def test_every_public_function_has_a_numpydoc_docstring() -> None:
    import inspect

    import argmap

    for name in argmap.__all__:
        obj = getattr(argmap, name)
        doc = inspect.getdoc(obj) or ""
        assert doc, name
        if inspect.isfunction(obj):
            assert "Parameters\n----------" in doc and "Returns\n-------" in doc, name


def test_plots_by_ending_with_a_wrote_line(cli, tmp_path) -> None:
    svg = tmp_path / "p.svg"
    r = cli("estimate", "--draws", "2000", "--plot", str(svg))
    assert r.exit_code == 0 and svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert r.stderr.strip() == f"wrote {svg}"
    png = tmp_path / "t.png"
    r = cli("sensitivity", "--samples", "128", "--plot", str(png))
    assert r.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG" and f"wrote {png}" in r.stderr
    assert_one_error(cli("estimate", "--plot", str(tmp_path / "p.jpg")), "ending in .png or .svg")
    assert not (tmp_path / "p.jpg").exists()
