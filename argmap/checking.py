"""``argmap check FILE``: what a map, priors or evidence file holds, or every problem found in it.

This module reads files and never prints; :class:`FileCheck` is what the CLI renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argmap.errors import ArgmapError


@dataclass(frozen=True)
class FileCheck:
    """The result of checking one file: its kind, what it holds (when valid), or its problems."""

    path: str
    kind: str  # "map", "priors", "evidence" or "unknown"
    problems: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()  # (what, value) lines describing a valid file
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


def _kind(data: dict) -> str:
    if "node" in data or "include" in data:
        return "map"
    # keys only a priors file has come first: a priors file may hold [[evidence]] too
    if any(k in data for k in ("priors", "extends", "statement", "lexicon", "map")):
        return "priors"
    if any(k in data for k in ("evidence", "test", "model", "method")):
        return "evidence"
    return "unknown"


def _map_problems(data: dict, path: Path) -> list[str]:
    """Every problem of a map file: each schema error, each unknown or repeated id, then the rest."""
    from pydantic import ValidationError

    from argmap.files import validation_problem
    from argmap.maps import MAP_KEYS, _models, parse_map

    _, map_file = _models()
    raw_nodes = data.get("node") if isinstance(data.get("node"), list) else None
    try:
        map_file.model_validate(data)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            out.append(str(validation_problem(path, err, MAP_KEYS, raw_nodes)))
        return list(dict.fromkeys(out))
    problems: list[str] = []
    nodes = [n for n in raw_nodes or [] if isinstance(n, dict)]
    ids = [n.get("id") for n in nodes]
    seen: set[Any] = set()
    for i, nid in enumerate(ids):
        if nid in seen:
            problems.append(f"{path}: node[{i}] ({nid}): id: duplicate node id; give each node a unique id")
        seen.add(nid)
    for n in nodes:
        for key in ("given", "all", "any"):
            for parent in n.get(key) or []:
                if parent not in seen:
                    problems.append(f"{path}: node {n.get('id')!r}: {key}: unknown node {parent!r}")
        for key in ("not", "at_least_one_of"):
            if isinstance(n.get(key), str) and n[key] not in seen:
                problems.append(f"{path}: node {n.get('id')!r}: {key}: unknown node {n[key]!r}")
    for key in ("target", "lever"):
        if isinstance(data.get(key), str) and data[key] not in seen and "include" not in data:
            problems.append(f"{path}: {key}: unknown node {data[key]!r}")
    for t in data.get("targets") or []:
        if t not in seen and "include" not in data:
            problems.append(f"{path}: targets: unknown node {t!r}")
    if problems and "include" not in data:  # an included map defines more ids: leave it to the parser
        return problems
    try:
        parse_map(data, path)
    except ArgmapError as exc:
        return [*problems, str(exc)] if str(exc) not in problems else problems
    return []


def check_file(path: str | Path, map_name: str | None = None) -> FileCheck:
    """Check one file: a map (by its ``[[node]]`` tables), a priors file or an evidence file.

    Parameters
    ----------
    path : str or Path
        The file.
    map_name : str, optional
        For a priors or evidence file, the map to check it against (default: the one it names, else
        the default map).

    Returns
    -------
    FileCheck
        What the file holds, or every problem found.
    """
    from argmap.files import read_toml

    p = Path(path)
    try:
        data = read_toml(p)
    except ArgmapError as exc:
        return FileCheck(str(p), "unknown", (str(exc),))
    kind = _kind(data)
    if kind == "map":
        problems = _map_problems(data, p.resolve())
        if problems:
            return FileCheck(str(p), kind, tuple(problems))
        return _map_facts(str(p))
    if kind == "unknown":
        return FileCheck(str(p), kind, (f"{p}: neither a map ([[node]] tables), a priors file ([priors]) nor "
                                        "an evidence file ([[evidence]] or [[test]] tables)",))
    try:
        if kind == "priors":
            from argmap.selection import select

            amap, priors = select(map_name, [str(p)])
            facts = (("map", amap.id), ("parameters", f"{len(priors.entries)}: {len(priors.uncertain)} uncertain, "
                                                      f"{len(priors.entries) - len(priors.uncertain)} fixed"),
                     ("unstated", str(sum(1 for e in priors.entries.values() if e.unstated))),
                     ("evidence entries", str(len(priors.evidence))),
                     ("statements", str(len(priors.statements))))
            return FileCheck(str(p), kind, facts=facts)
        from argmap.evidence import evidence_model, load_evidence_document
        from argmap.selection import select

        amap, _ = select(map_name, None)
        doc = load_evidence_document(str(p))
        em = evidence_model([doc], amap)
        facts = (("map", amap.id), ("tests", str(len(doc.tests) + len(doc.entries))),
                 ("claims it bears on", ", ".join(c.about for c in em.classes) if em else "none"),
                 ("hypothetical", "yes" if doc.hypothetical else "no"))
        return FileCheck(str(p), kind, facts=facts)
    except ArgmapError as exc:
        return FileCheck(str(p), kind, (str(exc),))


def _map_facts(path: str) -> FileCheck:
    from argmap import exact
    from argmap.maps import load_map

    amap = load_map(path)
    kinds: dict[str, int] = {}
    for c in amap.claims.values():
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    used = set(amap.targets)
    for t in amap.targets:
        used |= amap.ancestors(t)
    for c in amap.conditionals:
        used |= {c.numerator, c.denominator} | amap.ancestors(c.numerator)
    if amap.lever:
        used.add(amap.lever)
    # an at_least_one_of node copies its template: the template is used, though not as a parent
    used |= {amap.claims[n].template for n in list(used) if amap.claims[n].template}
    unused = [n for n in amap.claims if n not in used]
    plan = exact.plans(amap)[0]
    method = "junction tree" if plan.method == "tree" else "topological walk"
    fits = ("exact" if plan.cost <= exact.MAX_STATES else
            "past the exact method's budget: argmap estimate samples it")
    claim = ("none" if amap.claim is None else
             f"P({amap.target}) {'<' if amap.claim == 'below' else '>'} {amap.threshold:g}")
    facts = (("map", f"{amap.id}: {amap.title}"),
             ("claims", f"{len(amap.claims)} (" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")"),
             ("parameters", str(len(amap.parameters))),
             ("target", amap.target), ("headline nodes", ", ".join(amap.targets)),
             ("claim under test", claim),
             ("unused nodes", ", ".join(unused) if unused else "none (every node leads to a headline node)"),
             ("exact method", f"{method}, {plan.width} claims tracked jointly, about {plan.cost:,} joint "
                              f"states: {fits}"))
    return FileCheck(path, "map", facts=facts, details={"unused": unused, "width": plan.width})
