"""Scale benchmarks on seeded random maps (tests/randommaps.py): large maps, first runs, --watch.

Run with ``python -m pytest -m benchmark tests/benchmarks -s``. Each figure is a ratio against a
baseline measured in the same run, interleaved; the maps are written to a temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmarks.test_performance import BENCH_ENV, interleaved, peak_mb, report
from tests.randommaps import write_random

pytestmark = pytest.mark.benchmark



def _import_pymc() -> None:
    subprocess.run([sys.executable, "-c", "import pymc, arviz"], check=True, env=BENCH_ENV)


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> dict[int, tuple[Path, Path]]:
    out = {}
    for claims in (200, 1000):
        folder = tmp_path_factory.mktemp(f"map{claims}")
        out[claims] = write_random(folder, claims, seed=1, window=8, max_parents=3)
    return out


def test_two_hundred_claims_end_to_end(maps, tmp_path) -> None:
    """200 claims (parents among the 8 before, 1 to 3 of them), 100k draws, empty and warm cache."""
    m, p = maps[200]
    args = ("estimate", "--map", str(m), "--priors", str(p), "--json")
    peaks = []

    def cold() -> None:
        cache = tmp_path / f"cache{len(peaks)}"  # a new, empty cache each time
        peaks.append(peak_mb(*args, env={**BENCH_ENV, "ARGMAP_CACHE_DIR": str(cache)}))

    def warm() -> None:
        peaks.append(peak_mb(*args))

    t_cold, t_imp = interleaved(cold, _import_pymc, reps=3)
    r_cold = report("200-claim random map, 100k draws, end to end, empty cache", t_cold, t_imp,
                    "python -c 'import pymc, arviz'", "<= 3x")
    t_warm, t_imp2 = interleaved(warm, _import_pymc, reps=3)
    r_warm = report("the same, warm cache", t_warm, t_imp2, "python -c 'import pymc, arviz'", "<= 3x")
    print(f"| 200-claim map: peak resident memory | {max(peaks):.0f} MB | | | <= 1,536 MB |")
    assert r_cold <= 3 and r_warm <= 3 and max(peaks) <= 1536


def test_thousand_claims_cost_per_claim(maps) -> None:
    """1,000 claims, 100k draws: the in-process estimate's time per claim against the 200-claim map's."""
    from argmap.analyses.estimate import estimate
    from argmap.maps import load_map
    from argmap.priors import load_priors

    loaded = {}
    for claims, (m, p) in maps.items():
        amap = load_map(str(m))
        loaded[claims] = (amap, load_priors(str(p), amap=amap))
    times = {}
    for claims, (amap, priors) in loaded.items():
        t = time.perf_counter()
        result = estimate(amap, priors, draws=100_000)
        times[claims] = time.perf_counter() - t
        assert result.inference.method == "exact"
    ratio = report("1,000-claim random map, 100k draws, estimate: time per claim", times[1000] / 1000,
                   times[200] / 200, "the 200-claim map's time per claim", "<= 1.5x")
    print(f"| (1,000 claims in {times[1000]:.2f} s; 200 claims in {times[200]:.2f} s; the 1,000-claim run keeps "
          f"{result.node_sample:,} draws of each node for intervals) | | | | |")
    assert ratio <= 1.5


def test_shipped_first_run_vs_warm(tmp_path) -> None:
    """The shipped map's first run on an empty cache against a run after it."""
    runs = []

    def first() -> None:
        cache = tmp_path / f"empty{len(runs)}"
        runs.append(cache)
        subprocess.run([sys.executable, "-m", "argmap", "estimate"], check=True, stdout=subprocess.DEVNULL,
                       env={**BENCH_ENV, "ARGMAP_CACHE_DIR": str(cache)})

    def warm() -> None:
        subprocess.run([sys.executable, "-m", "argmap", "estimate"], check=True, stdout=subprocess.DEVNULL,
                       env=BENCH_ENV)

    warm()
    t_first, t_warm = interleaved(first, warm, reps=3)
    assert report("shipped map, first run on an empty cache", t_first, t_warm, "a warm run",
                  "<= 2x") <= 2


def test_sensitivity_on_two_hundred_claims_in_bounded_memory(maps) -> None:
    m, p = maps[200]
    t = time.perf_counter()
    peak = peak_mb("sensitivity", "--map", str(m), "--priors", str(p), "--json")
    seconds = time.perf_counter() - t
    base = peak_mb("estimate", "--map", str(m), "--priors", str(p), "--json")
    print(f"\n| `argmap sensitivity` on the 200-claim map (8,192 base samples, {seconds:.1f} s): peak "
          f"resident memory | {peak:.0f} MB | `argmap estimate` on it {base:.0f} MB | {peak / base:.2f}x "
          "| <= 1,536 MB |")
    assert peak <= 1536


def test_watch_redraw_after_a_priors_edit(tmp_path) -> None:
    """--watch: Watcher.refresh (what the loop calls) after an edit to a priors file on the shipped map."""
    from argmap.watch import Watcher

    mine = tmp_path / "mine.toml"

    def edit(k: int) -> None:
        mine.write_text('extends = "wheaton"\nname = "mine"\n[priors]\n'
                        f'da_ft_base_goal_first = {{ beta = [1, {90 + k}] }}\n')
        stamp = time.time_ns() + k * 10**9
        os.utime(mine, ns=(stamp, stamp))

    edit(0)
    watcher = Watcher(None, [str(mine)], width=100)
    watcher.refresh()
    times = []
    for k in range(1, 6):
        edit(k)
        assert watcher.changed()
        t = time.perf_counter()
        watcher.refresh()
        times.append(time.perf_counter() - t)
        assert watcher.error is None
    redraw = sorted(times)[len(times) // 2]

    def fresh() -> None:
        subprocess.run([sys.executable, "-m", "argmap", "estimate", "--priors", str(mine)], check=True,
                       stdout=subprocess.DEVNULL, env=BENCH_ENV)

    t_fresh, _ = interleaved(fresh, lambda: None, reps=3)
    report("--watch: redraw after a priors edit (shipped map, 100k draws)", redraw, t_fresh,
           "a new `argmap estimate` process", "<= 0.3 s")
    assert redraw <= 0.3
