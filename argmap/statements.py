"""Statements: what someone says about a derived claim, as opposed to a prior on a parameter.

An author who states a bottom line ("<1%") or a conditional figure ("~25% given situational
awareness") makes a statement about a node (or a map's ``[[conditional]]``), not about any one step.
A priors file records such statements in ``[[statement]]`` entries (formats.md section 3): ``node``,
and one of ``below``, ``above``, ``between = [lo, hi]`` or ``about = v`` with ``sd``, plus ``quote``,
``source`` and ``why``. This module reads and checks them; it never prints and never samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from argmap.errors import PriorsError
from argmap.files import did_you_mean
from argmap.maps import ArgumentMap

KINDS = ("below", "above", "between", "about")
KEYS = ("node", *KINDS, "sd", "quote", "source", "why")


@dataclass(frozen=True)
class Statement:
    """A statement about P(node): a hard range (below, above, between) or a soft ``about``."""

    node: str
    kind: str
    lo: float  # the range [lo, hi] the statement allows; for ``about``: v - 2 sd, v + 2 sd (clipped)
    hi: float
    value: float | None = None  # ``about``: the centre
    sd: float | None = None
    quote: str | None = None
    source: str | None = None
    why: str | None = None
    origin: str = ""

    def holds(self, p: float) -> bool:
        """Whether a probability is inside the stated range (for ``about``: within 2 sd)."""
        return self.lo <= p <= self.hi

    def describe(self) -> str:
        """The statement as a short formula: ``P(x) < 0.01``, ``P(x) in [0.2, 0.3]``, ``P(x) ~ 0.25 ± 0.05``."""
        if self.kind == "below":
            return f"P({self.node}) < {self.hi:g}"
        if self.kind == "above":
            return f"P({self.node}) > {self.lo:g}"
        if self.kind == "between":
            return f"P({self.node}) in [{self.lo:g}, {self.hi:g}]"
        return f"P({self.node}) ~ {self.value:g} ± {self.sd:g}"


def _prob(raw: Any, name: str, open_interval: bool = True) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(f"{name} must be a number, not {raw!r}")
    if not (0 < raw < 1 if open_interval else 0 <= raw <= 1):
        raise ValueError(f"{name} = {raw:g} must lie strictly between 0 and 1")
    return float(raw)


def parse_statement(raw: Any, where: str, index: int) -> Statement:
    """One ``[[statement]]`` table as a :class:`Statement`; errors name ``where`` and the entry."""
    key = f"{where}: statement[{index}]"
    if not isinstance(raw, dict):
        raise PriorsError(f"{key}: must be a table with node and one of {', '.join(KINDS)}")
    try:
        return _parse(raw, where)
    except ValueError as exc:
        node = raw.get("node")
        label = f" ({node})" if isinstance(node, str) else ""
        raise PriorsError(f"{key}{label}: {exc}") from None


def _parse(raw: dict, origin: str) -> Statement:
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; {did_you_mean(unknown[0], KEYS)}")
    node = raw.get("node")
    if not isinstance(node, str) or not node:
        raise ValueError("node: give the id of the node (or conditional) the statement is about")
    for name in ("quote", "source", "why"):
        if name in raw and (not isinstance(raw[name], str) or not raw[name].strip()):
            raise ValueError(f"{name} must be non-empty text")
    text = {k: raw.get(k) for k in ("quote", "source", "why")}
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        raise ValueError(f"give exactly one of below, above, between = [lo, hi], about with sd (found {found})")
    kind = kinds[0]
    if "sd" in raw and kind != "about":
        raise ValueError("sd goes with about; remove it")
    if kind == "below":
        return Statement(node, kind, 0.0, _prob(raw["below"], "below"), origin=origin, **text)
    if kind == "above":
        return Statement(node, kind, _prob(raw["above"], "above"), 1.0, origin=origin, **text)
    if kind == "between":
        pair = raw["between"]
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError("between must be a pair [lo, hi]")
        lo, hi = _prob(pair[0], "between lo", False), _prob(pair[1], "between hi", False)
        if not lo < hi:
            raise ValueError(f"between [{lo:g}, {hi:g}] needs lo < hi")
        return Statement(node, kind, lo, hi, origin=origin, **text)
    value = _prob(raw["about"], "about")
    if "sd" not in raw:
        raise ValueError("about needs sd, how far from the value the statement allows (e.g. sd = 0.05)")
    sd = raw["sd"]
    if isinstance(sd, bool) or not isinstance(sd, int | float) or not 0 < sd < 0.5:
        raise ValueError(f"sd = {sd!r} must be a number between 0 and 0.5")
    return Statement(node, kind, max(0.0, value - 2 * sd), min(1.0, value + 2 * sd), value=value,
                     sd=float(sd), origin=origin, **text)


def check_statements(statements: list[Statement], amap: ArgumentMap,
                     known_nodes: frozenset[str] | None = None) -> tuple[Statement, ...]:
    """The statements that bear on ``amap``: about one of its nodes or conditionals.

    A statement about a node of another shipped map is kept aside silently (a priors file may cover
    several maps); one about a node no known map has is an error.
    """
    ours = set(amap.claims) | {c.id for c in amap.conditionals}
    out = []
    for s in statements:
        if s.node in ours:
            out.append(s)
        elif known_nodes is None or s.node not in known_nodes:
            raise PriorsError(f"{s.origin}: statement ({s.node}): node: not a node or conditional of map "
                              f"{amap.id!r}; " + did_you_mean(s.node, ours))
    return tuple(out)
