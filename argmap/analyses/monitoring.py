"""The monitoring question, answered directly for a map with a ``[monitoring]`` table.

P(the first TAI is deceptively aligned) with and without the commitment (the map's lever set true and
false), P(a deceptive path is caught before the dangerous model | the path is deceptive) with the
priors' own chance of the commitment and with it set either way, and each route's and rung's
probability and share. Exact under the priors (the circuit at the parameters' exact moments); from the
draws under a posterior. This module never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from argmap.maps import ArgumentMap


@dataclass(frozen=True)
class Share:
    """A route or rung: P(it fires), P(it fires | deceptive path), and its share of all firings of its
    siblings (they overlap, so this is its part of the firings, not of the catches)."""

    node: str
    label: str
    p: float
    share: float
    p_given_deceptive: float


@dataclass(frozen=True)
class Swing:
    """How the commitment's effect moves across an unstated prior's 90% range (exact, other priors at
    their means): effect = P(target | without) - P(target | with)."""

    parameter: str
    effect_at_p05: float
    effect_at_p95: float


@dataclass(frozen=True)
class MonitoringSummary:
    """The answer to the monitoring post's question (JSON ``monitoring``)."""

    lever: str
    target: str
    p_deceptive_without: float  # E[P(target) | lever false]
    p_deceptive_with: float  # E[P(target) | lever true]
    p_caught_given_deceptive: float  # with the priors' own chance of the lever
    p_caught_given_deceptive_without: float
    p_caught_given_deceptive_with: float
    routes: tuple[Share, ...]
    rungs: tuple[Share, ...]
    unstated_swings: tuple[Swing, ...] = ()  # largest first; empty under a posterior

    @property
    def effect(self) -> float:
        """How much the commitment lowers P(target) (negative: it raises it)."""
        return self.p_deceptive_without - self.p_deceptive_with

    @property
    def one_prior_flips_sign(self) -> bool:
        """Whether one unstated prior alone, within its 90% range, flips the sign of the effect."""
        return any(s.effect_at_p05 * s.effect_at_p95 < 0 for s in self.unstated_swings)

    @property
    def sign_rests_on_silence(self) -> bool:
        """Whether unstated priors could flip the sign of the effect: one of them does within its 90%
        range, or their swings together exceed the effect (a conservative test, one prior at a time)."""
        total = sum(abs(s.effect_at_p95 - s.effect_at_p05) for s in self.unstated_swings)
        return self.one_prior_flips_sign or total > abs(self.effect)


def monitoring_summary(amap: ArgumentMap, target: str, values: dict[str, Any],
                       means: dict[str, float] | None, priors: Any = None) -> MonitoringSummary | None:
    """The summary from parameter draws ``values``; exact when the prior ``means`` are given."""
    mon = amap.monitoring
    if mon is None or amap.lever is None:
        return None
    from argmap.exact import circuit_for, evaluate, set_value

    circuit = circuit_for(amap)
    conditional = next(c for c in amap.conditionals if c.id == mon.caught)
    nodes = list(dict.fromkeys([target, conditional.numerator, conditional.denominator, *mon.routes,
                                *mon.rungs]))
    base = means if means is not None else values

    def expected(vals: dict[str, Any]) -> dict[str, float]:
        out = evaluate(circuit, vals, nodes=nodes)
        return {n: float(np.mean(out[n])) for n in nodes}

    def ratio(e: dict[str, float]) -> float:
        den = e[conditional.denominator]
        return e[conditional.numerator] / den if den > 0 else float("nan")

    now = expected(base)
    on = expected(set_value(base, circuit, amap.lever, 1.0))
    off = expected(set_value(base, circuit, amap.lever, 0.0))

    deceptive = now[conditional.denominator]

    def shares(names: tuple[str, ...]) -> tuple[Share, ...]:
        total = sum(now[n] for n in names)
        return tuple(Share(n, amap.claims[n].label, now[n], now[n] / total if total > 0 else 0.0,
                           now[n] / deceptive if deceptive > 0 else float("nan")) for n in names)

    swings: list[Swing] = []
    if means is not None and priors is not None:
        from scipy import stats

        for pid, prior in priors.entries.items():
            if not prior.unstated or prior.fixed:
                continue
            effect = []
            for q in stats.beta.ppf([0.05, 0.95], prior.a, prior.b):
                at = set_value(base, circuit, pid, float(q))
                lo = expected(set_value(at, circuit, amap.lever, 0.0))[target]
                hi = expected(set_value(at, circuit, amap.lever, 1.0))[target]
                effect.append(lo - hi)
            if abs(effect[0] - effect[1]) > 1e-12:  # beyond rounding
                swings.append(Swing(pid, effect[0], effect[1]))
        # largest swing first; swings equal up to rounding in the order of the priors file
        swings.sort(key=lambda s: -round(abs(s.effect_at_p95 - s.effect_at_p05), 12))

    return MonitoringSummary(lever=amap.lever, target=target, p_deceptive_without=off[target],
                             p_deceptive_with=on[target], p_caught_given_deceptive=ratio(now),
                             p_caught_given_deceptive_without=ratio(off),
                             p_caught_given_deceptive_with=ratio(on),
                             routes=shares(mon.routes), rungs=shares(mon.rungs),
                             unstated_swings=tuple(swings))
