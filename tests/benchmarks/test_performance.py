"""Benchmarks: each figure is a ratio against a baseline measured in the same run, interleaved.

Run with ``python -m pytest -m benchmark tests/benchmarks -s``; the figures go into
docs/performance.md. Not part of the default test run (these machines are shared and noisy, and the
runs take a few minutes).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from argmap.cli import select
from tests.benchmarks.handwritten import draw_parameters, node_probabilities

pytestmark = pytest.mark.benchmark
REPS = 5


def report(name: str, ours: float, base: float, baseline: str, bound: str) -> float:
    ratio = ours / base
    print(f"\n| {name} | {ours:.3f} s | {baseline} {base:.3f} s | {ratio:.2f}x | {bound} |")
    return ratio


def interleaved(a, b, reps: int = REPS) -> tuple[float, float]:
    """Median wall time of a() and b(), alternating so machine load hits both alike."""
    ta, tb = [], []
    for _ in range(reps):
        t = time.perf_counter()
        a()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        b()
        tb.append(time.perf_counter() - t)
    return statistics.median(ta), statistics.median(tb)


@pytest.fixture(scope="module")
def shipped():
    from argmap.model import ForwardSampler, build_model

    amap, priors = select(None, None)
    model = build_model(amap, priors)
    return amap, priors, model, ForwardSampler(amap, priors, seed=0)


def test_million_draws_vs_handwritten_numpy(shipped) -> None:
    amap, priors, _, sampler = shipped
    n, chunk = 1_000_000, 250_000
    out = {}

    def ours() -> None:
        means = [sampler.draw(chunk)[0][amap.target].mean() for _ in range(n // chunk)]
        out["ours"] = float(np.mean(means))

    def hand() -> None:
        out["hand"] = float(node_probabilities(draw_parameters(priors, n, seed=1))[amap.target].mean())

    t_ours, t_hand = interleaved(ours, hand)
    assert abs(out["ours"] - out["hand"]) < 0.002  # same distribution, independent draws
    assert report("1M draws, every node (engine)", t_ours, t_hand, "hand-written numpy", "<= 1.5x") <= 1.5


def test_vs_sample_prior_predictive(shipped) -> None:
    import pymc as pm

    from argmap.model import ForwardSampler, node_var

    amap, priors, model, _ = shipped
    n = 1_000_000

    def ours() -> None:
        sampler = ForwardSampler(amap, priors, seed=0)
        for _ in range(4):
            sampler.draw(n // 4)

    def pymc_loop() -> None:
        pm.sample_prior_predictive(draws=n, model=model, var_names=[node_var(amap.target)],
                                   random_seed=0, compile_kwargs={}, return_inferencedata=False)

    t_ours, t_pymc = interleaved(ours, pymc_loop, reps=2)
    speedup = t_pymc / t_ours
    print(f"\n| 1M draws vs pm.sample_prior_predictive (incl. its compilation) | {t_ours:.3f} s | "
          f"{t_pymc:.3f} s | {speedup:.1f}x faster | expected >= 25x |")
    assert speedup >= 10


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "argmap", *args]


# argmap run as a user runs it: with a compile cache that holds only what these commands compile (the
# test suite's own cache holds modules of every test map, which PyTensor re-indexes at each start)
BENCH_ENV = {**os.environ, "ARGMAP_CACHE_DIR": str(Path.home() / ".cache" / "argmap-benchmarks")}


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=BENCH_ENV)


def test_estimate_end_to_end_vs_importing_pymc() -> None:
    _run(_cli("estimate"))  # warm the compile cache, as every run after the first one is
    t_est, t_imp = interleaved(lambda: _run(_cli("estimate")),
                               lambda: _run([sys.executable, "-c", "import pymc, arviz"]))
    assert report("argmap estimate (100k draws), end to end", t_est, t_imp,
                  "python -c 'import pymc, arviz'", "<= 1.5x") <= 1.5


def test_help_vs_importing_typer_and_rich() -> None:
    t_help, t_imp = interleaved(lambda: _run(_cli("--help")),
                                lambda: _run([sys.executable, "-c", "import typer, rich"]))
    assert report("argmap --help", t_help, t_imp, "python -c 'import typer, rich'", "<= 3x") <= 3


# the peak resident memory of this process's own address space (VmHWM, in kB): getrusage's ru_maxrss
# would also count the memory of the process it was forked from (Linux keeps it across exec)
PEAK = """
import sys
from argmap.cli import app
sys.argv = ["argmap", *sys.argv[1:]]
try:
    app()
except SystemExit:
    pass
status = open("/proc/self/status").read()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), file=sys.stderr)
"""


def peak_mb(*args: str, env: dict | None = None) -> float:
    """Run ``argmap ARGS`` in a new process; its peak resident memory in MB."""
    r = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True, check=True,
                       env=env or BENCH_ENV)
    return int(r.stderr.strip().splitlines()[-1]) / 1024


def _peak_mb(draws: int) -> float:
    return peak_mb("estimate", "--json", "--draws", str(draws))


def test_ten_million_draws_in_bounded_memory() -> None:
    t = time.perf_counter()
    peak_10m = _peak_mb(10_000_000)
    seconds = time.perf_counter() - t
    peak_100k = _peak_mb(100_000)
    print(f"\n| --draws 10000000: peak resident memory | {peak_10m:.0f} MB | 100k draws {peak_100k:.0f} MB "
          f"| {peak_10m / peak_100k:.2f}x | < 1500 MB ({seconds:.1f} s) |")
    assert peak_10m < 1500


def test_sensitivity_report_end_to_end() -> None:
    _run(_cli("sensitivity"))
    t_sens, t_imp = interleaved(
        lambda: _run(_cli("sensitivity")),
        lambda: _run([sys.executable, "-c", "import scipy.stats, SALib.analyze.sobol"]), reps=3)
    report("argmap sensitivity (full report, 8,192 Sobol base samples)", t_sens, t_imp,
           "python -c 'import scipy.stats, SALib.analyze.sobol'", "<= 10 s")
    assert t_sens <= 10


REAL_EVIDENCE = ("alignment-faking-2024", "alignment-faking-2025", "in-context-scheming-2024",
                 "model-written-evals-2022")


def _evidence_cmd(*extra: str) -> list[str]:
    args = ["estimate", "--map", "deceptive-alignment-objections", "--json"]
    for name in REAL_EVIDENCE:
        args += ["--evidence", name]
    return _cli(*args, *extra)


def _estimate_importing(modules: str, *args: str) -> list[str]:
    """`argmap estimate ARGS` in a process that first imports ``modules``: the baseline of a path that
    needs them (a plain estimate imports neither PyMC nor ArviZ)."""
    argv = ", ".join(repr(a) for a in ("argmap", "estimate", *args))
    return [sys.executable, "-c", f"import {modules}, sys; from argmap.cli import main; sys.argv = [{argv}]; "
                                  "main()"]


def test_evidence_fast_path_vs_estimate() -> None:
    """Every real evidence file on the objections map, reweighting the prior draws (PSIS).

    The baseline is the same estimate without evidence, in a process that also imports ArviZ, whose
    PSIS the evidence path needs.
    """
    plain = _estimate_importing("arviz", "--map", "deceptive-alignment-objections", "--json")
    cmd = _evidence_cmd()
    _run(cmd)
    _run(plain)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=BENCH_ENV).stdout
    assert __import__("json").loads(out)["diagnostics"]["method"] == "importance"
    t_ev, t_est = interleaved(lambda: _run(cmd), lambda: _run(plain), reps=5)
    assert report("argmap estimate, all four real evidence files (importance sampling, 100,000 draws)",
                  t_ev, t_est, "argmap estimate on the same map, ArviZ imported", "<= 1.5x") <= 1.5


def test_evidence_nuts_path_vs_estimate() -> None:
    """The same posterior with --nuts (2 chains x 1,000 after 1,000 tuning), cached compilation."""
    plain = _cli("estimate", "--map", "deceptive-alignment-objections", "--json")
    cmd = _evidence_cmd("--nuts")
    _run(cmd)  # warm PyTensor's compile cache: the benchmark is of a cached run
    r_hats = []

    def nuts() -> None:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=BENCH_ENV).stdout
        r_hats.append(__import__("json").loads(out)["diagnostics"]["r_hat_max"])

    t_nuts, t_est = interleaved(nuts, lambda: _run(plain), reps=3)
    ratio = report("argmap estimate --nuts, all four real evidence files (2 chains x 1,000 after 1,000 "
                   "tuning)", t_nuts, t_est, "argmap estimate on the same map", f"r_hat <= 1.01 (max "
                   f"{max(r_hats):.3f})")
    assert max(r_hats) <= 1.01
    assert ratio > 0


def test_implied_fast_path_vs_estimate() -> None:
    """argmap implied with one hard statement (importance sampling) against an estimate with as many
    draws."""
    cmd = _cli("implied", "--given", "deceptive_alignment_prosaic < 1%", "--priors", "wheaton-ipcc-reading")
    base = _cli("estimate", "--draws", "500000", "--json")
    _run(cmd)
    _run(base)
    t_imp, t_est = interleaved(lambda: _run(cmd), lambda: _run(base), reps=3)
    assert report("argmap implied, one hard statement (importance sampling, 500,000 draws)", t_imp, t_est,
                  "argmap estimate, 500,000 draws", "<= 2x") <= 2


def test_implied_nuts_path_vs_estimate() -> None:
    """The same statement sampled with NUTS (--nuts), cached compilation, against a plain estimate."""
    cmd = _cli("implied", "--given", "deceptive_alignment_prosaic < 1%", "--priors", "wheaton-ipcc-reading",
               "--nuts")
    base = _estimate_importing("pymc, arviz", "--json")
    _run(cmd)  # warm PyTensor's compile cache
    t_nuts, t_est = interleaved(lambda: _run(cmd), lambda: _run(base), reps=3)
    assert report("argmap implied --nuts, one hard statement (2 chains x 1,000 after 1,000 tuning)", t_nuts,
                  t_est, "argmap estimate, PyMC and ArviZ imported", "<= 6x") <= 6
