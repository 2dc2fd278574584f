"""``argmap page``: one self-contained HTML file to share a map and explore it with sliders.

The page holds the map, the priors, the estimate and the sensitivity ranking as data, and the map's
circuit (argmap.exact) as a list of operations: moving a slider recomputes every claim's exact expected
probability in the browser by running that circuit at the priors' means, as :func:`argmap.exact.
moment_values` does here. Nothing is fetched: the script, the styles and the data are inline. This
module never prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from argmap.maps import ArgumentMap
from argmap.priors import Priors

TEMPLATE = Path(__file__).resolve().parent / "data" / "page.html"
BOX_W, BOX_H, GAP_X, GAP_Y = 168, 46, 16, 34


def layout(amap: ArgumentMap) -> dict[str, tuple[float, float]]:
    """Node positions: layers by longest path from the premises (premises at the bottom), each layer
    ordered by the mean position of its parents (one barycentre pass), so edges cross less."""
    layer: dict[str, int] = {}
    for n in amap.topological_order():
        parents = amap.claims[n].parents
        layer[n] = 1 + max((layer[p] for p in parents), default=-1)
    depth = max(layer.values(), default=0)
    rows: dict[int, list[str]] = {}
    for n in amap.claims:
        rows.setdefault(layer[n], []).append(n)
    x_of: dict[str, float] = {}
    for k in range(depth + 1):
        members = rows.get(k, [])
        if k:
            members.sort(key=lambda n: np.mean([x_of[p] for p in amap.claims[n].parents]))
        for i, n in enumerate(members):
            x_of[n] = i
    width = max(len(r) for r in rows.values())
    pos = {}
    for k, members in rows.items():
        offset = (width - len(members)) / 2
        for n in members:
            pos[n] = ((x_of[n] + offset) * (BOX_W + GAP_X) + GAP_X, (depth - k) * (BOX_H + GAP_Y) + GAP_Y)
    return pos


def _histogram(x: np.ndarray, bins: int = 48) -> dict[str, list[float]]:
    positive = x[x > 0]
    if positive.size == 0:
        return {"edges": [], "share": []}
    lo, hi = np.quantile(positive, [0.001, 0.999])
    lo, hi = max(lo / 1.5, 1e-12), min(hi * 1.5, 1.0)
    if hi <= lo:
        hi = lo * 10
    edges = np.geomspace(lo, hi, bins + 1)
    counts, _ = np.histogram(np.clip(x, lo, hi), bins=edges)
    return {"edges": [float(e) for e in edges], "share": [float(c / x.size) for c in counts]}


def extra_sections(amap: ArgumentMap, posterior: Any | None = None, implied: Any | None = None) -> list[dict]:
    """Static tables for what the sliders do not recompute: the evidence's posterior and what stated
    conclusions imply (each with the method that computed it)."""
    from argmap.render import pct

    out: list[dict] = []
    if posterior is not None and posterior.prior_result is not None:
        d = posterior.diagnostics
        rows = [[f"{amap.claims[n].label} ({n})", pct(posterior.prior_targets[n].mean), pct(s.mean),
                 f"{pct(s.p05)} – {pct(s.p95)}"] for n, s in posterior.targets.items()]
        rows += [[f"today's propensity r for {c.about}, {c.models} models, kappa {c.kappa}",
                  pct(c.r_prior_mean), pct(c.r_mean), f"{pct(c.r_p05)} – {pct(c.r_p95)}"]
                 for c in posterior.reference_classes]
        files = ", ".join(f.name + (" (HYPOTHETICAL)" if f.hypothetical else "")
                          for f in posterior.evidence_model.files)
        out.append({"title": "Given the evidence", "note": f"Evidence: {files}. Computed by "
                    f"{'reweighting the prior draws (PSIS)' if d.method == 'importance' else 'NUTS'} at the "
                    "shipped priors; the sliders do not move these numbers.",
                    "header": ["", "before", "after", "90% interval after"], "rows": rows})
    if implied is not None:
        given = "; ".join(st.describe() for st in implied.statements)
        rows = [[f"{amap.parameters[pid].describe()}", pct(v.prior_mean), pct(v.implied_mean),
                 f"{pct(v.implied_p05)} – {pct(v.implied_p95)}"]
                for pid, v in sorted(implied.parameters.items(), key=lambda kv: -abs(kv[1].shift))[:15]]
        out.append({"title": "What the stated conclusions imply", "note": f"Given {given}: each parameter "
                    f"before and after ({implied.method}, at the shipped priors; the sliders do not move "
                    "these numbers).", "header": ["parameter", "prior mean", "implied mean", "90% interval"],
                    "rows": rows})
    return out


def page_data(amap: ArgumentMap, priors: Priors, est: Any, sens: Any | None,
              extra: list[dict] | None = None) -> dict[str, Any]:
    """Everything the page shows and computes, as JSON-ready data."""
    from argmap.exact import circuit_for
    from argmap.model import node_var
    from argmap.resources import is_shipped

    circuit = circuit_for(amap)
    pos = layout(amap)
    nodes = []
    for n, c in amap.claims.items():
        x, y = pos[n]
        nodes.append({"id": n, "label": c.label, "claim": c.claim, "section": c.section or "",
                      "group": amap.group_title(c.group) if c.group else "", "kind": c.kind,
                      "parents": list(c.parents), "x": round(x, 1), "y": round(y, 1),
                      "mean": est.nodes[n].mean, "exact": est.nodes[n].exact_mean})
    params = []
    for pid, p in priors.entries.items():
        param = amap.parameters[pid]
        params.append({"id": pid, "node": param.node, "describe": param.describe(), "fixed": p.fixed,
                       "value": p.value, "a": p.a, "b": p.b, "mean": p.mean, "spec": p.spec,
                       "why": p.why or "", "quote": p.quote or "", "basis": p.provenance})
    ops = [list(op) for op in circuit.ops]
    single = len(priors.files) == 1
    target = est.target
    return {
        "map": amap.id, "title": amap.title, "source": amap.source or "", "priors": list(priors.names),
        "extends": str(priors.files[0].path) if single and not is_shipped(priors.files[0].path)
        else (priors.names[0] if single else None),
        "map_ref": amap.id if amap.shipped or amap.path is None else str(amap.path),
        "target": target, "targets": list(est.targets), "threshold": est.threshold, "claim": est.claim,
        "nodes": nodes, "params": params,
        "circuit": {"ops": ops, "outputs": circuit.outputs,
                    "derived": {k: [v[0], [list(c) for c in v[1]]] for k, v in circuit.derived.items()}},
        "estimate": {"draws": est.draws, "seed": est.seed,
                     "targets": {n: {"mean": s.mean, "exact": s.exact_mean, "p05": s.p05, "p95": s.p95,
                                     "below": s.prob_below_threshold} for n, s in est.targets.items()},
                     "histogram": _histogram(np.asarray(est.kept[node_var(target)]))},
        "sensitivity": [] if sens is None else [
            {"id": r.parameter, "label": r.label, "s1": r.s1, "st": r.st, "break_even": r.break_even,
             "plausible": r.plausible_flip, "at_p05": r.at_p05, "at_p95": r.at_p95} for r in sens.rows],
        "extra": extra or [],
        "size": {"w": max((x for x, _ in pos.values()), default=0) + BOX_W + GAP_X,
                 "h": max((y for _, y in pos.values()), default=0) + BOX_H + GAP_Y,
                 "box_w": BOX_W, "box_h": BOX_H},
    }


def render_page(data: dict[str, Any]) -> str:
    """The HTML text: the template with the data inlined (``</`` escaped inside the script)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return TEMPLATE.read_text(encoding="utf-8").replace("__ARGMAP_DATA__", text).replace(
        "__ARGMAP_TITLE__", _escape(data["title"]))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def write_page(path: Path, amap: ArgumentMap, priors: Priors, *, draws: int = 100_000, seed: int = 0,
               samples: int = 1024, force: bool = False, evidence: list | None = None,
               statements: list | None = None) -> int:
    """Estimate, rank the parameters, and write the page; returns its size in bytes.

    Parameters
    ----------
    path : Path
        The .html file to write (never replaced without ``force``).
    amap, priors
        The map and its priors (from :func:`argmap.select`).
    draws, seed : int
        The estimate's draws and seed.
    samples : int
        Sobol base samples of the sensitivity ranking (exact inference only).
    evidence : list, optional
        Evidence files or entries: their posterior is shown as a table.
    statements : list, optional
        Statements (``NODE < x``) whose implications for each parameter are shown as a table.

    Returns
    -------
    int
        The page's size in bytes.
    """
    from argmap.analyses.estimate import estimate
    from argmap.analyses.sensitivity import sensitivity
    from argmap.files import check_writable, write_atomically

    check_writable(path, ".html", force)
    est = estimate(amap, priors, draws=draws, seed=seed, evidence=())
    if est.inference.method != "exact":
        from argmap.errors import LimitError

        raise LimitError(f"map {amap.id!r} is past the exact method's budget: the page recomputes exact "
                         "probabilities in the browser, so it needs a map within it")
    sens = sensitivity(amap, priors, samples=samples, seed=seed) if priors.uncertain else None
    posterior = estimate(amap, priors, draws=draws, seed=seed, evidence=evidence) if evidence else None
    implied = None
    if statements:
        from argmap.analyses.implied import implied as run_implied

        implied = run_implied(amap, priors, statements, seed=seed)
    text = render_page(page_data(amap, priors, est, sens, extra_sections(amap, posterior, implied)))
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force)
    return len(text.encode("utf-8"))


__all__ = ["layout", "page_data", "render_page", "write_page"]
