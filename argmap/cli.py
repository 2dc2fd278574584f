"""The command line: parse options, call the library, hand the result to render.

Heavy libraries (pymc, arviz, scipy, pydantic) are imported inside the commands, so ``argmap --help``
starts at once. Errors in the user's input end in one ``Error: ...`` line on stderr and exit code 1.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from argmap.errors import ArgmapError

app = typer.Typer(
    help="argmap: probabilistic argument maps. Turns an argument into a DAG of claims with uncertain "
         "probabilities and shows what your beliefs imply for its conclusion.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)



DEBUG = {"on": False}


def _version(value: bool) -> None:
    if value:
        from argmap import __version__

        typer.echo(f"argmap {__version__}")
        raise typer.Exit()


@app.callback()
def _group(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print argmap's version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="On an internal error, print the traceback "
                                                        "(also ARGMAP_DEBUG=1).")] = False,
    width: Annotated[int | None, typer.Option("--width", min=40, max=1000, help="Lay reports out for this "
                                              "many columns (default: the terminal's, or COLUMNS).")] = None,
) -> None:
    """argmap: probabilistic argument maps (see docs/ for the formats and the maths)."""
    import os

    DEBUG["on"] = debug or os.environ.get("ARGMAP_DEBUG", "") not in ("", "0")
    WIDTH["columns"] = width
    from argmap import model

    model.PROCESS_HOOK = own_the_process
    model.COMPILED_HOOK = release_compile_lock


# --- What argmap does to its own process, as a program (never as a library) -------------------------

def own_the_process(purpose: str) -> None:
    """Choose PyTensor's compile cache for this run, quiet its logging, import PyMC, speed up start-up.

    Only runs that use NUTS compile anything (forward draws are numpy arrays), into argmap's own cache
    directory, apart from any other PyTensor user's. Only possible before PyTensor's first import, and
    never over a compile directory the user chose in PYTENSOR_FLAGS.
    """
    import logging
    import os
    import warnings

    from argmap.model import cache_dir, quiet_imports

    if "pytensor" not in sys.modules:
        flags = os.environ.get("PYTENSOR_FLAGS", "")
        if "compiledir" not in flags:
            base = cache_dir() / f"pytensor-{purpose}"
            os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"base_compiledir={base}"]))
    hold_compile_lock(purpose)
    for name in ("pytensor.tensor.blas", "pytensor", "pymc"):  # argmap reports its own diagnostics
        logging.getLogger(name).setLevel(logging.ERROR)
    # raised at the first compilation that could use BLAS; nothing argmap compiles needs it
    warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS", category=UserWarning)
    quiet_imports()
    # PyMC sets its logger to INFO when it is imported: quiet it again afterwards
    for name in ("pytensor.tensor.blas", "pytensor", "pymc"):
        logging.getLogger(name).setLevel(logging.ERROR)
    _fast_ext_suffix()
    _cached_march_flags()


_LOCK: dict[str, Any] = {}


def hold_compile_lock(purpose: str) -> None:
    """Take argmap's own lock on a compile cache before PyTensor touches it.

    Several argmap processes started together on an empty cache would all compile the same modules,
    and PyTensor's own lock makes the later ones wait and then give up with a traceback. So each
    process holds this lock until its functions are compiled (``release_compile_lock``), and a process
    that has to wait says so. One lock per process and cache; a platform without ``fcntl`` skips it.
    """
    if _LOCK:
        return
    try:
        import fcntl
    except ImportError:
        return
    from argmap.model import cache_dir

    path = cache_dir() / f"pytensor-{purpose}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - held until the compile is done
    except OSError:
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        typer.echo("argmap: waiting for another argmap to finish compiling into the same cache ...",
                   err=True)
        fcntl.flock(handle, fcntl.LOCK_EX)
    _LOCK["handle"], _LOCK["purpose"] = handle, purpose


def release_compile_lock(stage: str) -> None:
    """Let the next argmap process compile, once this run's compile for its cache's purpose is done."""
    if _LOCK.get("purpose") not in (None, stage):
        return
    handle = _LOCK.pop("handle", None)
    if handle is not None:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
    _LOCK["done"] = True  # this process has compiled: it never takes the lock again


def _fast_ext_suffix() -> None:
    """Let PyTensor read the extension-module suffix from the standard library.

    Before loading its first compiled module in a process, PyTensor imports all of setuptools
    (0.25 s) only to read ``EXT_SUFFIX``, which ``sysconfig`` gives directly.
    """
    import sysconfig

    from pytensor.link.c import cmodule

    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if suffix and callable(getattr(cmodule, "_get_ext_suffix", None)):
        cmodule._get_ext_suffix = lambda: suffix


def _cached_march_flags() -> None:
    """Reuse PyTensor's detection of g++'s -march=native flags across runs on this machine.

    PyTensor runs ``g++ -march=native -E -v`` in every new process before its first C compilation
    (0.25 s). The answer depends only on the compiler and the CPU, so it is cached under
    ~/.cache/argmap keyed by both and by the host; a cache that cannot be read or written is skipped
    and PyTensor detects the flags itself.
    """
    import hashlib
    import json
    import os
    import platform
    from pathlib import Path as _Path

    from pytensor.configdefaults import config
    from pytensor.link.c.cmodule import GCC_compiler

    from argmap.model import cache_dir

    if GCC_compiler.march_flags is not None or "-march" in config.gcc__cxxflags:
        return
    cpuinfo = _Path("/proc/cpuinfo")
    cpu = cpuinfo.read_text() if cpuinfo.exists() else platform.processor()
    cpu_lines = sorted({ln for ln in cpu.splitlines() if ln.startswith(("model name", "flags"))})
    key = hashlib.sha256("\n".join([GCC_compiler.version_str(), platform.node(), *cpu_lines])
                         .encode()).hexdigest()[:16]
    cache = cache_dir() / "march.json"
    try:
        known = json.loads(cache.read_text()) if cache.is_file() else {}
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), list):
        GCC_compiler.march_flags = [str(f) for f in known[key]]
        return
    GCC_compiler.compile_args()  # detects and sets GCC_compiler.march_flags
    if GCC_compiler.march_flags is not None:
        known = known if isinstance(known, dict) else {}
        known[key] = list(GCC_compiler.march_flags)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(known))
            tmp.replace(cache)
        except OSError:
            pass


MapOpt = Annotated[str | None, typer.Option("--map", "-m", help="A shipped map name or a map file. "
                                            "Default: the priors file's map, else deceptive-alignment.")]
PriorsOpt = Annotated[list[str] | None, typer.Option(
    "--priors", "-p", help="A shipped priors name or a priors file; repeat to layer files (later ones "
                           "override earlier ones). Default: the map's own priors "
                           "(wheaton for the deceptive-alignment maps).")]
TargetOpt = Annotated[str | None, typer.Option("--target", "-t", help="The node to estimate. "
                                               "Default: the map's target.")]
def parse_probability(text: str) -> float:
    """A probability as people type it: 0.01, 1%, 1e-2."""
    from argmap.priors import typed_number

    value = typed_number(str(text))
    if value is None:
        raise typer.BadParameter(f"{str(text).strip()!r} is not a probability; write 0.01 or 1%")
    return value


def parse_count(text: str) -> int:
    """A whole number as people type it: 100000, 100_000, 100,000, 1e5."""
    import re

    raw = str(text).strip().replace("_", "")
    if "," in raw:  # only as a thousands separator: 100,000 (1,5 is not a count)
        if not re.fullmatch(r"\d{1,3}(,\d{3})+", raw):
            raise typer.BadParameter(f"{text!r} is not a whole number; write 100000, 100,000 or 1e5")
        raw = raw.replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a whole number; write 100000 or 1e5") from None
    if not value.is_integer():
        raise typer.BadParameter(f"{text!r} is not a whole number")
    return int(value)


def _open_unit(value: float | None) -> float | None:
    """A threshold strictly between 0 and 1, checked before any work (a usage error, exit 2)."""
    if value is not None and not 0 < value < 1:
        raise typer.BadParameter(f"{value:g} must lie strictly between 0 and 1, e.g. 0.01 or 1%")
    return value


def _draws(value: int) -> int:
    if not 100 <= value <= 10_000_000:
        raise typer.BadParameter(f"{value:,} is not in the range 100 to 10,000,000")
    return value


ThresholdOpt = Annotated[float | None, typer.Option(parser=parse_probability, callback=_open_unit, metavar="P",
                                                    help="The threshold of the claim under test (0.01 or 1%). "
                                                         "Default: the map's.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Also write a chart to this file (.png or .svg).",
                                              dir_okay=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="Let --plot replace an existing file.")]


def check_plot(plot: Path | None, force: bool) -> None:
    """Refuse a --plot path before any work is done (wrong ending, missing folder, existing file)."""
    if plot is not None:
        from argmap.plots import check_path

        check_path(plot, force)


def wrote(path: Path, what: str = "") -> None:
    """The line that says a file was written (stderr, so that stdout stays the report or the JSON)."""
    typer.echo(f"wrote {path}{what}", err=True)


def fail(message: str) -> None:
    """Print one ``Error: ...`` line on stderr and exit 1."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


WIDTH: dict[str, int | None] = {"columns": None}  # --width, set by the group's callback


def console():  # noqa: ANN201 - rich is imported only when something is printed
    """A rich console on stdout (width from the terminal, or COLUMNS, else 100)."""
    import os

    from rich.console import Console

    width = WIDTH["columns"] or (None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 100)
    return Console(width=width, highlight=False)


def load_evidence(names: list[str] | None) -> list:
    """Every ``--evidence`` file, loaded and validated, in order."""
    from argmap.evidence import load_evidence_document

    return [load_evidence_document(name) for name in names or []]


def parse_kappa_option(text: str | None):  # noqa: ANN201
    """``--kappa``: a positive number, ``inf``, or ``LO:HI`` (a log-normal kappa with that 90% range)."""
    if text is None:
        return None
    from argmap.evidence import parse_kappa

    raw: object = text
    if ":" in text:
        try:
            raw = {"ci90": [float(v) for v in text.split(":")]}
        except ValueError:
            raw = text
    else:
        try:
            raw = float(text)
        except ValueError:
            raw = text
    return parse_kappa(raw, "--kappa")


@contextmanager
def progress_bar(label: str, enabled: bool):  # noqa: ANN201
    """A rich progress bar on stderr when it is a terminal; yields a callback taking 0..1."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=1.0)
        yield lambda done: bar.update(task, completed=done)


def select(map_name: str | None, priors_names: list[str] | None):  # noqa: ANN201
    """The selected map and layered priors (argmap.selection, shared with the Python API)."""
    from argmap.selection import select as library_select

    return library_select(map_name, priors_names)


@app.command()
def estimate(
    map_name: MapOpt = None,
    priors: PriorsOpt = None,
    target: TargetOpt = None,
    threshold: ThresholdOpt = None,
    evidence: Annotated[list[str] | None, typer.Option(
        "--evidence", "-e", help="An evidence file (a shipped name in priors/evidence or a path); "
                                 "repeatable. Entries in priors files count too.")] = None,
    kappa: Annotated[str | None, typer.Option(
        help="With evidence: how much today's models tell about the first TAI, for every claim the "
             "evidence bears on: a number, 'inf' (each observed model a draw of the first TAI), or "
             "LO:HI (a log-normal with that 90% range). Default: each file's, else 2:100.")] = None,
    nuts: Annotated[bool, typer.Option(help="With evidence: sample the posterior with NUTS even where "
                                            "reweighting the prior draws is reliable.")] = False,
    draws: Annotated[int, typer.Option(parser=parse_count, callback=_draws, metavar="N",
                                       help="Parameter draws from the priors, 100 to 10,000,000 (1e5 or 100,000 "
                                            "work too).")] = 100_000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed: the same seed gives the same output.")] = 0,
    chains: Annotated[int, typer.Option(help="With evidence: NUTS chains.")] = 2,
    tune: Annotated[int, typer.Option(help="With evidence: NUTS tuning steps per chain.")] = 1000,
    posterior_draws: Annotated[int, typer.Option(help="With evidence: NUTS draws per chain.")] = 1000,
    save: Annotated[Path | None, typer.Option(help="Write the arviz InferenceData (prior and, with "
                                                   "evidence, posterior groups) to this .nc file.",
                                              dir_okay=False)] = None,
    force: Annotated[bool, typer.Option(help="Let --save and --plot replace existing files.")] = False,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    watch: Annotated[bool, typer.Option(help="Keep running: redraw the report whenever the map or "
                                              "priors files change on disk (Ctrl-C to stop).")] = False,
) -> None:
    """Estimate P(target): its distribution over your priors' uncertainty, and every claim's.

    With evidence, the posterior is shown beside the prior: the prior draws reweighted (Pareto-smoothed
    importance sampling) where that is reliable, NUTS otherwise.
    """
    from argmap.analyses.estimate import check_draws
    from argmap.analyses.estimate import estimate as run
    from argmap.files import check_writable, write_atomically
    from argmap.render import estimate_json, estimate_report

    if watch and (as_json or save is not None or plot is not None):
        raise typer.BadParameter("--watch redraws the report on screen; it does not combine with "
                                 "--json, --save or --plot", param_hint="--watch")
    try:
        check_draws(draws)
        if watch:
            from argmap.watch import Watcher, run as watch_loop

            out = console()
            watcher = Watcher(map_name, priors, width=out.width, color_system=out.color_system,
                               evidence_names=evidence or (), target=target, threshold=threshold,
                               draws=draws, seed=seed, kappa=parse_kappa_option(kappa),
                               method="nuts" if nuts else "auto", chains=chains, tune=tune,
                               posterior_draws=posterior_draws)
            try:
                watch_loop(watcher, out)
            except _Interrupted:  # Ctrl-C is how a watch ends: a clean exit, the last report on screen
                pass
            return
        if save is not None:
            check_writable(save, ".nc", force)
        check_plot(plot, force)
        amap, pri = select(map_name, priors)
        extra = load_evidence(evidence)
        result = run(amap, pri, target=target, threshold=threshold, draws=draws, seed=seed,
                     evidence=list(pri.evidence) + extra, chains=chains, tune=tune,
                     posterior_draws=posterior_draws, kappa=parse_kappa_option(kappa),
                     method="nuts" if nuts else "auto",
                     progressbar=not as_json and sys.stderr.isatty())
        if save is not None:
            write_atomically(save, lambda tmp: result.idata.to_netcdf(str(tmp)), force)
            kept = (f": every draw ({result.draws:,})" if result.node_sample == result.draws else
                    f": the first {result.node_sample:,} of the {result.draws:,} draws of each variable "
                    "(the memory budget's limit)")
            wrote(save, kept)
        if plot is not None:
            from argmap.plots import distribution

            distribution(result, plot, force, label=amap.claims[result.target].label)
            wrote(plot)
    except ArgmapError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(estimate_json(result, amap, pri))
    else:
        estimate_report(result, amap, console(), pri)


@app.command()
def sensitivity(
    map_name: MapOpt = None,
    priors: PriorsOpt = None,
    target: TargetOpt = None,
    threshold: ThresholdOpt = None,
    samples: Annotated[int, typer.Option(parser=parse_count, metavar="N", help="Base samples of the Sobol design (rounded up to a "
                                              "power of two; the design has N (D + 2) rows).")] = 8192,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the Sobol design and its bootstrap.")] = 0,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    force: ForceOpt = False,
    show_all: Annotated[bool, typer.Option("--all", help="List every parameter, also those whose Sobol "
                                                         "indices are indistinguishable from zero.")] = False,
) -> None:
    """Which claims the verdict hangs on, and how far each must move to flip it."""
    from argmap.analyses.sensitivity import sensitivity as run
    from argmap.render import sensitivity_json, sensitivity_report

    try:
        check_plot(plot, force)
        amap, pri = select(map_name, priors)
        with progress_bar("Sobol indices", enabled=not as_json) as tick:
            result = run(amap, pri, target=target, threshold=threshold, samples=samples, seed=seed,
                         progress=tick)
        if plot is not None:
            from argmap.plots import tornado

            tornado(result, plot, force=force, label=amap.claims[result.target].label)
            wrote(plot)
    except ArgmapError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(sensitivity_json(result))
    else:
        sensitivity_report(result, amap, console(), show_all=show_all)


@app.command()
def implied(
    map_name: MapOpt = None,
    priors: PriorsOpt = None,
    given: Annotated[list[str] | None, typer.Option(
        "--given", "-g", help="A statement about a derived claim: 'NODE < x', 'NODE > x', "
                              "'NODE in [lo, hi]' or 'NODE ~ v ± sd' (numbers as 0.01 or 1%); repeatable. "
                              "Without --given, the priors files' [[statement]]s are used.")] = None,
    draws: Annotated[int, typer.Option(parser=parse_count, metavar="N",
                                       help="Prior draws for the importance-sampling path.")] = 500_000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed: the same seed gives the same output.")] = 0,
    nuts: Annotated[bool, typer.Option("--nuts", help="Sample with NUTS even when the fast path "
                                                      "would do.")] = False,
    chains: Annotated[int, typer.Option(help="With NUTS: chains.")] = 2,
    tune: Annotated[int, typer.Option(help="With NUTS: tuning steps per chain.")] = 1000,
    posterior_draws: Annotated[int, typer.Option(help="With NUTS: draws per chain.")] = 1000,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
    force: ForceOpt = False,
) -> None:
    """What statements about derived claims imply for each step: the priors conditioned on them."""
    from argmap.analyses.implied import implied as run
    from argmap.analyses.implied import parse_given
    from argmap.render import implied_json, implied_report

    try:
        check_plot(plot, force)
        statements = [parse_given(g) for g in given or []]
        amap, pri = select(map_name, priors)
        result = run(amap, pri, statements or list(pri.statements), draws=draws, seed=seed, nuts=nuts,
                     chains=chains, tune=tune, posterior_draws=posterior_draws,
                     progressbar=not as_json and sys.stderr.isatty())
        if plot is not None:
            from argmap.plots import implied_shifts

            implied_shifts(result, amap, plot, force=force)
            wrote(plot)
    except ArgmapError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(implied_json(result))
    else:
        implied_report(result, amap, console())


@app.command()
def show(
    map_name: MapOpt = None,
    priors: PriorsOpt = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="The claim at the top of the tree. "
                                               "Default: the map's last headline target.")] = None,
    draws: Annotated[int, typer.Option(parser=parse_count, metavar="N",
                                       help="Parameter draws for the intervals.")] = 100_000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
) -> None:
    """The argument as a tree: each claim, how it combines the claims below it, and its probability."""
    from argmap.analyses.estimate import check_draws
    from argmap.analyses.estimate import estimate as run
    from argmap.render import show_tree

    try:
        check_draws(draws)
        amap, pri = select(map_name, priors)
        if target is not None:
            amap.check_node(target)
        roots = [target] if target else [amap.targets[-1]]
        result = run(amap, pri, draws=draws, seed=seed, evidence=())
    except ArgmapError as exc:
        fail(str(exc))
    show_tree(result, amap, console(), roots)


@app.command()
def graph(
    map_name: MapOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="mermaid (renders on GitHub) or dot "
                                                            "(Graphviz).")] = "mermaid",
) -> None:
    """The map as a Mermaid flowchart or a Graphviz DOT graph, on stdout."""
    from argmap.graph import to_dot, to_mermaid
    from argmap.maps import load_map
    from argmap.selection import DEFAULT_MAP

    formats = {"mermaid": to_mermaid, "dot": to_dot}
    try:
        if fmt not in formats:
            raise ArgmapError(f"--format {fmt!r}: choose mermaid or dot")
        amap = load_map(map_name or DEFAULT_MAP)
    except ArgmapError as exc:
        fail(str(exc))
    typer.echo(formats[fmt](amap), nl=False)


def select_each(map_name: str | None, names: list[str]):  # noqa: ANN201
    """One map and one Priors per file (argmap.selection): for compare, cruxes and pool."""
    from argmap.selection import select_each as library_select_each

    return library_select_each(map_name, names)


FilesArg = Annotated[list[str], typer.Argument(help="Priors files: shipped names or paths.")]


@app.command()
def compare(
    priors: FilesArg,
    map_name: MapOpt = None,
    target: TargetOpt = None,
    threshold: ThresholdOpt = None,
    draws: Annotated[int, typer.Option(min=100, max=10_000_000, help="Parameter draws per file.")] = 100_000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Several priors files side by side: their estimates and where their beliefs differ most."""
    from argmap.analyses.compare import compare as run
    from argmap.analyses.estimate import check_draws
    from argmap.render import comparison_json, comparison_report

    try:
        check_draws(draws)
        amap, pri = select_each(map_name, priors)
        result = run(amap, pri, target=target, threshold=threshold, draws=draws, seed=seed)
    except ArgmapError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(comparison_json(result))
    else:
        comparison_report(result, amap, console())


@app.command()
def cruxes(
    priors: FilesArg,
    map_name: MapOpt = None,
    target: TargetOpt = None,
    permutations: Annotated[int, typer.Option(help="Kept for scripts: Shapley values are now exact for "
                                                   "any number of parameters (Owen's formula).")] = 2000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the sampled orderings.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Which claims a disagreement between two priors files comes down to (Shapley values)."""
    from argmap.analyses.compare import cruxes as run
    from argmap.render import cruxes_json, cruxes_report

    try:
        if len(priors) != 2:
            raise ArgmapError(f"cruxes takes exactly two priors files, not {len(priors)}")
        amap, (a, b) = select_each(map_name, priors)
        result = run(amap, a, b, target=target, permutations=permutations, seed=seed)
    except ArgmapError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(cruxes_json(result))
    else:
        cruxes_report(result, console())


@app.command()
def pool(
    priors: FilesArg,
    method: Annotated[str, typer.Option(help="linear (a mixture) or logarithmic (a weighted "
                                             "geometric mean of the densities).")],
    output: Annotated[Path, typer.Option(help="The priors file to write.", dir_okay=False)],
    weights: Annotated[str | None, typer.Option(help="Comma-separated weights, one per file "
                                                     "(default equal).")] = None,
    map_name: MapOpt = None,
    force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Pool several priors files into one new priors file."""
    import json

    from argmap.analyses.compare import pool as run
    from argmap.files import check_writable, write_atomically
    from argmap.render import pooled_toml

    try:
        check_writable(output, ".toml", force)
        ws = None
        if weights is not None:
            try:
                ws = [float(w) for w in weights.split(",")]
            except ValueError:
                raise ArgmapError(f"--weights {weights!r}: give numbers separated by commas") from None
        amap, pri = select_each(map_name, priors)
        pooled = run(amap, pri, method, ws)
        names = [p.names[-1] for p in pri]
        norm = [w / sum(ws) for w in ws] if ws else [1 / len(pri)] * len(pri)
        text = pooled_toml(pooled, amap, names, method, norm, output.stem)
        write_atomically(output, lambda tmp: tmp.write_text(text, encoding="utf-8"), force)
    except ArgmapError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"output": str(output), "method": method, "weights": norm,
                               "parameters": len(pooled)}))
    else:
        typer.echo(f"Wrote {output}: {len(pooled)} parameters, {method} pool of {', '.join(names)}.")


priors_app = typer.Typer(help="Write and check priors files.", no_args_is_help=True)
app.add_typer(priors_app, name="priors")


@app.command()
def page(
    output: Annotated[Path, typer.Argument(help="The HTML file to write.", dir_okay=False)],
    map_name: MapOpt = None,
    priors: PriorsOpt = None,
    draws: Annotated[int, typer.Option(parser=parse_count, callback=_draws, metavar="N",
                                       help="Parameter draws for the intervals and the chart.")] = 100_000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
    evidence: Annotated[list[str] | None, typer.Option(
        "--evidence", "-e", help="Also show the posterior given this evidence file (repeatable).")] = None,
    given: Annotated[list[str] | None, typer.Option(
        "--given", help="Also show what a statement such as 'NODE < 1%' implies (repeatable).")] = None,
) -> None:
    """Write one self-contained HTML page to share a map: the graph, the estimate and sliders."""
    from argmap.page import write_page

    try:
        amap, pri = select(map_name, priors)
        statements = None
        if given:
            from argmap.analyses.implied import parse_given

            statements = [parse_given(g) for g in given]
        extra = load_evidence(evidence)
        size = write_page(output, amap, pri, draws=draws, seed=seed, force=force,
                          evidence=(list(pri.evidence) + extra) or None, statements=statements)
    except ArgmapError as exc:
        fail(str(exc))
    wrote(output, f": {size / 1024:.0f} kB, opens with no network")


STARTER_MAP = """\
# A starter map written by `argmap new`: replace the example with the argument you are mapping.
# Each [[node]] is a claim that is true or false; formats: docs/formats.md; a walk-through:
# docs/tutorial.md. `argmap check` this file after each edit; then `argmap priors init` writes a priors
# file with a "?" for every probability to fill in.
id = "{map_id}"
title = "An example argument: the plan succeeds"
source = "Where the argument comes from: the post or paper, with its address"
target = "plan_succeeds"           # the claim whose probability the argument is about
threshold = 0.5
claim = "above"                    # what the argument claims: P(target) > 50%; "below", or "none"

# Premises: claims with no parents, each with one uncertain probability.
[[node]]
id = "funding_arrives"
claim = "The funding arrives on time."
short = "Funding on time"
section = "where the source argues it"

[[node]]
id = "team_stays"
claim = "The core team stays for the whole project."
short = "Team stays"

# A claim that depends on another: one probability for each case of its parents (`given`).
[[node]]
id = "prototype_works"
claim = "The prototype works at the first full test."
short = "Prototype works"
given = ["funding_arrives"]

# The target holds only if all of these hold, and even then only with a chance of its own
# (`chance = true` adds one probability); `any` instead of `all` needs only one of them.
[[node]]
id = "plan_succeeds"
claim = "The plan succeeds."
short = "Plan succeeds"
all = ["prototype_works", "team_stays"]
chance = true
"""


@app.command()
def new(
    output: Annotated[Path, typer.Argument(help="The map file to create (.toml).", dir_okay=False)],
    force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Write a commented starter map to edit into your own argument."""
    import re

    from argmap.files import check_writable, write_atomically

    map_id = re.sub(r"[^a-z0-9]+", "-", output.stem.lower()).strip("-") or "my-argument"
    if not map_id[0].isalnum():
        map_id = "my-argument"
    try:
        check_writable(output, ".toml", force)
        write_atomically(output, lambda tmp: tmp.write_text(STARTER_MAP.format(map_id=map_id), encoding="utf-8"),
                         force)
    except ArgmapError as exc:
        fail(str(exc))
    typer.echo(f"Wrote {output}: a starter map (id {map_id!r}) with premises, a given node, an all with a "
               "chance and a target; edit it, then argmap check it.")


@app.command()
def check(
    path: Annotated[str, typer.Argument(help="A map, priors or evidence file.")],
    map_name: MapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a map, priors or evidence file: what it holds, or every problem found in it."""
    import json

    from argmap.checking import check_file

    result = check_file(path, map_name)
    if as_json:
        typer.echo(json.dumps({"path": result.path, "kind": result.kind, "valid": result.valid,
                               "problems": list(result.problems), "facts": dict(result.facts)}, indent=2))
        if not result.valid:
            raise typer.Exit(1)
        return
    if not result.valid:
        if len(result.problems) > 1:
            for problem in result.problems:
                typer.echo(f"- {problem}")
        fail(f"{path}: {len(result.problems)} problem(s)" + ("; listed above" if len(result.problems) > 1
                                                            else f": {result.problems[0]}"))
    out = console()
    out.print(f"[green]✓[/] {path}: a valid {result.kind} file", highlight=False)
    for what, value in result.facts:
        out.print(f"  {what}: {value}", highlight=False)


def _starting_priors(map_name: str | None, start: str | None):  # noqa: ANN202
    """The map, and the priors to start from: --from, else the map's own, else wheaton for a shipped
    map, else none. Partial files are fine: what they lack becomes a placeholder to fill."""
    from argmap.priors import load_priors_file
    from argmap.selection import load_files

    amap, _ = load_files(map_name, [start] if start else [])
    name = start or amap.default_priors or ("wheaton" if amap.shipped else None)
    if name is None:
        return amap, {}, ()
    base = amap.path.parent if (amap.default_priors and not start and amap.path) else None
    f = load_priors_file(name, base)
    return amap, {pid: p for pid, p in f.entries.items() if pid in amap.parameters}, (f.name,)


def _write_priors(output: Path, amap, start: dict, names: tuple, force: bool,  # noqa: ANN001
                  answers: dict | None = None) -> tuple[int, int]:
    """Write a priors file for every parameter of ``amap``: the answers given, else the starting prior,
    else a placeholder "?" to fill. Returns (parameters, placeholders)."""
    from argmap.files import check_writable, write_atomically
    from argmap.priors import PLACEHOLDER
    from argmap.render import prior_entry, priors_file_text, toml_string

    check_writable(output, ".toml", force)
    entries, holes = [], 0
    for pid in amap.parameters:
        claim = amap.claims[amap.parameters[pid].node]
        comment = f"{amap.parameters[pid].describe()}: {claim.claim}"
        prior = (answers or {}).get(pid, start.get(pid))
        if prior is None:
            holes += 1
            comment += ("\n# FILL IN: a phrase (\"likely\"), a probability (0.3), { ci90 = [0.1, 0.4] } or "
                        "{ beta = [2, 5] }, each with why = \"...\"")
            entries.append((pid, toml_string(PLACEHOLDER), comment))
        else:
            entries.append((pid, prior_entry(prior), comment))
    source = ", ".join(names) if names else "nothing (every prior is a placeholder)"
    how = "answers given to argmap elicit" if answers else f"argmap priors init, starting from {source}"
    header = [f"Written by {how}.", "Edit any entry; formats: docs/formats.md."]
    if holes:
        header.append(f'{holes} entr{"y is" if holes == 1 else "ies are"} "?": fill each in before '
                      "argmap estimate will use this file.")
    import os

    # a map file is named by its path from the priors file's folder (paths in a file are the file's)
    where = amap.id if amap.shipped or amap.path is None else os.path.relpath(amap.path, output.resolve().parent)
    text = priors_file_text(header, output.stem, f"My priors, starting from {source}.", where, entries)
    write_atomically(output, lambda tmp: tmp.write_text(text, encoding="utf-8"), force)
    return len(entries), holes


FromOpt = Annotated[str | None, typer.Option("--from", help="The priors file to start from (shipped name "
                                                  "or path). Default: the map's own priors.")]


@priors_app.command("init")
def priors_init(
    output: Annotated[Path, typer.Argument(help="The priors file to create (.toml).", dir_okay=False)],
    start: FromOpt = None,
    map_name: MapOpt = None,
    force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Create a priors file listing every parameter of a map, to edit (never overwrites without --force).

    Parameters the starting file has are copied; the others are written as "?" placeholders to fill,
    which argmap estimate refuses, naming each, until they are filled.
    """
    try:
        amap, start_entries, names = _starting_priors(map_name, start)
        n, holes = _write_priors(output, amap, start_entries, names, force)
    except ArgmapError as exc:
        fail(str(exc))
    fill = f"; {holes} placeholder(s) \"?\" to fill in" if holes else ""
    source = ", ".join(names) if names else "no priors file"
    typer.echo(f"Wrote {output}: {n} parameters of map {amap.id}, starting from {source}{fill}.")


@priors_app.command("check")
def priors_check(
    path: Annotated[str, typer.Argument(help="A priors file (or a shipped name).")],
    map_name: MapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a priors file against a map and list what every parameter's prior is."""
    import json

    from argmap.render import priors_table

    try:
        amap, pri = select(map_name, [path])
    except ArgmapError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"map": amap.id, "priors": list(pri.names), "valid": True,
                               "parameters": {k: {"spec": p.spec, "mean": p.mean, "why": p.why}
                                              for k, p in pri.entries.items()},
                               "evidence": [e.id for e in pri.evidence]}, indent=2))
        return
    out = console()
    priors_table(pri, amap, out)
    out.print(f"[green]✓[/] {path}: valid for map {amap.id}; {len(pri.uncertain)} uncertain and "
              f"{len(pri.entries) - len(pri.uncertain)} fixed parameters, {len(pri.evidence)} evidence "
              "entries.", highlight=False)


@app.command()
def elicit(
    output: Annotated[Path, typer.Argument(help="The priors file to write (.toml).", dir_okay=False)],
    start: FromOpt = None,
    map_name: MapOpt = None,
    force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Ask for your belief about each claim, one at a time, and write them as a priors file.

    Answer with a phrase ('very unlikely'), a probability (0.2 or 20%, then how sure you are), a 90%
    interval (0.05-0.4 or 5%-40%), a Beta (beta(2, 5)); Enter keeps the starting prior, 'back' returns
    to the previous claim. Each answer is echoed as the prior it became.
    """
    import dataclasses

    from argmap.files import check_writable
    from argmap.priors import parse_prior

    try:
        check_writable(output, ".toml", force)
        amap, start_entries, names = _starting_priors(map_name, start)
    except ArgmapError as exc:
        fail(str(exc))
    answers: dict = {}
    items = [(pid, start_entries.get(pid)) for pid in amap.parameters]
    i = 0
    try:
        while i < len(items):
            pid, prior = items[i]
            param = amap.parameters[pid]
            typer.echo(f"\n[{i + 1}/{len(items)}] {param.describe()}")
            typer.echo(f"  {amap.claims[param.node].claim}")
            now = answers.get(pid, prior)
            typer.echo(f"  now: {_shape(now)}" if now is not None else "  now: nothing yet (Enter leaves a \"?\" "
                       "to fill in later)")
            raw = typer.prompt("  your belief", default="", show_default=False).strip()
            if raw.lower() in ("back", "b", "<"):
                i = max(0, i - 1)
                continue
            if not raw:
                i += 1
                continue
            try:
                entry = _answer(raw)
                if isinstance(entry, float):  # one number: how sure is the user of it?
                    entry, raw = _how_sure(entry, raw)
                answer = dataclasses.replace(parse_prior(pid, entry, "your answer"), why=f"elicited: {raw}")
            except ArgmapError as exc:
                typer.echo(f"  {exc}; try again (a phrase, 20%, 0.05-0.4, beta(2, 5), or 'back')")
                continue
            answers[pid] = answer
            typer.echo(f"  → {_shape(answer)}")
            i += 1
    except typer.Abort:
        fail("elicit stopped before the last claim (no more answers on standard input); nothing written")
    try:
        n, holes = _write_priors(output, amap, start_entries, names, force, answers)
    except ArgmapError as exc:
        fail(str(exc))
    fill = f", {holes} placeholder(s) \"?\" still to fill" if holes else ""
    typer.echo(f"\nWrote {output}: {n} parameters, {len(answers)} from your answers{fill}.")


def _shape(prior) -> str:  # noqa: ANN001
    """A prior in words: its spec, mean and 90% interval (or that it is a fixed value)."""
    if prior.fixed:
        return f"{prior.spec} (a fixed value: no uncertainty)"
    return (f"{prior.spec}: Beta({prior.a:.3g}, {prior.b:.3g}), mean {prior.mean:.3g}, "
            f"90% in [{prior.ppf(0.05):.3g}, {prior.ppf(0.95):.3g}]")


def _how_sure(value: float, raw: str) -> tuple[object, str]:
    """After a bare probability: a 90% interval around it (a Beta is fitted), or 'exact' to fix it."""
    from argmap.errors import PriorsError

    while True:
        sure = typer.prompt(f"  how sure of {raw}? a 90% interval around it (like 0.1-0.3 or 10%-30%), "
                            "or 'exact'", default="", show_default=False).strip()
        if sure.lower() in ("exact", "fixed", "certain"):
            return value, f"{raw}, exact"
        interval = _answer(sure) if sure else None
        if isinstance(interval, dict) and "ci90" in interval:
            lo, hi = interval["ci90"]
            if lo <= value <= hi:
                return interval, f"{raw}, 90% in {sure}"
            typer.echo(f"  {sure} does not contain {raw}; give an interval around it")
            continue
        if not sure:
            raise PriorsError("a single number has no uncertainty: give a 90% interval around it, or "
                              "'exact' if you are certain")
        typer.echo("  give an interval like 0.1-0.3 (or 10%-30%), or 'exact'")


def _answer(raw: str) -> object:
    """An elicitation answer as a prior entry: a probability (0.2, 20%), an interval (lo-hi, lo to hi,
    in either form), a Beta (beta(a, b)) or a phrase of either lexicon."""
    import re

    from argmap.priors import typed_number as number

    single = number(raw)
    if single is not None:
        return single
    m = re.fullmatch(r"\s*([0-9.eE+]+%?)\s*(?:-|–|to)\s*([0-9.eE+]+%?)\s*", raw)
    if m:
        lo, hi = m.group(1), m.group(2)
        if lo.endswith("%") != hi.endswith("%"):  # 5-40%: both ends are percentages
            lo, hi = lo.rstrip("%") + "%", hi.rstrip("%") + "%"
        if number(lo) is not None and number(hi) is not None:
            return {"ci90": [number(lo), number(hi)]}
    m = re.fullmatch(r"\s*beta\s*\(\s*([0-9.eE+]+)\s*,\s*([0-9.eE+]+)\s*\)\s*", raw, re.I)
    if m and number(m.group(1)) is not None and number(m.group(2)) is not None:
        return {"beta": [number(m.group(1)), number(m.group(2))]}
    for lexicon in ("ipcc", "survey"):
        from argmap.lexicons import load_lexicon, normalise

        if normalise(raw) in load_lexicon(lexicon).readings:
            return {"phrase": raw, "lexicon": lexicon}
    return raw


class _Interrupted(BaseException):
    """Ctrl-C, raised past typer's own handling so that the program can exit 130."""


class _Terminated(BaseException):
    """SIGTERM, raised so that files being written are cleaned up and the program exits 143."""


def main() -> None:
    """Entry point of the ``argmap`` script: the one error boundary.

    An ArgmapError is reported by the command itself (one ``Error:`` line, exit 1) and usage errors by
    typer (exit 2). Anything else ends in one line and exit 3, with the traceback only under --debug or
    ARGMAP_DEBUG=1; Ctrl-C ends in one line and exit 130.
    """
    import os
    import signal

    from argmap.files import defer_while_writing

    def interrupted(signum: int, frame: object) -> None:
        if not defer_while_writing(_Interrupted()):  # a file being written is finished, then removed
            raise _Interrupted()

    def terminated(signum: int, frame: object) -> None:
        if not defer_while_writing(_Terminated()):
            raise _Terminated()

    signal.signal(signal.SIGINT, interrupted)  # the program owns its process: typer would exit 1
    # SIGTERM too ends through the same path, so a file being written is removed, not left half-done
    signal.signal(signal.SIGTERM, terminated)
    try:
        app()
    except (_Interrupted, KeyboardInterrupt):
        typer.echo("Error: interrupted (Ctrl-C); no file was written", err=True)
        raise SystemExit(130) from None
    except _Terminated:
        typer.echo("Error: terminated (SIGTERM); no file was written", err=True)
        raise SystemExit(143) from None
    except Exception as exc:  # noqa: BLE001 - the boundary: no traceback reaches the user
        if DEBUG["on"] or os.environ.get("ARGMAP_DEBUG", "") not in ("", "0"):
            raise
        message = " ".join(str(exc).split())[:300]
        typer.echo(f"Error: internal error ({type(exc).__name__}: {message}); please report it with the "
                   "command and `argmap --version`", err=True)
        raise SystemExit(3) from None
    finally:
        # PyMC's compiled graphs leave about a million objects behind, and the interpreter's last
        # garbage collection walks them all (0.5 s, a sixth of a run). Nothing needs collecting at
        # exit: freeze them so shutdown skips them. Exit handlers still run.
        import gc

        gc.freeze()


if __name__ == "__main__":
    main()
