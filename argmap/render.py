"""Presentation: rich tables, JSON and plain-English lines for the analyses' result objects.

Only formats; never computes a statistic. JSON output is the serialisation of the result objects.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from argmap.analyses.estimate import Estimate, Summary
from argmap.analyses.sensitivity import Sensitivity
from argmap.maps import ArgumentMap



def pct(x: float | None, digits: int = 3) -> str:
    """A probability as a percentage with ``digits`` significant figures: 12.2%, 0.421%, 3.1e-05%."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    v = 100 * x
    if v == 0:
        return "0%"
    if abs(v) < 1e-4:
        return f"{v:.{digits - 1}e}%"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    return f"{v:.{decimals}f}%"


def interval(lo: float, hi: float) -> str:
    """A 90% interval as ``lo – hi``."""
    return f"{pct(lo)} – {pct(hi)}"


def level(threshold: float) -> str:
    """A threshold as written in a claim: 1%, 0.5%, 2.5%."""
    return f"{100 * threshold:.4g}%"


def claim_under_test(threshold: float, claim: str | None = "below") -> str:
    """The claim being tested, as the post would write it: '<1%' (or '>10%' for a claim above)."""
    return f"{'>' if claim == 'above' else '<'}{level(threshold)}"


def verdict(est: Estimate, amap: ArgumentMap) -> str | None:
    """One plain-English line on whether the claim under test survives these priors (None: no claim)."""
    if est.claim is None:
        return None
    r, claim = est.result, claim_under_test(est.threshold, est.claim)
    label = amap.claims[est.target].label
    if est.prior_result is not None:
        label = f"{label} | evidence"
    ratio = r.mean / est.threshold
    share = r.prob_below_threshold if est.claim == "below" else 1 - r.prob_below_threshold
    side = "below" if est.claim == "below" else "above"
    share_text = f"{share:.1%} of draws fall {side} {level(est.threshold)}"
    if est.rests_on_silence:
        return (f"\"{claim}\" cannot be judged from these priors: the expected P({label}) is "
                f"{pct(r.mean)}, but most of its spread comes from parameters the source never stated.")
    if est.holds:
        if est.claim == "below":
            margin = f"{1 / ratio:.1f}x below the threshold" if ratio > 0 else "below any threshold"
        else:
            margin = f"{ratio:.1f}x the threshold"
        return (f"\"{claim}\" survives these priors: the expected P({label}) is {pct(r.mean)}, "
                f"{margin}; {share_text}.")
    if est.claim == "below":
        return (f"\"{claim}\" does not survive these priors: the expected P({label}) is {pct(r.mean)}, "
                f"{ratio:.1f}x the threshold; only {share_text}.")
    return (f"\"{claim}\" does not survive these priors: the expected P({label}) is {pct(r.mean)}, "
            f"below the threshold; only {share_text}.")


def monitoring_verdict(est: Estimate) -> str:
    """The monitoring post's question, answered in one paragraph: the commitment's effect and catches."""
    m = est.monitoring
    change = "lowers" if m.effect > 0 else "raises" if m.effect < 0 else "leaves"
    text = (f"With these priors the commitment {change} P(first TAI deceptive): {pct(m.p_deceptive_without)} "
            f"without it, {pct(m.p_deceptive_with)} with it; deception on a deceptive path is demonstrated "
            f"before the dangerous model with probability {pct(m.p_caught_given_deceptive_without)} without "
            f"it and {pct(m.p_caught_given_deceptive_with)} with it.")
    if m.unstated_swings:
        named = ", ".join(f"{s.parameter} ({100 * s.effect_at_p05:+.2g} to {100 * s.effect_at_p95:+.2g} pts)"
                          for s in m.unstated_swings[:3])
        how = (", one of which alone can flip its sign" if m.one_prior_flips_sign else
               ", which together could outweigh it" if m.sign_rests_on_silence else "")
        text += (f" The effect (through a change of course or training only) rests on priors the post "
                 f"never states{how}: {named}, across each one's 90% range.")
    return text


def unstated_warning(est: Estimate, node: str | None = None) -> str | None:
    """The line naming unstated priors a result rests on (first-order index above 0.05), if any."""
    found = est.unstated_drivers_of(node or est.target)
    if not found:
        return None
    named = ", ".join(f"{pid} (S1 {s1:.2f})" for pid, s1 in found)
    whose = "This result rests" if node in (None, est.target) else f"P({node}) rests"
    return (f"{whose} on parameters the author never stated: {named}. Their priors are marked "
            f"unstated in {', '.join(est.priors)}: stand-ins for silence, not beliefs.")


def main_driver(est: Estimate, amap: ArgumentMap, priors: Any = None) -> str | None:
    """One line on the parameter that carries most of the spread of P(target), and its basis."""
    if not est.drivers or est.drivers[0][1] < 0.25:
        return None
    pid, s1, basis = est.drivers[0]
    prior = priors.entries.get(pid) if priors is not None else None
    how = {"quote": f"read from the words \"{prior.quote}\"" if prior is not None and prior.quote else
           "read from a quote", "logical": "a logical link", "unstated": "unstated by the source",
           "implied": "implied by the file's statements", "none given": "no basis given"}[basis]
    spec = f" as {prior.spec}" if prior is not None else ""
    return (f"{s1:.0%} of the spread of P(target) comes from one parameter, {pid}{spec} ({how}).")


def sampled_note(est: Estimate) -> str:
    """What a run past the exact method's budget did instead, and what that costs the reader."""
    reason = est.inference.reason.split(": ", 1)[-1]
    return (f"Past the exact method's budget ({reason}): each node's probability is estimated from "
            f"{est.inference.worlds} sampled worlds per parameter draw. Means are unbiased (± their Monte "
            "Carlo error); intervals are widened by the worlds' noise; there is no exact mean, and the "
            "drivers, routes and conditionals are left out.")


def statement_checks(est: Estimate, priors: Any) -> list[dict[str, Any]]:
    """Each statement the priors files make about this map, beside what the priors give for it."""
    out = []
    for st in getattr(priors, "statements", ()):
        if st.node in est.conditionals:
            value = est.conditionals[st.node].value
        elif st.node in est.targets:
            value = est.targets[st.node].mean
        else:
            value = est.nodes[st.node].mean
        out.append({"node": st.node, "statement": st.describe(), "quote": st.quote, "source": st.source,
                    "file": st.origin, "value": value, "holds": st.holds(value),
                    "rests_on_silence": est.rests_on_silence_of(st.node)})
    return out


def statement_line(check: dict[str, Any]) -> str:
    """One line: what a file states about a node, and what its priors give there."""
    quote = f" (\"{check['quote']}\")" if check["quote"] else ""
    where = "inside" if check["holds"] else "outside"
    caveat = (", but that figure rests mostly on parameters the source never stated"
              if check.get("rests_on_silence") else "")
    return (f"Stated in {check['file']}: {check['statement']}{quote}. These priors give "
            f"{pct(check['value'])}, {where} the statement{caveat}.")


def estimate_json(est: Estimate, amap: ArgumentMap, priors: Any = None) -> str:
    """The JSON object of formats.md section 5 (plus ``targets``, ``holds`` and ``verdict``)."""
    doc: dict[str, Any] = {
        "map": est.map, "priors": list(est.priors), "target": est.target,
        "threshold": est.threshold, "draws": est.draws, "seed": est.seed,
        "result": asdict(est.result),
        "nodes": {n: {"mean": s.mean, "p05": s.p05, "p95": s.p95, "exact_mean": s.exact_mean}
                  for n, s in est.nodes.items()},
        "targets": {n: asdict(s) for n, s in est.targets.items()},
        "node_draws": est.node_sample,
        "holds": est.holds,
        "claim": est.claim,
        "rests_on_silence": est.rests_on_silence,
        "verdict": monitoring_verdict(est) if est.monitoring is not None else verdict(est, amap),
        "drivers": [{"parameter": pid, "s1": s1, "basis": basis} for pid, s1, basis in est.drivers],
        "unstated_drivers": {n: [pid for pid, _ in est.unstated_drivers_of(n)] for n in est.targets},
        "warnings": [w for w in (unstated_warning(est, n) for n in est.targets) if w],
        "statements": statement_checks(est, priors),
        "inference": asdict(est.inference),
    }
    if est.routes:
        doc["routes"] = [{"node": g.node, "title": g.title, "mean": g.mean, "adds": g.adds,
                          "routes": [asdict(r) for r in g.routes]} for g in est.routes]
    if est.conditionals:  # a conditional on a claim of probability 0 is undefined: null, not NaN
        doc["conditionals"] = {k: dict({f: (None if isinstance(x, float) and math.isnan(x) else x)
                                        for f, x in asdict(v).items()},
                                       label=next(c.label for c in amap.conditionals if c.id == k))
                               for k, v in est.conditionals.items()}
    if est.lever is not None:
        doc["lever"] = {"node": est.lever.node, "target_if_true": asdict(est.lever.if_true),
                        "target_if_false": asdict(est.lever.if_false), "reduction": est.lever.reduction}
    if est.monitoring is not None:
        doc["monitoring"] = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                             for k, v in asdict(est.monitoring).items()}
    if est.prior_result is not None:
        doc["prior_result"] = asdict(est.prior_result)
        doc["prior_targets"] = {n: asdict(s) for n, s in est.prior_targets.items()}
        doc["prior_nodes"] = {n: {"mean": s.mean, "p05": s.p05, "p95": s.p95}
                              for n, s in est.prior_nodes.items()}
        d = est.diagnostics
        doc["diagnostics"] = {"r_hat_max": None if math.isnan(d.r_hat_max) else d.r_hat_max,
                              "ess_bulk_min": d.ess_bulk_min, "divergences": d.divergences,
                              "chains": d.chains, "tune": d.tune, "draws": d.draws,
                              "warnings": list(d.warnings), "method": d.method,
                              "pareto_k": d.pareto_k, "reason": d.reason}
        doc["evidence"] = [_evidence_json(e, est.evidence_model) for e in est.evidence]
        doc["reference_classes"] = [asdict(c) for c in est.reference_classes]
        doc["evidence_notes"] = list(est.evidence_model.notes)
        doc["hypothetical_evidence"] = hypothetical_files(est)
    return json.dumps(doc, indent=2, allow_nan=False)


def _evidence_json(e: Any, em: Any) -> dict[str, Any]:
    """One shorthand entry or test as JSON (the keys of formats.md section 5, plus what tests add)."""
    if hasattr(e, "model"):  # a [[test]]
        rates = [em.rates[name] for name in e.rv_names]
        return {"id": e.id, "about": e.about, "trials": e.trials, "positives": e.positives,
                "sensitivity": rates[0].spec, "false_positive_rate": rates[1].spec, "source": e.source,
                "kind": "test", "model": e.model, "method": e.method, "checked": e.checked}
    return {"id": e.id, "about": e.about, "trials": e.trials, "positives": e.positives,
            "sensitivity": e.sensitivity.spec, "false_positive_rate": e.false_positive_rate.spec,
            "source": e.source, "kind": "entry", "checked": e.checked}


def _summary_rows(summaries: dict[str, Summary], threshold: float,
                  share: bool | str = True) -> list[tuple[str, list[str]]]:
    """The rows of a target's table; ``share``: the claim's direction ("above" counts the draws above
    the threshold), True for below, False for no share row (no claim)."""
    s = list(summaries.values())
    rows = [
        ("mean ± mcse", [f"{pct(x.mean)} ± {pct(x.mcse, 2)}" for x in s]),
        ("exact mean", [pct(x.exact_mean) for x in s]),
        ("median", [pct(x.median) for x in s]),
        ("90% interval", [interval(x.p05, x.p95) for x in s]),
    ]
    if share == "above":
        rows.append((f"share of draws > {level(threshold)}", [f"{1 - x.prob_below_threshold:.1%}" for x in s]))
    elif share:  # only a claim about a threshold makes the share below it worth a row
        rows.append((f"share of draws < {level(threshold)}", [f"{x.prob_below_threshold:.1%}" for x in s]))
    return rows


def estimate_report(est: Estimate, amap: ArgumentMap, console: Any, priors: Any = None) -> None:
    """Print the rich report of an estimate (prior and posterior side by side with evidence)."""
    from rich.table import Table
    from rich.text import Text

    updated = est.prior_result is not None
    console.print(Text(amap.title, style="bold"))
    sampler = ""
    if updated and est.diagnostics.method == "importance":
        sampler = " · posterior by reweighting the prior draws (PSIS)"
    elif updated:
        sampler = f" · NUTS {est.diagnostics.chains} chains × {est.diagnostics.draws:,} draws"
    console.print(f"map [cyan]{est.map}[/] · priors [cyan]{', '.join(est.priors)}[/] · "
                  f"{est.draws:,} prior draws · seed {est.seed}{sampler}", highlight=False)
    if est.inference.method == "sampled":
        console.print(Text("⚠ " + sampled_note(est), style="yellow"))
    if updated:
        _evidence_lines(est, console)
    console.print()
    if est.monitoring is not None:  # the post's own question, not a threshold it never set
        m = est.monitoring
        mark, style = ("? ", "bold yellow") if m.sign_rests_on_silence else ("→ ", "bold")
        console.print(Text(mark + monitoring_verdict(est), style=style))
    elif est.claim is not None:  # a map that tests no claim gets no verdict
        mark, style = (("? ", "bold yellow") if est.rests_on_silence else
                       ("✓ ", "bold green") if est.holds else ("✗ ", "bold red"))
        console.print(Text(mark + verdict(est, amap), style=style))
    for check in statement_checks(est, priors):
        console.print(Text(statement_line(check)))
    driver = main_driver(est, amap, priors)
    if driver:
        console.print(Text(driver))
    warning = unstated_warning(est)
    if warning:
        console.print(Text("⚠ " + warning, style="yellow"))
    invented = hypothetical_files(est)
    if invented:
        console.print(Text("⚠ This posterior uses HYPOTHETICAL evidence, invented for illustration: "
                           + ", ".join(invented) + ".", style="bold yellow"))
    console.print()
    what = "before and after the evidence" if updated else "over the priors' uncertainty"
    title = (f"P(target) {what}" if est.monitoring is not None or est.claim is None else
             f"P(target) {what} (claim under test: {claim_under_test(est.threshold, est.claim)})")
    if console.width >= WIDE:
        table = Table(title=title, title_justify="left")
        table.add_column("")
        columns: list[tuple[str, Summary]] = []
        for node in est.targets:
            mark = " (target)" if node == est.target else ""
            mark += " ⚠ unstated" if est.rests_on_silence_of(node) else ""
            head = f"{amap.claims[node].label}{mark}\n[dim]{node}[/]"
            if updated:
                columns += [(head + "\n[dim]prior[/]", est.prior_targets[node]),
                            ("\n\nposterior", est.targets[node])]
            else:
                columns.append((head, est.targets[node]))
        for head, _ in columns:
            table.add_column(head, justify="right")
        for label, cells in _summary_rows({str(i): s for i, (_, s) in enumerate(columns)}, est.threshold,
                                          est.claim or False):
            table.add_row(label, *cells)
        console.print(table)
    else:  # a narrow terminal: one small table per headline node, its label and id in the title
        console.print(Text(title, style="italic"))
        for node in est.targets:
            mark = " (target)" if node == est.target else ""
            mark += " ⚠ unstated" if est.rests_on_silence_of(node) else ""
            table = Table(title=f"{amap.claims[node].label}{mark} [dim]{node}[/]", title_justify="left",
                          show_header=updated)
            table.add_column("")
            summaries = {"prior": est.prior_targets[node], "posterior": est.targets[node]} if updated else \
                {"value": est.targets[node]}
            for name in summaries:
                table.add_column(name if updated else "", justify="right", no_wrap=True)
            for label, cells in _summary_rows(summaries, est.threshold, est.claim or False):
                table.add_row(label, *cells)
            console.print(table)
    for node in est.targets:
        if node != est.target and unstated_warning(est, node):
            console.print(Text("⚠ " + unstated_warning(est, node), style="yellow"))
    if updated:
        _diagnostics_lines(est, console)
    _routes_table(est, amap, console)
    _monitoring_table(est, console)
    _extras_table(est, amap, console)
    from rich import box

    narrow = console.width < WIDE
    nodes = Table(title="Every claim: P(claim) over the priors' uncertainty" if not updated else
                  "Every claim: P(claim), prior mean and posterior", title_justify="left",
                  box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD)
    longest = max(map(len, amap.claims)) + 2
    if narrow:  # the claim and its id stacked in one column, the id whole
        nodes.add_column("claim [dim]/ id[/]", overflow="fold", min_width=longest)
    else:
        nodes.add_column("claim", overflow="fold")
        nodes.add_column("id", style="dim", no_wrap=True, min_width=longest - 2)
    if updated:
        nodes.add_column("prior", justify="right", no_wrap=True, min_width=7)
    nodes.add_column("mean", justify="right", no_wrap=True, min_width=7)
    nodes.add_column("90% interval", justify="right", no_wrap=True)
    blanks = (1 if narrow else 2) + (1 if updated else 0) + 1
    groups: dict[str, list[str]] = {}
    for node, claim in amap.claims.items():
        groups.setdefault(claim.group or "other", []).append(node)
    for g, members in groups.items():
        if len(groups) > 1:  # a map without groups needs no group rows
            nodes.add_row(f"[bold]{amap.group_title(g)}[/]", *[""] * blanks)
        for node in members:
            s = est.nodes[node]
            prior = [pct(est.prior_nodes[node].mean)] if updated else []
            label = amap.claims[node].label
            indent = "  " if len(groups) > 1 else ""
            first = [f"{indent}{label}\n{indent}[dim]{node}[/]"] if narrow else [indent + label, node]
            nodes.add_row(*first, *prior, pct(s.mean), interval(s.p05, s.p95))
    console.print(nodes)
    if est.node_sample < est.draws:
        console.print(f"[dim]Prior node intervals use the first {est.node_sample:,} draws; means and "
                      "the targets use all of them.[/]")


def _routes_table(est: Estimate, amap: ArgumentMap, console: Any) -> None:
    """The target's routes, grouped (the post's own, then objections), with what each adds."""
    if not est.routes:
        return
    from rich.table import Table

    from rich import box

    when = " (posterior)" if est.prior_result is not None else ""
    narrow = console.width < WIDE
    table = Table(title=f"Routes to {amap.claims[est.target].label}{when}", title_justify="left",
                  box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD)
    grouped = len(est.routes) > 1
    ids = [g.node for g in est.routes] + [r.node for g in est.routes for r in g.routes]
    if narrow:  # the label and its id stacked in one column, the id whole
        table.add_column("route [dim]/ id[/]", overflow="fold", min_width=max(map(len, ids)) + 2)
    else:
        table.add_column("route", overflow="fold", max_width=34)
        table.add_column("id", style="dim", no_wrap=True)
    table.add_column("P(route)", justify="right", no_wrap=True)
    table.add_column("90% interval", justify="right", no_wrap=True)
    table.add_column("adds", justify="right", no_wrap=True)

    def first(label: str, node: str, indent: str) -> list[str]:
        return [f"{indent}{label}\n{indent}[dim]{node}[/]"] if narrow else [indent + label, node]

    def span(lo: float, hi: float) -> str:
        return f"{pct(lo)} –\n{pct(hi)}" if narrow else interval(lo, hi)

    for g in est.routes:
        if grouped:
            table.add_row(*first(f"[bold]{g.title}[/]", g.node, ""), f"[bold]{pct(g.mean)}[/]", "",
                          f"[bold]{_pts(g.adds)}[/]")
        for r in g.routes:
            table.add_row(*first(r.label, r.node, "  " if grouped else ""), pct(r.mean), span(r.p05, r.p95),
                          _pts(r.adds))
    console.print(table)
    console.print("[dim]adds: how much lower E[P(target)] would be without that route (or group), "
                  "exactly; overlaps between routes are counted once.[/]")


def _pts(x: float) -> str:
    """Percentage points, with enough digits for small contributions."""
    v = 100 * x
    if v == 0:
        return "0 pts"
    return f"{v:.3g} pts" if abs(v) >= 0.001 else f"{v:.1e} pts"


def _extras_table(est: Estimate, amap: ArgumentMap, console: Any) -> None:
    """The map's conditionals and lever, when it declares them."""
    if not est.conditionals and est.lever is None:
        return
    from rich.table import Table

    table = Table(title="What the map asks besides the target", title_justify="left")
    table.add_column("")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("90% interval", justify="right", no_wrap=True)
    for c in amap.conditionals:
        v = est.conditionals[c.id]
        table.add_row(c.label, pct(v.value), interval(v.p05, v.p95))
    if est.lever is not None:
        lever, label = est.lever, amap.claims[est.lever.node].label
        target = amap.claims[est.target].label
        for side, v in (("true", lever.if_true), ("false", lever.if_false)):
            table.add_row(f"P({target}) | {label}: {side}", pct(v.value), interval(v.p05, v.p95))
        rel = lever.reduction / lever.if_false.value if lever.if_false.value else 0.0
        table.add_row(f"[bold]{label}: lowers it by[/]", f"[bold]{100 * lever.reduction:.3g} pts[/]",
                      f"({rel:.0%} of it)")
    console.print(table)


def hypothetical_files(est: Estimate) -> list[str]:
    """The names of the evidence files behind an estimate that say they are hypothetical."""
    em = est.evidence_model
    return [f.name for f in em.files if f.hypothetical] if em is not None else []


def _monitoring_table(est: Estimate, console: Any) -> None:
    """The monitoring post's question, answered: with and without the commitment, caught, routes."""
    m = est.monitoring
    if m is None:
        return
    from rich.table import Table

    table = Table(title="The monitoring question" + (" (posterior)" if est.prior_result else ""),
                  title_justify="left")
    table.add_column("")
    table.add_column("value", justify="right")
    table.add_row("P(first TAI deceptive) without the commitment", pct(m.p_deceptive_without))
    table.add_row("P(first TAI deceptive) with the commitment", pct(m.p_deceptive_with))
    table.add_row("[bold]the commitment changes it by[/]", f"[bold]{-100 * m.effect:+.3g} pts[/]")
    table.add_row("P(caught before the dangerous model | deceptive path)", pct(m.p_caught_given_deceptive))
    table.add_row("  without the commitment / with it",
                  f"{pct(m.p_caught_given_deceptive_without)} / {pct(m.p_caught_given_deceptive_with)}")
    table.add_row("[dim]routes and rungs: P(fires | deceptive path) · its part of all firings[/]", "")
    for title, items in (("route", m.routes), ("rung", m.rungs)):
        for s in items:
            table.add_row(f"  {title}: {s.label} [dim]({s.node})[/]",
                          f"{pct(s.p_given_deceptive)} · {s.share:.0%}")
    console.print(table)


def _evidence_lines(est: Estimate, console: Any) -> None:
    """What the evidence is: each reference class, its models and tests, and the files' notes."""
    em = est.evidence_model
    for f in em.files:
        if f.origin == "entries":
            continue
        label = " [bold yellow](hypothetical)[/]" if f.hypothetical else ""
        console.print(f"evidence file [cyan]{f.name}[/]{label}: {len(f.tests)} tests on {len(f.models)} "
                      f"named models, {len(f.entries)} shorthand entries", highlight=False)
    for e in em.entries:
        console.print(f"evidence [cyan]{e.id}[/]: {e.positives} of {e.trials:,} models positive, about "
                      f"{e.about}; sensitivity {e.sensitivity.spec}, false-positive rate "
                      f"{e.false_positive_rate.spec}", highlight=False)
    for c in est.reference_classes:
        if c.kappa == "inf":
            link = "kappa inf: each observed model a draw of the first TAI"
        else:
            link = f"kappa {c.kappa}"
        console.print(f"  {c.about}: {c.models:,} observed models, {c.tests:,} results; {link}; today's "
                      f"propensity r {pct(c.r_prior_mean)} before, {pct(c.r_mean)} after "
                      f"({interval(c.r_p05, c.r_p95)})", highlight=False)
    for note in em.notes:
        console.print(f"  [dim]{note}[/]", highlight=False)


def _diagnostics_lines(est: Estimate, console: Any) -> None:
    d = est.diagnostics
    if d.method == "importance":
        console.print(f"Importance sampling (PSIS) diagnostics: Pareto k {d.pareto_k:.2f} (reliable below "
                      f"0.7), {d.ess_bulk_min:,.0f} effective draws of {d.draws:,}", highlight=False)
    else:
        r_hat = "–" if math.isnan(d.r_hat_max) else f"{d.r_hat_max:.3f}"
        why = f" (NUTS: {d.reason})" if d.reason else ""
        console.print(f"NUTS diagnostics: largest r_hat {r_hat}, smallest bulk ESS {d.ess_bulk_min:,.0f}, "
                      f"{d.divergences} divergences{why}", highlight=False)
    for w in d.warnings:
        console.print(f"[bold yellow]Warning:[/] {w}", highlight=False)
    console.print()


def sensitivity_json(sens: Sensitivity) -> str:
    """The sensitivity report as one JSON object (the result object's fields, plus ``holds``)."""
    doc = asdict(sens)
    doc["rows"] = [dict(asdict(r), swing=r.swing) for r in sens.rows]
    doc["holds"] = sens.holds
    doc["summary"] = sensitivity_summary(sens)
    return json.dumps(doc, indent=2, allow_nan=False)


def sensitivity_summary(sens: Sensitivity) -> str:
    """One plain-English line: the claim the verdict hangs on most, and the joint shift."""
    top = sens.rows[0]
    share = f"{top.st:.0%} of the variance of P({sens.target}) involves it"
    if sens.claim is None:
        return f"P({sens.target}) depends most on '{top.label}' ({share})."
    joint = ("no common shift of the odds up to 10^12 reaches the threshold"
             if sens.joint.factor is None else
             f"moving every parameter's odds {sens.joint.factor:.3g}x toward a "
             f"{'higher' if sens.joint.direction == 'raise' else 'lower'} P({sens.target}) "
             f"takes it to {level(sens.threshold)}")
    flips = [r.label for r in sens.rows if r.plausible_flip]
    flip = (f"; a value inside its own 90% interval flips the verdict for: {', '.join(flips)}"
            if flips else "; no single parameter flips the verdict within its own 90% interval")
    return f"The verdict hangs most on '{top.label}' ({share}); {joint}{flip}."


def _index(x: float, conf: float) -> str:
    """A Sobol index with its interval's half-width, without a '-0.000'."""
    text = f"{x:.3f}"
    return ("0.000" if text == "-0.000" else text) + f"±{conf:.3f}"


def negligible(row: Any) -> bool:
    """Whether both of a row's Sobol indices are indistinguishable from zero (their intervals hold 0)."""
    return row.s1 <= row.s1_conf and row.st <= row.st_conf


WIDE = 100  # below this many columns, reports stack each row's numbers under its claim and id


def sensitivity_report(sens: Sensitivity, amap: ArgumentMap, console: Any, show_all: bool = False) -> None:
    """Print the sensitivity report: a table, or stacked rows on a narrow terminal.

    Parameters whose indices are indistinguishable from zero are counted in one line, not listed,
    unless ``show_all``.
    """
    from rich.table import Table
    from rich.text import Text

    claimed = sens.claim is not None
    console.print(Text(f"Sensitivity of P({sens.target})", style="bold"))
    where = (f" ({'below' if sens.expected < sens.threshold else 'above'} the {level(sens.threshold)} "
             "threshold)" if claimed else "")
    console.print(f"map [cyan]{sens.map}[/] · priors [cyan]{', '.join(sens.priors)}[/] · expected "
                  f"P = {pct(sens.expected)}{where} · Sobol with {sens.sobol_samples:,} base samples",
                  highlight=False)
    console.print()
    rows = list(sens.rows) if show_all else [r for r in sens.rows if not negligible(r)]
    hidden = len(sens.rows) - len(rows)

    def flips(r: Any) -> str:
        return "never" if r.break_even is None else f"{r.break_even:.3g}" + (" ◆" if r.plausible_flip else "")

    if console.width >= WIDE:
        from rich import box

        table = Table(title_justify="left", title="One row per uncertain parameter, most important first",
                      box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
        table.add_column("claim [dim]/ parameter id[/]", overflow="fold", min_width=24)
        table.add_column("prior (90%)", justify="right", no_wrap=True)
        table.add_column("E[P] 5%→95%", justify="right", no_wrap=True)
        table.add_column("S1 ± CI", justify="right", no_wrap=True)
        table.add_column("ST ± CI", justify="right", no_wrap=True)
        if claimed:
            table.add_column("flips at", justify="right", no_wrap=True)
        for r in rows:
            table.add_row(f"{r.label}\n[dim]{r.parameter}[/]", f"{r.prior_mean:.2g}\n({r.p05:.2g}–{r.p95:.2g})",
                          f"{pct(r.at_p05)} →\n{pct(r.at_p95)}", _index(r.s1, r.s1_conf), _index(r.st, r.st_conf),
                          *([flips(r)] if claimed else []))
        console.print(table)
    else:  # each parameter's claim and id on their own lines, whole, and its numbers under them
        console.print(Text("One entry per uncertain parameter, most important first", style="italic"))
        for r in rows:
            console.print(Text(r.label, style="bold"))
            console.print(Text("  " + r.parameter, style="dim"))
            console.print(f"  prior {r.prior_mean:.2g} ({r.p05:.2g}–{r.p95:.2g}) · E[P] {pct(r.at_p05)} → "
                          f"{pct(r.at_p95)}", highlight=False)
            console.print("  " + " · ".join([f"S1 {_index(r.s1, r.s1_conf)}", f"ST {_index(r.st, r.st_conf)}"]
                                            + ([f"flips at {flips(r)}"] if claimed else [])), highlight=False)
    if hidden:
        console.print(f"[dim]{hidden} more parameter(s) with both indices indistinguishable from zero "
                      "(their intervals hold 0): --all lists them.[/]")
    legend = ("E[P]: expected P(target) with the parameter at its prior's 5th and 95th percentile, the others "
              "at their priors. S1 / ST: Sobol first-order / total-order index (share of the variance of P "
              "due to the parameter alone / with its interactions), bootstrap 95% CI.")
    if claimed:
        legend += (" Flips at: the break-even value that puts E[P] at the threshold; ◆ inside the "
                   "parameter's own 90% interval, a plausible flip.")
    console.print(f"[dim]{legend}[/]")
    console.print()
    console.print(sensitivity_summary(sens))


def _how(claim: Any) -> str:
    """How a claim gets its probability, in words, for the tree."""
    if claim.kind == "root":
        return "uncertain"
    if claim.kind == "not":
        return "NOT"
    if claim.kind == "given":
        return f"given {len(claim.parents)}"
    if claim.kind == "at_least_one_of":
        return f"AT LEAST ONE of {claim.count_text} copies of {claim.template}"
    word = "ALL of" if claim.kind == "all" else "ANY of"
    return f"{word} {len(claim.parents)}" + (" + chance" if claim.chance else "")


def show_tree(est: Estimate, amap: ArgumentMap, console: Any, roots: list[str]) -> None:
    """The argument as a tree from each root down to the premises; shared claims are shown once."""
    from rich.tree import Tree

    shown: set[str] = set()

    def line(node: str) -> str:
        c, s = amap.claims[node], est.nodes[node]
        return f"[bold]{c.label}[/] · {_how(c)} · [cyan]{pct(s.mean)}[/] [dim]({pct(s.p05)}–{pct(s.p95)})[/]"

    from argmap.graph import drawn_parents

    def grow(branch: Any, node: str) -> None:
        for parent in drawn_parents(amap.claims[node]):
            if parent in shown:
                branch.add(f"[dim]{amap.claims[parent].label} · shared, shown above[/]")
                continue
            shown.add(parent)
            grow(branch.add(line(parent)), parent)

    console.print(f"[bold]{amap.title}[/]")
    console.print(f"priors [cyan]{', '.join(est.priors)}[/] · claim · how it combines the claims under "
                  f"it · mean (90% interval), {est.draws:,} draws", highlight=False)
    for root in roots:
        shown.add(root)
        tree = Tree(line(root), guide_style="dim")
        grow(tree, root)
        console.print(tree)


def comparison_json(cmp: Any) -> str:
    """``argmap compare --json``: each file's target summaries and each parameter's means."""
    doc = {"map": cmp.map, "priors": list(cmp.names), "target": cmp.target, "threshold": cmp.threshold,
           "files": {name: {"targets": {n: asdict(s) for n, s in est.targets.items()}, "holds": est.holds}
                     for name, est in zip(cmp.names, cmp.estimates, strict=True)},
           "means": {p: dict(zip(cmp.names, m, strict=True)) for p, m in cmp.means.items()},
           "marked": list(cmp.marked)}
    return json.dumps(doc, indent=2, allow_nan=False)


def comparison_report(cmp: Any, amap: ArgumentMap, console: Any) -> None:
    """Print the comparison tables."""
    from rich.table import Table

    console.print(f"[bold]{amap.title}[/] · comparing [cyan]{', '.join(cmp.names)}[/]", highlight=False)
    for node in cmp.estimates[0].targets:
        table = Table(title=f"{amap.claims[node].label} [dim]({node})[/]", title_justify="left")
        table.add_column("")
        for name in cmp.names:
            table.add_column(name, justify="right")
        rows = _summary_rows({n: e.targets[node] for n, e in zip(cmp.names, cmp.estimates, strict=True)},
                             cmp.threshold)
        for label, cells in rows:
            table.add_row(label, *cells)
        console.print(table)
    params = Table(title="Each parameter's prior mean (◆ the rows where the files differ most)",
                   title_justify="left")
    params.add_column("claim [dim]/ parameter id[/]", overflow="fold", min_width=24)
    for name in cmp.names:
        params.add_column(name, justify="right", no_wrap=True)
    for pid in amap.parameters:
        claim = amap.claims[amap.parameters[pid].node]
        mark = " ◆" if pid in cmp.marked else ""
        style = "bold" if mark else ""
        params.add_row(f"[{style or 'none'}]{claim.label}{mark}[/]\n[dim]{pid}[/]",
                       *[f"{m:.3g}" for m in cmp.means[pid]])
    console.print(params)


def cruxes_summary(cx: Any) -> str:
    """One plain-English line naming the top crux."""
    if cx.difference == 0:
        return f"The two files give the same expected P({cx.target}); there is no crux."
    t = cx.top
    if t is None:
        big = cx.rows[0]
        return (f"No single parameter narrows the gap between {pct(cx.expected_a)} and "
                f"{pct(cx.expected_b)} on its own; the largest Shapley share is '{big.label}' "
                f"({big.parameter}).")
    return (f"The top crux is '{t.label}' ({t.parameter}): moving it alone from {cx.a}'s {t.mean_a:.3g} "
            f"to {cx.b}'s {t.mean_b:.3g} closes {cx.closed(t):.0%} of the gap between "
            f"{pct(cx.expected_a)} and {pct(cx.expected_b)}.")


def cruxes_json(cx: Any) -> str:
    """``argmap cruxes --json``."""
    doc = {"map": cx.map, "a": cx.a, "b": cx.b, "target": cx.target, "expected_a": cx.expected_a,
           "expected_b": cx.expected_b, "difference": cx.difference, "exact": cx.exact,
           "permutations": cx.permutations, "rows": [asdict(r) for r in cx.rows],
           "sum_of_contributions": sum(r.contribution for r in cx.rows), "summary": cruxes_summary(cx)}
    return json.dumps(doc, indent=2, allow_nan=False)


def cruxes_report(cx: Any, console: Any) -> None:
    """Print the cruxes table."""
    from rich.table import Table

    mode = ("exact Shapley values" if cx.exact else
            f"Shapley values from {cx.permutations:,} sampled orderings (± one standard error)")
    console.print(f"[bold]Cruxes between {cx.a} and {cx.b}[/] · E[P({cx.target})] {pct(cx.expected_a)} → "
                  f"{pct(cx.expected_b)} ({100 * cx.difference:+.3g} pts) · {mode}", highlight=False)
    table = Table(title_justify="left", title="Each parameter's share of the difference, largest first")
    table.add_column("claim [dim]/ parameter id[/]", overflow="fold", min_width=24)
    table.add_column(cx.a, justify="right", no_wrap=True)
    table.add_column(cx.b, justify="right", no_wrap=True)
    table.add_column("share of Δ", justify="right", no_wrap=True)
    table.add_column("% of Δ", justify="right", no_wrap=True)
    table.add_column("swap alone", justify="right", no_wrap=True)
    for r in cx.rows:
        err = f" ±{abs(100 * r.error):.2g}" if not cx.exact else ""
        share = r.contribution / cx.difference if cx.difference else 0.0
        table.add_row(f"{r.label}\n[dim]{r.parameter}[/]", f"{r.mean_a:.3g}", f"{r.mean_b:.3g}",
                      f"{100 * r.contribution:+.3g} pts{err}", f"{share:.0%}", f"{100 * r.alone:+.3g} pts")
    table.add_row("[bold]total[/]", "", "", f"[bold]{100 * sum(r.contribution for r in cx.rows):+.3g} pts[/]",
                  "100%", "")
    console.print(table)
    console.print("[dim]pts: percentage points of E[P(target)]. Swap alone: the change from moving only "
                  "that parameter; shares add up to the total, swaps alone need not.[/]")
    console.print()
    console.print(cruxes_summary(cx))


def toml_string(text: str) -> str:
    """A TOML basic string: UTF-8 kept as it is (JSON's ASCII escapes would split emoji into
    surrogate pairs, which TOML rejects); quotes, backslashes and control characters escaped."""
    return json.dumps(text, ensure_ascii=False)


def toml_key(pid: str) -> str:
    """A parameter id as a TOML key: bare when it can be, quoted otherwise."""
    return pid if pid.replace("_", "").isalnum() else toml_string(pid)


def prior_entry(prior: Any) -> str:
    """One prior as an inline TOML table that reads back to the same distribution."""
    why = f", why = {toml_string(prior.why)}" if prior.why else ""
    why += f", quote = {toml_string(prior.quote)}" if prior.quote else ""
    why += f", logical = {toml_string(prior.logical)}" if prior.logical else ""
    why += ", unstated = true" if prior.unstated else ""
    if prior.value is not None:
        return f"{{ value = {prior.value!r}{why} }}"
    if prior.phrase is not None:
        phrase, lexicon = prior.phrase
        return f"{{ phrase = {toml_string(phrase)}, lexicon = {toml_string(lexicon)}{why} }}"
    return f"{{ beta = [{prior.a!r}, {prior.b!r}]{why} }}"


def priors_file_text(header: Sequence[str], name: str, description: str, map_id: str,
                     entries: Sequence[tuple[str, str, str | None]]) -> str:
    """A priors file's text.

    A comment header, then name, description, map, and one ``id = entry`` line per parameter, each
    with an optional comment line above it.
    """
    lines = [f"# {h}" for h in header]
    lines += [f"name = {toml_string(name)}", f"description = {toml_string(description)}",
              f"map = {toml_string(map_id)}", "", "[priors]"]
    for pid, entry, comment in entries:
        if comment:
            lines.append(f"# {comment}")
        lines.append(f"{toml_key(pid)} = {entry}")
    return "\n".join(lines) + "\n"


def pooled_toml(pooled: list, amap: ArgumentMap, names: Sequence[str], method: str,
                weights: Sequence[float], name: str) -> str:
    """A priors file holding pooled priors, with a header recording how it was made."""
    ws = ", ".join(f"{n} {w:g}" for n, w in zip(names, weights, strict=True))
    how = ("Linear: each Beta has the mean and variance of the weighted mixture of the inputs."
           if method == "linear" else
           "Logarithmic: each Beta is the normalised weighted product of the inputs' densities.")
    entries = []
    for p in pooled:
        why = json.dumps(f"{method} pool of " + "; ".join(p.inputs))
        entry = (f"{{ value = {p.value!r}, why = {why} }}" if p.value is not None
                 else f"{{ beta = [{p.a!r}, {p.b!r}], why = {why} }}")
        entries.append((p.parameter, entry, None))
    return priors_file_text([f"Pooled by argmap pool: {method} pooling of {', '.join(names)}.",
                             f"Weights: {ws}.", how], name,
                            f"{method.capitalize()} pool of {', '.join(names)}.", amap.id, entries)


def priors_table(priors: Any, amap: ArgumentMap, console: Any) -> None:
    """Every parameter's prior: the shape as written, mean, 90% interval, and where its number comes from."""
    from rich.table import Table

    files = {str(p.origin).rsplit("/", 1)[-1] for p in priors.entries.values()}
    table = Table(title=f"Priors for map {amap.id}", title_justify="left")
    table.add_column("parameter", overflow="fold", min_width=28, max_width=34)
    table.add_column("prior", overflow="fold", max_width=22)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("90% interval", justify="right", no_wrap=True)
    if len(files) > 1:
        table.add_column("from", overflow="fold", max_width=14)
    table.add_column("basis", overflow="fold", min_width=20)
    for pid, p in priors.entries.items():
        iv = "fixed" if p.fixed else f"{p.ppf(0.05):.3g}–{p.ppf(0.95):.3g}"
        basis = {"quote": f"\"{p.quote}\"", "logical": f"logical: {p.logical}",
                 "implied": f"implied by {p.implied_by}",
                 "unstated": "[yellow]unstated: the source is silent[/]"}.get(p.provenance, "[dim]no basis given[/]")
        origin = [str(p.origin).rsplit("/", 1)[-1]] if len(files) > 1 else []
        table.add_row(pid, p.spec, f"{p.mean:.3g}", iv, *origin, basis)
    console.print(table)


def implied_json(imp: Any) -> str:
    """The JSON of ``argmap implied``: the result object's fields, with statements described."""
    doc = {
        "map": imp.map, "priors": list(imp.priors), "method": imp.method, "ess": imp.ess,
        "khat": imp.khat, "prior_probability": imp.prior_probability, "draws": imp.draws,
        "seed": imp.seed, "reliable": imp.reliable,
        "statements": [{"node": s.node, "statement": s.describe(), "kind": s.kind, "quote": s.quote,
                        "source": s.source, "file": s.origin} for s in imp.statements],
        "parameters": {k: asdict(v) for k, v in imp.parameters.items()},
        "nodes": {k: {f: v for f, v in asdict(x).items() if f != "phrases"} for k, x in imp.nodes.items()},
        "warnings": list(imp.warnings),
    }
    if imp.diagnostics:
        doc["diagnostics"] = imp.diagnostics
    return json.dumps(doc, indent=2, allow_nan=False)


def implied_report(imp: Any, amap: ArgumentMap, console: Any, top: int = 12) -> None:
    """The rich report of ``argmap implied``: each step before and after the statements."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(f"What the statements imply · {amap.title}", style="bold"))
    how = (f"importance sampling of {imp.draws:,} prior draws (PSIS k-hat {imp.khat:.2f})"
           if imp.method == "importance" else
           f"NUTS {imp.diagnostics.get('chains')} chains × {imp.diagnostics.get('draws'):,} draws")
    console.print(f"map [cyan]{imp.map}[/] · priors [cyan]{', '.join(imp.priors)}[/] · {how} · "
                  f"effective sample size {imp.ess:,.0f} · seed {imp.seed}", highlight=False)
    for s in imp.statements:
        quote = f' ("{s.quote}")' if s.quote else ""
        where = f" [dim]({s.origin})[/]" if s.origin and not s.origin.startswith("--given") else ""
        console.print(f"Given: {s.describe()}{quote}{where}", highlight=False)
    console.print(f"Prior probability of the statements: {pct(imp.prior_probability)}", highlight=False)
    for w in imp.warnings:
        console.print(Text("⚠ " + w, style="yellow"))
    console.print()
    table = Table(title=f"Each step before and after the statements (largest shifts first; {top} shown)",
                  title_justify="left")
    table.add_column("parameter", overflow="fold", min_width=20, max_width=28)
    table.add_column("prior", justify="right", no_wrap=True)
    table.add_column("implied ± mcse", justify="right", no_wrap=True)
    table.add_column("implied 90%", justify="right", no_wrap=True)
    table.add_column("Δ logit", justify="right", no_wrap=True)
    table.add_column("IPCC term", overflow="fold", max_width=13)
    rows = sorted(imp.parameters.items(), key=lambda kv: (-abs(kv[1].shift), kv[0]))
    for pid, v in rows[:top]:
        table.add_row(pid, pct(v.prior_mean), f"{pct(v.implied_mean)} ± {pct(v.mcse, 2)}",
                      interval(v.implied_p05, v.implied_p95), f"{v.shift:+.2f}",
                      _narrowest(v.phrases))
    console.print(table)
    if len(rows) > top:
        console.print(f"[dim]{len(rows) - top} more parameters moved less; --json lists them all.[/]")
    nodes = Table(title="Headline claims before and after", title_justify="left")
    nodes.add_column("claim", overflow="fold", max_width=40)
    nodes.add_column("id", style="dim", overflow="fold", max_width=28)
    nodes.add_column("prior", justify="right", no_wrap=True)
    nodes.add_column("implied", justify="right", no_wrap=True)
    nodes.add_column("implied 90%", justify="right", no_wrap=True)
    for node in dict.fromkeys([*amap.targets, *(s.node for s in imp.statements if s.node in imp.nodes)]):
        v = imp.nodes[node]
        nodes.add_row(amap.claims[node].label, node, pct(v.prior_mean), pct(v.implied_mean),
                      interval(v.implied_p05, v.implied_p95))
    console.print(nodes)


def _narrowest(phrases: Sequence[str]) -> str:
    """The narrowest IPCC term whose range holds a value (the scale's terms are nested)."""
    from argmap.lexicons import load_lexicon

    ranges = load_lexicon("ipcc").ranges
    inside = sorted(phrases, key=lambda p: ranges[p][1] - ranges[p][0])
    return inside[0] if inside else ""
