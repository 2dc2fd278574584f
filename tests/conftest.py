"""Shared helpers: small hand-made maps and priors in tmp_path, and an in-process CLI runner."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from argmap.cli import app

SHARED = Path(__file__).resolve().parents[2] / "shared"

# The tests compile many small maps; PyTensor re-reads the index of everything in a compile cache at
# every start, so they get a cache of their own and leave the user's (and the benchmarks') fast.
os.environ.setdefault("ARGMAP_CACHE_DIR", str(Path.home() / ".cache" / "argmap-tests"))


def toml_value(v: object) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def map_text(nodes: list[dict], target: str, map_id: str = "test-map", threshold: float = 0.01) -> str:
    lines = [f'id = "{map_id}"', 'title = "A test map"', f'target = "{target}"', f"threshold = {threshold}"]
    for n in nodes:
        lines.append("\n[[node]]")
        n = {"claim": f"claim {n['id']}", **n}
        lines += [f"{k} = {toml_value(v)}" for k, v in n.items()]
    return "\n".join(lines) + "\n"


def priors_text(entries: dict[str, object], **top: str) -> str:
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()] + ["[priors]"]
    lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in entries.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return _write


class Result:
    def __init__(self, r) -> None:
        self.exit_code, self.stdout, self.stderr = r.exit_code, r.stdout, r.stderr
        self.exception = r.exception


@pytest.fixture
def cli():
    runner = CliRunner()

    def _run(*args: str) -> Result:
        return Result(runner.invoke(app, list(args), env={"COLUMNS": "100"}))
    return _run


@pytest.fixture
def cli_width():
    """The CLI at a given terminal width (COLUMNS)."""
    runner = CliRunner()

    def _run(width: int, *args: str) -> Result:
        return Result(runner.invoke(app, list(args), env={"COLUMNS": str(width)}))
    return _run


def assert_one_error(result: Result, *fragments: str) -> None:
    """Exit 1, nothing on stdout, one line on stderr starting 'Error: ' and containing fragments."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert "Traceback" not in result.stderr
    for f in fragments:
        assert f in lines[0], (f, lines[0])
