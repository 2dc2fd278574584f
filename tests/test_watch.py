"""argmap estimate --watch: edits picked up, a broken save shown in place, Ctrl-C a clean exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from argmap.analyses.estimate import estimate
from argmap.maps import load_map
from argmap.priors import load_priors
from argmap.watch import Watcher
from tests.conftest import map_text, priors_text

NODES = [{"id": "a"}, {"id": "b"}, {"id": "t", "all": ["a", "b"]}]


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    stamp = time.time_ns() + 10**9  # a distinct mtime even on coarse file systems
    os.utime(path, ns=(stamp, stamp))


def test_edits_are_picked_up_and_a_broken_file_keeps_the_last_result(tmp_path) -> None:
    m, p = tmp_path / "m.toml", tmp_path / "p.toml"
    m.write_text(map_text(NODES, "t"))
    p.write_text(priors_text({"a": {"beta": [2, 2]}, "b": {"beta": [1, 3]}}, name="p", map=str(m)))
    w = Watcher(str(m), [str(p)], draws=2_000, seed=4)
    w.refresh()
    assert w.error is None and "12.5%" in w.report  # E[a] E[b] = 0.5 * 0.25
    assert set(w.stamps) >= {m, p} and not w.changed()
    _write(p, priors_text({"a": {"beta": [2, 2]}, "b": {"beta": [3, 1]}}, name="p", map=str(m)))
    assert w.changed()
    w.refresh()
    assert w.error is None and "37.5%" in w.report
    # the same numbers as a fresh run: reused draws change nothing
    amap = load_map(str(m))
    fresh = estimate(amap, load_priors(str(p), amap=amap), draws=2_000, seed=4)
    assert f"{100 * fresh.result.mean:.3g}" in w.report
    good = w.report
    _write(p, "name = \"p\"\n[priors]\na = { beta = [2, ")  # saved half-written
    w.refresh()
    assert w.error is not None and "not valid TOML" in w.error and w.report == good
    view = " ".join(str(part) for part in w.view().renderables)
    assert "Error: " in view
    _write(p, priors_text({"a": 0.5, "b": 0.5}, name="p", map=str(m)))
    w.refresh()
    assert w.error is None and "25.0%" in w.report


def test_ctrl_c_ends_the_watch_cleanly(tmp_path) -> None:
    m, p = tmp_path / "m.toml", tmp_path / "p.toml"
    m.write_text(map_text(NODES, "t"))
    p.write_text(priors_text({"a": 0.5, "b": 0.5}, name="p", map=str(m)))
    proc = subprocess.Popen([sys.executable, "-m", "argmap", "estimate", "--map", str(m), "--priors", str(p),
                             "--watch", "--draws", "1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "COLUMNS": "100"})
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "25.0%" in out
