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


def _shown(command: str, exit_codes: tuple[int, ...], with_stderr: bool) -> str:
    """What ``command`` prints in a terminal 100 columns wide, lines right-stripped."""
    from typer.testing import CliRunner

    from argmap.cli import app

    result = CliRunner().invoke(app, shlex.split(command)[1:], env={"COLUMNS": "100"})
    if result.exit_code not in exit_codes:
        raise RuntimeError(f"{command!r} exited {result.exit_code}: {result.stderr or result.exception}")
    out = result.stdout + result.stderr if with_stderr else result.stdout
    return "\n".join(line.rstrip() for line in out.splitlines())


def run(command: str, raw: bool = False) -> str:
    """The output a reader sees for ``command``, after a ``$ command`` line unless ``raw``."""
    text = _shown(command, (0,), with_stderr=False)
    return f"{text}\n" if raw else f"$ {command}\n{text}\n"


TABLE = re.compile(r"<!-- table: ([a-z_]+) -->\n(.*?)<!-- /table -->", re.S)


def evidence_directions() -> str:
    """Each shipped evidence file on its map: the claim it bears on and the target, before and after."""
    from argmap.analyses.estimate import estimate
    from argmap.evidence import load_evidence_document
    from argmap.maps import load_map
    from argmap.resources import priors_dir, shipped_names
    from argmap.selection import select

    objections = set(load_map("deceptive-alignment-objections").claims)
    rows = ["| file | map | claim it bears on | P(claim) before → after | target before → after | method |",
            "|---|---|---|---|---|---|"]
    for name in shipped_names(priors_dir() / "evidence"):
        doc = load_evidence_document(name)
        about = list(dict.fromkeys([t.about for t in doc.tests] + [e.about for e in doc.entries]))
        map_name = "deceptive-alignment-objections" if set(about) <= objections else "monitoring"
        amap, priors = select(map_name, None)
        est = estimate(amap, priors, evidence=[doc], draws=100_000, seed=0)
        claims = "; ".join(f"`{a}` {est.prior_nodes[a].mean:.1%} → {est.nodes[a].mean:.1%}" for a in about)
        label = f"`{name}`" + (" (hypothetical)" if doc.hypothetical else "")
        rows.append(f"| {label} | {map_name} | {', '.join(f'`{a}`' for a in about)} | {claims} | "
                    f"{est.prior_result.mean:.2%} → {est.result.mean:.2%} | {est.diagnostics.method} |")
    return "\n".join(rows) + "\n"


def evidence_kappa() -> str:
    """The four real files on the objections map, under several kappas."""
    from argmap.analyses.estimate import estimate
    from argmap.cli import parse_kappa_option
    from argmap.evidence import load_evidence_document
    from argmap.selection import select

    amap, priors = select("deceptive-alignment-objections", None)
    docs = [load_evidence_document(n) for n in ("alignment-faking-2024", "alignment-faking-2025",
                                                 "in-context-scheming-2024", "model-written-evals-2022")]
    rows = ["| kappa | today's propensity r after | P(guards earlier goal) | P(alignment faking, any goal) | target | method (Pareto k) |",
            "|---|---|---|---|---|---|"]
    for k in ("2", "10", "100", "2:100", "inf"):
        est = estimate(amap, priors, evidence=docs, draws=100_000, seed=0, kappa=parse_kappa_option(k))
        r = est.reference_classes[0].r_mean
        g, a = "guards_earlier_goal", "alignment_faking"
        label = f"{k} (default)" if k == "2:100" else k
        rows.append(f"| {label} | {r:.1%} | {est.prior_nodes[g].mean:.1%} → {est.nodes[g].mean:.1%} | "
                    f"{est.prior_targets[a].mean:.1%} → {est.targets[a].mean:.1%} | "
                    f"{est.prior_result.mean:.2%} → {est.result.mean:.2%} | {est.diagnostics.method} "
                    f"({est.diagnostics.pareto_k:.2f}) |")
    return "\n".join(rows) + "\n"


def engine_plans() -> str:
    """Each shipped map: its size, the candidate compile plans sized from the graph, the circuit kept."""
    from argmap import exact
    from argmap.maps import load_map

    rows = ["| map | claims | parameters | topological walks: width (states) | junction tree: width (states) | "
            "circuit kept (operations) |", "|---|---|---|---|---|---|"]
    for name in ("deceptive-alignment", "deceptive-alignment-objections", "monitoring"):
        amap = load_map(name)
        plans = exact.plans(amap)
        walks = "; ".join(f"{p.width} ({p.cost:,})" for p in plans if p.method == "frontier")
        tree = next(f"{p.width} ({p.cost:,})" for p in plans if p.method == "tree")
        sizes = {p.method + str(i): len(exact.compile_circuit(amap, p)) for i, p in enumerate(plans)}
        kept = len(exact.compile_circuit(amap))
        chosen = next(k for k, v in sizes.items() if v == kept).rstrip("0123456789")
        rows.append(f"| `{name}` | {len(amap.claims)} | {len(amap.parameters)} | {walks} | {tree} | "
                    f"{kept:,} ({'junction tree' if chosen == 'tree' else 'topological walk'}) |")
    return "\n".join(rows) + "\n"


TABLES = {"evidence_directions": evidence_directions, "evidence_kappa": evidence_kappa,
          "engine_plans": engine_plans}


def tables(text: str) -> list[tuple[str, str]]:
    """(name, shown) of every generated table in a document."""
    return [(m[1], m[2]) for m in TABLE.finditer(text)]


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

    def fill_table(m: re.Match) -> str:
        nonlocal count
        count += 1
        return f"<!-- table: {m[1]} -->\n{TABLES[m[1]]()}<!-- /table -->"

    new = TABLE.sub(fill_table, SAMPLE.sub(fill, text))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return count


# A walk-through (docs/tutorial.md) is a sequence, run in order in an empty folder: files the reader
# writes, and commands whose output (stdout, then stderr) follows a ``$`` line.
FILE = re.compile(r"<!-- file: ([\w.-]+) -->\n```toml\n(.*?)```\n<!-- /file -->", re.S)
STEP = re.compile(r"<!-- step: (argmap [^>]*?) -->\n```\n(.*?)```\n<!-- /step -->", re.S)
WALK = re.compile(f"{FILE.pattern}|{STEP.pattern}", re.S)


def run_step(command: str) -> str:
    """A walk-through step's output (stdout, then stderr: a step may show an error) after ``$ command``."""
    return f"$ {command}\n{_shown(command, (0, 1), with_stderr=True)}\n"


def walk(text: str, folder: Path) -> list[tuple[str, str, str]]:
    """Run a walk-through in ``folder`` (its files written, its steps run, in order).

    Returns (command, shown, produced) for each step.
    """
    import os

    out = []
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        for m in WALK.finditer(text):
            if m[1] is not None:  # a file the reader writes
                (folder / m[1]).write_text(m[2], encoding="utf-8")
            else:
                out.append((m[3], m[4], run_step(m[3])))
    finally:
        os.chdir(cwd)
    return out


def regenerate_walk(path: Path) -> int:
    """Rewrite the step outputs of a walk-through document, running it in a temporary folder."""
    import tempfile

    text = path.read_text(encoding="utf-8")
    if not STEP.search(text):
        return 0
    with tempfile.TemporaryDirectory() as folder:
        produced = iter(walk(text, Path(folder)))

        def fill(m: re.Match) -> str:
            if m[1] is not None:
                return m[0]
            _, _, output = next(produced)
            return f"<!-- step: {m[3]} -->\n```\n{output}```\n<!-- /step -->"
        new = WALK.sub(fill, text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return len(STEP.findall(text))


def main() -> None:
    """Regenerate every document's samples and say how many were written."""
    total = 0
    for path in documents():
        n = regenerate_walk(path)
        if n:
            print(f"{path.relative_to(ROOT)}: {n} walk-through step(s)", file=sys.stderr)
        total += n
    for path in documents():
        n = regenerate(path)
        if n:
            print(f"{path.relative_to(ROOT)}: {n} sample(s)", file=sys.stderr)
        total += n
    print(f"{total} samples regenerated", file=sys.stderr)


if __name__ == "__main__":
    main()
