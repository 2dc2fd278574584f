"""Plots (presentation only): matplotlib with the headless Agg backend, written as PNG or SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WIDTH_IN, DPI = 9.0, 100


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


FORMATS = (".png", ".svg")


def check_path(path: Path, force: bool) -> None:
    """Refuse a plot path argmap cannot write: another ending, a missing folder, an existing file."""
    from argmap.errors import ArgmapError
    from argmap.files import check_writable

    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ArgmapError(f"{path}: give a file name ending in .png or .svg")
    check_writable(Path(path), suffix, force)


def save(fig: Any, path: Path, force: bool = False) -> None:
    """Write a figure to ``path``, PNG or SVG by its ending, atomically (a failed write leaves no
    partial file). An existing file is replaced only with ``force``, as every other writer of argmap does.
    """
    from argmap.files import write_atomically

    try:
        check_path(path, force)
        kind = Path(path).suffix.lower().lstrip(".")
        write_atomically(Path(path), lambda tmp: fig.savefig(tmp, format=kind, dpi=DPI, bbox_inches="tight"),
                         force)
    finally:
        _pyplot().close(fig)


def _wrap(text: str, width: int = 48) -> str:
    """A label on at most two lines, cut only if it is longer still."""
    import textwrap

    lines = textwrap.wrap(text, width)
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return "\n".join(lines)


def _legend_below(ax: Any, handles: list | None = None) -> None:
    """The legend under the axes, where it covers no bar or curve."""
    kwargs = {"handles": handles} if handles is not None else {}
    ax.legend(**kwargs, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)


def tornado(sens: Any, path: Path, top: int = 15, force: bool = False, label: str | None = None) -> None:
    """One bar per parameter that moves P at all: E[P(target)] with it at its prior's 5th and 95th
    percentile. ``label``: the target's label for the title (default its id)."""
    plt = _pyplot()
    # a bar too short to see is an empty row: parameters that move E[P] by under 2% of the largest
    # swing are counted under the axis instead
    largest = max((r.swing for r in sens.rows), default=0.0)
    moving = [r for r in sens.rows if r.swing > 0.02 * largest]
    rows = sorted(moving, key=lambda r: r.swing, reverse=True)[:top][::-1]
    left_out = len(sens.rows) - len(rows)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.5 * len(rows) + 1.6))
    colours = {True: "#4c72b0", False: "#dd8452"}
    for i, r in enumerate(rows):
        lo, hi = sorted((r.at_p05, r.at_p95))
        ax.barh(i, hi - lo, left=lo, color=colours[r.at_p95 >= r.at_p05], height=0.6)
    ax.set_yticks(range(len(rows)), [_wrap(_row_label(r, width=200)) for r in rows], fontsize=8)
    from matplotlib.patches import Patch

    handles = [Patch(color=colours[True], label="a higher value raises P"),
               Patch(color=colours[False], label="a higher value lowers P")]
    ax.axvline(sens.expected, color="black", lw=1, label=f"E[P] under the priors ({sens.expected:.3g})")
    if getattr(sens, "claim", "below") is not None:
        ax.axvline(sens.threshold, color="crimson", lw=1.2, ls="--", label=f"threshold ({sens.threshold:g})")
    values = [v for r in rows for v in (r.at_p05, r.at_p95)] + [sens.expected]
    if getattr(sens, "claim", "below") is not None:
        values.append(sens.threshold)
    if min(values) > 0:
        ax.set_xscale("log")
        ax.set_xlim(min(values) / 1.3, max(values) * 1.3)  # fitted to the bars and the lines
    more = f"\n({left_out} more parameters move it less, or not at all)" if left_out else ""
    ax.set_xlabel(f"expected P(target), one parameter at its prior's 5th / 95th percentile{more}")
    ax.set_title(f"What moves P({label or sens.target})\nmap {sens.map}, priors {', '.join(sens.priors)}",
                 fontsize=10)
    _legend_below(ax, [*ax.get_legend_handles_labels()[0], *handles])
    fig.tight_layout()
    save(fig, path, force)


def _row_label(row: Any, width: int = 60) -> str:
    """The claim's label, with the condition of a `given` row: 'FT: goal is a separate proxy | not a, b'."""
    if row.parameter == row.node:
        return row.label
    text = f"{row.label} | {row.parameter.split(' | ', 1)[1]}"
    return text if len(text) <= width else text[:width - 1] + "…"


def distribution(est: Any, path: Path, force: bool = False, label: str | None = None) -> None:
    """P(target) over the draws on a log axis, with the threshold, mean and median marked.

    With evidence the prior and the posterior are overlaid. ``label``: the target's label.
    """
    import numpy as np

    plt = _pyplot()
    from argmap.model import node_var

    prior = np.asarray(est.kept[node_var(est.target)])
    series = [("prior", prior, "#4c72b0")]
    if est.posterior is not None:
        post = est.posterior_idata.posterior[node_var(est.target)].values.ravel()
        series.append(("posterior", post, "#dd8452"))
    positive = np.concatenate([x[x > 0] for _, x, _ in series])
    # the axis spans the draws' bulk (0.1% to 99.9%), the means and the threshold: not a stray extreme
    marks = [x.mean() for _, x, _ in series] + ([est.threshold] if getattr(est, "claim", "below") else [])
    lo = max(min([np.quantile(positive, 0.001), *marks]) / 1.5, 1e-12) if positive.size else 1e-6
    hi = min(max([np.quantile(positive, 0.999), *marks]) * 1.5, 1.0) if positive.size else 1.0
    bins = np.geomspace(lo, hi, 80)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 4.8))
    for name, x, colour in series:
        # share of draws per log-spaced bin: a density per unit of log P, which is what a log axis shows
        ax.hist(np.clip(x, lo, hi), bins=bins, weights=np.full(x.size, 1 / x.size), alpha=0.55,
                color=colour, label=name)
        ax.axvline(x.mean(), color=colour, lw=1.5, label=f"{name} mean {x.mean():.3g}")
        ax.axvline(np.median(x), color=colour, lw=1.5, ls=":", label=f"{name} median {np.median(x):.3g}")
    if getattr(est, "claim", "below") is not None:
        ax.axvline(est.threshold, color="crimson", lw=1.5, ls="--", label=f"threshold {est.threshold:g}")
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xlabel(f"P({label or est.target})")
    ax.set_ylabel("share of draws per bin")
    what = "prior and posterior given the evidence" if len(series) > 1 else "over the priors' uncertainty"
    ax.set_title(f"P({label or est.target}), {what}\nmap {est.map}, priors {', '.join(est.priors)}",
                 fontsize=10)
    _legend_below(ax)
    fig.tight_layout()
    save(fig, path, force)


def implied_shifts(imp: Any, amap: Any, path: Path, top: int = 12, force: bool = False) -> None:
    """Prior and implied 90% intervals and means of the parameters the statements move most."""
    plt = _pyplot()
    rows = sorted(imp.parameters.items(), key=lambda kv: -abs(kv[1].shift))[:top][::-1]
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.5 * len(rows) + 1.8))
    for i, (_, v) in enumerate(rows):
        ax.plot([v.prior_p05, v.prior_p95], [i + 0.15] * 2, color="#999999", lw=3)
        ax.plot(v.prior_mean, i + 0.15, "o", color="#666666", ms=5)
        ax.plot([v.implied_p05, v.implied_p95], [i - 0.15] * 2, color="#4c72b0", lw=3)
        ax.plot(v.implied_mean, i - 0.15, "o", color="#4c72b0", ms=5)
    labels = []
    for pid, _ in rows:
        param = amap.parameters[pid]
        label = amap.claims[param.node].label
        if param.condition:
            label += " | " + ", ".join(p if val else f"not {p}" for p, val in param.condition)
        labels.append(_wrap(label))
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_xscale("logit")
    ax.set_xlim(1e-4, 1 - 1e-4)
    ticks = [0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999]
    ax.set_xticks(ticks, [f"{100 * t:g}%" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("probability (logit scale): prior in grey, implied by the statements in blue")
    given = "; ".join(s.describe() for s in imp.statements)
    ax.set_title(f"What {given} implies\nmap {imp.map}, priors {', '.join(imp.priors)}", fontsize=10)
    fig.tight_layout()
    save(fig, path, force)
