"""Routes: which of the target's alternative routes carry its probability, and what each adds.

A target written as ``any`` of several routes is true when at least one route is. For each route the
report shows P(route) and what it *adds*: E[P(target)] minus E[P(target)] with that route removed,
which is exact, counts overlaps with the other routes once, and is what a reader means by "how much
of the answer rests on this route". A route that is itself a declared target of the map and an
``any`` node (the post's own target inside a map that adds objections) is opened one level, so that
the post's routes and the objections appear as separate groups, each with its own subtotal.

Removing a route is done exactly by asking the circuit for P(any of the other routes) through extra
derived nodes; no sampling. This module never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from argmap.maps import ArgumentMap, Claim


@dataclass(frozen=True)
class Route:
    """One route to the target: its probability and what it adds on top of the others."""

    node: str
    label: str
    via: str  # the ``any`` node it feeds
    mean: float  # E[P(route)]
    p05: float
    p95: float
    adds: float  # E[P(target)] - E[P(target) without this route]


@dataclass(frozen=True)
class RouteGroup:
    """The routes that feed one ``any`` node, with the group's subtotal."""

    node: str
    title: str
    mean: float  # E[P(at least one route of the group)]
    adds: float  # E[P(target)] - E[P(target) without any route of the group]
    routes: tuple[Route, ...]


def route_groups(amap: ArgumentMap, target: str) -> list[tuple[str, list[str]]]:
    """The target's routes as ``(any node, [routes])`` groups; empty when the target has none."""
    claim = amap.claims[target]
    if claim.kind != "any" or claim.chance:
        return []
    opened, direct = [], []
    for p in claim.parents:
        c = amap.claims[p]
        if c.kind == "any" and not c.chance and p in amap.targets and p != target:
            opened.append((p, list(c.parents)))
        else:
            direct.append(p)
    return opened + ([(target, direct)] if direct else [])


def _title(amap: ArgumentMap, node: str, target: str, leaves: list[str]) -> str:
    if node != target:
        return amap.claims[node].label
    groups = {amap.claims[r].group for r in leaves}
    if len(groups) == 1:
        return amap.group_title(groups.pop())
    return amap.claims[target].label


def routes(amap: ArgumentMap, target: str, values: dict[str, Any], means: dict[str, float] | None,
           node_draws: dict[str, np.ndarray] | None = None) -> tuple[RouteGroup, ...]:
    """The route breakdown of ``target`` from parameter ``values`` (draws).

    With ``means`` the subtotals and what each route adds are exact (E[P] = P at the means, since P is
    multilinear in independent parameters); without them (a posterior) they are averages over draws.
    ``node_draws`` may hold the routes' own draws already computed, for their intervals.
    """
    from argmap.exact import circuit_for, evaluate

    groups = route_groups(amap, target)
    if not groups:
        return ()
    leaves = [r for _, rs in groups for r in rs]
    extra: list[Claim] = []
    asked: dict[tuple[str, str], list[str]] = {}  # ('route' or 'group', id) -> the routes kept
    for r in leaves:
        asked[("route", r)] = [x for x in leaves if x != r]
    if len(groups) > 1:
        for g, rs in groups:
            asked[("group", g)] = [x for x in leaves if x not in rs]
    for g, rs in groups:
        asked[("only", g)] = rs
    names = {}
    for i, (key, kept) in enumerate(asked.items()):
        if kept:
            names[key] = f"_routes_{i}"
            extra.append(Claim(id=names[key], claim="", kind="any", parents=tuple(kept)))
    wide = amap.with_nodes(extra)
    wanted = [target, *leaves, *names.values()]
    point = evaluate(circuit_for(wide), means if means is not None else values, nodes=wanted)

    def expected(node: str) -> float:
        return float(np.mean(point[node]))

    def of(key: tuple[str, str]) -> float:
        return expected(names[key]) if key in names else 0.0

    total = expected(target)
    draws = node_draws or {}
    if means is not None and not all(r in draws for r in leaves):
        draws = {**evaluate(circuit_for(amap), values, nodes=leaves), **draws}
    out = []
    for g, rs in groups:
        items = []
        for r in rs:
            x = np.asarray(draws[r] if means is not None else point[r], float)
            q05, q95 = np.quantile(x, [0.05, 0.95]) if x.ndim else (float(x), float(x))
            items.append(Route(node=r, label=amap.claims[r].label, via=g,
                               mean=expected(r) if means is not None else float(x.mean()),
                               p05=float(q05), p95=float(q95), adds=total - of(("route", r))))
        adds = total - of(("group", g)) if len(groups) > 1 else total
        out.append(RouteGroup(node=g, title=_title(amap, g, target, rs), mean=of(("only", g)),
                              adds=adds, routes=tuple(items)))
    return tuple(out)
