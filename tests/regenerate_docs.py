"""Regenerate every command output embedded in README.md and docs/*.md from the code that produces it.

A sample is marked in the Markdown as::

    <!-- sample: argmap estimate --priors wheaton-ipcc-reading -->
    ```
    $ argmap estimate --priors wheaton-ipcc-reading
    ...
    ```
    <!-- /sample -->

A block fenced with a language (```` ```mermaid ````) holds the raw output, without the ``$`` line.
``python -m tests.regenerate_docs`` runs each command in-process at a width of 100 columns and writes
its output into the block; ``tests/test_docs.py`` checks that every block is current.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = re.compile(r"<!-- sample: (argmap [^>]*?) -->\n```([a-z]*)\n(.*?)```\n<!-- /sample -->", re.S)


def documents() -> list[Path]:
    """README.md and every page in docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def run(command: str, raw: bool = False) -> str:
    """The output a reader sees for ``command``, after a ``$ command`` line unless ``raw``."""
    from typer.testing import CliRunner

    from argmap.cli import app

    args = shlex.split(command)[1:]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "100"})
    if result.exit_code not in (0,):
        raise RuntimeError(f"{command!r} exited {result.exit_code}: {result.stderr or result.exception}")
    text = "\n".join(line.rstrip() for line in result.stdout.splitlines())
    return f"{text}\n" if raw else f"$ {command}\n{text}\n"


def samples(text: str) -> list[tuple[str, str, str]]:
    """(command, fence language, shown output) of every sample block in a document."""
    return [(m[1], m[2], m[3]) for m in SAMPLE.finditer(text)]


def regenerate(path: Path) -> int:
    """Rewrite the sample blocks of one document; returns how many there were."""
    text = path.read_text(encoding="utf-8")
    count = 0

    def fill(m: re.Match) -> str:
        nonlocal count
        count += 1
        return f"<!-- sample: {m[1]} -->\n```{m[2]}\n{run(m[1], raw=bool(m[2]))}```\n<!-- /sample -->"

    new = SAMPLE.sub(fill, text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return count


def main() -> None:
    """Regenerate every document's samples and say how many were written."""
    total = 0
    for path in documents():
        n = regenerate(path)
        if n:
            print(f"{path.relative_to(ROOT)}: {n} sample(s)", file=sys.stderr)
        total += n
    print(f"{total} samples regenerated", file=sys.stderr)


if __name__ == "__main__":
    main()
