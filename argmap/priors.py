"""Priors: one person's beliefs about a map's parameters (formats.md section 2).

Reads priors files (with ``extends`` chains and several files layered), turns every prior shape into
a Beta or a fixed value, and checks the result against a map. It never prints and never samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argmap.errors import ArgmapError, FileFormatError, PriorsError
from argmap.files import did_you_mean, read_toml
from argmap.fitting import beta_from_mean_n, beta_from_mean_sd, fit_beta_quantiles
from argmap.lexicons import DEFAULT_LEXICON, load_lexicon
from argmap.maps import ArgumentMap
from argmap.resources import priors_dir, resolve

MAX_EXTENDS_DEPTH = 16
SHAPES = ("beta", "mean", "ci90", "phrase", "value")
ENTRY_KEYS = ("beta", "mean", "n", "sd", "ci90", "phrase", "value", "lexicon", "why", "source", "quote",
              "unstated", "logical")
FILE_KEYS = ("name", "description", "map", "extends", "lexicon", "priors", "evidence", "statement")


@dataclass(frozen=True)
class Prior:
    """The prior of one parameter: a Beta(a, b), or a fixed value with no uncertainty."""

    id: str
    spec: str  # the shape as the user wrote it, e.g. 'phrase "very likely" (ipcc)'
    a: float | None = None
    b: float | None = None
    value: float | None = None
    why: str | None = None
    source: str | None = None
    origin: str = ""  # the priors file (name or path) it came from
    quote: str | None = None  # the source's own words, verbatim, that the prior reads
    unstated: bool = False  # the source says nothing here: the prior stands in for that silence
    logical: str | None = None  # the implication that fixes the value, in words
    implied_by: str | None = None  # for a file of statements only: the statements that imply it
    phrase: tuple[str, str] | None = None  # a phrase prior's (phrase, lexicon), as it reads back

    @property
    def provenance(self) -> str:
        """Where the number comes from: ``quote``, ``logical``, ``implied``, ``unstated`` or ``none given``."""
        if self.implied_by:
            return "implied"
        if self.unstated:
            return "unstated"
        if self.logical:
            return "logical"
        if self.quote:
            return "quote"
        return "none given"

    @property
    def fixed(self) -> bool:
        """True for a fixed value (no uncertainty)."""
        return self.value is not None

    @property
    def mean(self) -> float:
        """The prior mean."""
        if self.value is not None:
            return self.value
        return self.a / (self.a + self.b)

    def ppf(self, q: float) -> float:
        """The prior's q-quantile (the fixed value itself for a fixed prior)."""
        if self.value is not None:
            return self.value
        from scipy import stats

        return float(stats.beta.ppf(q, self.a, self.b))

    def describe(self) -> str:
        """``Beta(a, b)`` or ``fixed v``, with rounded numbers, for tables."""
        if self.value is not None:
            return f"fixed {self.value:g}"
        return f"Beta({self.a:.3g}, {self.b:.3g})"


@dataclass(frozen=True)
class PriorsFile:
    """A priors file with its ``extends`` chain applied: the entries it defines, by id."""

    name: str
    path: Path
    entries: dict[str, Prior]
    description: str = ""
    map: str | None = None
    evidence: tuple[dict, ...] = ()
    chain: tuple[str, ...] = ()  # the files it extends, outermost first
    statements: tuple[Any, ...] = ()  # its own [[statement]] entries (not inherited through extends)
    defines: frozenset[str] = frozenset()  # the ids its own [priors] table sets
    placeholders: frozenset[str] = frozenset()  # ids still "?" (left by priors init), after extends

    @property
    def statements_only(self) -> bool:
        """A file with statements and no priors of its own: its priors are the ones they imply."""
        return bool(self.statements) and not self.defines


@dataclass(frozen=True)
class Priors:
    """The priors of every parameter of one map, after layering files and checking them."""

    names: tuple[str, ...]
    entries: dict[str, Prior]
    files: tuple[PriorsFile, ...] = field(default=(), repr=False)
    evidence: tuple[Any, ...] = ()  # Evidence entries of the files, checked against the map
    statements: tuple[Any, ...] = ()  # the files' statements about this map's derived nodes

    @property
    def uncertain(self) -> list[str]:
        """Ids of the parameters with a Beta prior, in map order."""
        return [k for k, p in self.entries.items() if not p.fixed]

    def means(self) -> dict[str, float]:
        """Every parameter's prior mean."""
        return {k: p.mean for k, p in self.entries.items()}

    def replace(self, **changes: Prior) -> Priors:
        """A copy with some priors replaced (used by analyses that move one parameter)."""
        entries = dict(self.entries)
        entries.update(changes)
        return Priors(self.names, entries, self.files, self.evidence, self.statements)


def _quote(pid: str) -> str:
    return pid if pid.replace("_", "").isalnum() else f'"{pid}"'


def parse_prior(pid: str, raw: Any, where: str, lexicon: str = DEFAULT_LEXICON) -> Prior:
    """Turn one ``[priors]`` entry into a :class:`Prior`; ``where`` prefixes error messages."""
    key = f"{where}: priors.{_quote(pid)}"
    try:
        return _parse_prior(pid, raw, lexicon, where)
    except ValueError as exc:
        raise PriorsError(f"{key}: {exc}") from None


def typed_number(text: str) -> float | None:
    """A number written as text, "0.5" or "50%" (a percentage), as a float; None for anything else."""
    raw = text.strip()
    try:
        return float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        return None


def _number(raw: Any, name: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(f"{name} must be a finite number, not {raw!r}")
    return float(raw)


def _parse_prior(pid: str, raw: Any, lexicon: str, origin: str) -> Prior:
    if isinstance(raw, bool):
        raise ValueError("true/false is not a prior; give a number in [0, 1], a phrase or a table")
    if isinstance(raw, int | float):
        v = _number(raw, "a fixed value")
        if not 0 <= v <= 1:
            raise ValueError(f"fixed value {v} is outside [0, 1]; give a probability")
        return Prior(pid, f"fixed {v:g}", value=v, origin=origin)
    if isinstance(raw, str):
        number = typed_number(raw)
        if number is not None:  # "0.5" or "50%": a probability typed as text
            return _parse_prior(pid, number, lexicon, origin)
        return _phrase(pid, raw, lexicon, None, None, origin)
    if not isinstance(raw, dict):
        raise ValueError("a prior is a number in [0, 1], a phrase, or an inline table such as "
                         "{ mean = 0.2, n = 10 }")
    unknown = [k for k in raw if k not in ENTRY_KEYS]
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; {did_you_mean(unknown[0], ENTRY_KEYS)}")
    why, source, quote, logical = (raw.get(k) for k in ("why", "source", "quote", "logical"))
    for name, text in (("why", why), ("source", source), ("quote", quote), ("logical", logical)):
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise ValueError(f"{name} must be non-empty text")
    unstated = raw.get("unstated", False)
    if not isinstance(unstated, bool):
        raise ValueError("unstated must be true or false")
    if unstated and (quote or logical):
        raise ValueError("unstated = true says the source is silent, so it cannot also give a quote "
                         "or a logical link; remove one")
    shapes = [s for s in SHAPES if s in raw]
    if len(shapes) != 1:
        found = ", ".join(shapes) if shapes else "none"
        raise ValueError(f"give exactly one of beta = [a, b], mean with n or sd, ci90 = [lo, hi], "
                         f"phrase, value (found {found})")
    shape = shapes[0]
    if shape != "mean" and ("n" in raw or "sd" in raw):
        raise ValueError(f"n and sd go with mean, not with {shape}; remove them")
    if shape != "phrase" and "lexicon" in raw:
        raise ValueError("lexicon goes with phrase only; remove it")
    if logical and shape != "value":
        raise ValueError("logical names the implication that fixes a value, so it goes with "
                         "value = 0 or value = 1; remove it or give the value")
    common = dict(why=why, source=source, origin=origin, quote=quote, unstated=unstated, logical=logical)
    if shape == "phrase":
        if not isinstance(raw["phrase"], str):
            raise ValueError("phrase must be text, e.g. \"very unlikely\"")
        return _phrase(pid, raw["phrase"], raw.get("lexicon", lexicon), origin=origin,
                       **{k: v for k, v in common.items() if k != "origin"})
    if shape == "value":
        v = _number(raw["value"], "value")
        if not 0 <= v <= 1:
            raise ValueError(f"fixed value {v} is outside [0, 1]; give a probability")
        return Prior(pid, f"fixed {v:g}", value=v, **common)
    if shape == "beta":
        pair = raw["beta"]
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError("beta must be a pair [a, b]")
        a, b = _number(pair[0], "beta a"), _number(pair[1], "beta b")
        if a <= 0 or b <= 0:
            raise ValueError(f"Beta({a:g}, {b:g}) is impossible: both a and b must be > 0")
        return Prior(pid, f"beta [{a:g}, {b:g}]", a=a, b=b, **common)
    if shape == "ci90":
        pair = raw["ci90"]
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError("ci90 must be a pair [lo, hi]")
        lo, hi = _number(pair[0], "ci90 lo"), _number(pair[1], "ci90 hi")
        if not 0 < lo < hi < 1:
            raise ValueError(f"ci90 [{lo:g}, {hi:g}] needs 0 < lo < hi < 1")
        a, b = fit_beta_quantiles((0.05, 0.95), (lo, hi))
        return Prior(pid, f"ci90 [{lo:g}, {hi:g}]", a=a, b=b, **common)
    mean = _number(raw["mean"], "mean")
    if ("n" in raw) == ("sd" in raw):
        raise ValueError("mean needs exactly one of n (pseudo-count a + b) or sd")
    if "n" in raw:
        n = _number(raw["n"], "n")
        a, b = beta_from_mean_n(mean, n)
        return Prior(pid, f"mean {mean:g}, n {n:g}", a=a, b=b, **common)
    sd = _number(raw["sd"], "sd")
    a, b = beta_from_mean_sd(mean, sd)
    return Prior(pid, f"mean {mean:g}, sd {sd:g}", a=a, b=b, **common)


def _phrase(pid: str, phrase: str, lexicon: str, why: str | None = None, source: str | None = None,
            origin: str = "", **extra: Any) -> Prior:
    if not isinstance(lexicon, str):
        raise ValueError("lexicon must be a name such as \"ipcc\"")
    try:
        reading = load_lexicon(lexicon).read(phrase)
    except ArgmapError as exc:
        raise ValueError(str(exc)) from None
    return Prior(pid, f'phrase "{reading.phrase}" ({lexicon})', a=reading.a, b=reading.b,
                 why=why, source=source or reading.basis, origin=origin, phrase=(reading.phrase, lexicon),
                 **extra)


PLACEHOLDER = "?"  # a prior still to be filled in


def load_priors_file(name_or_path: str | Path, base: Path | None = None,
                     _seen: tuple[Path, ...] = ()) -> PriorsFile:
    """Load a priors file by shipped name or path, with its ``extends`` chain applied."""
    path = resolve(str(name_or_path), priors_dir(), "priors", base).resolve()
    if path in _seen:
        chain = " -> ".join(p.name for p in (*_seen, path))
        raise PriorsError(f"{path}: extends: the files extend each other in a loop ({chain}); "
                          "break the loop")
    if len(_seen) >= MAX_EXTENDS_DEPTH:
        raise PriorsError(f"{path}: extends: more than {MAX_EXTENDS_DEPTH} files deep; flatten the chain")
    data = read_toml(path)
    shown = str(name_or_path) if not _seen else str(path)
    unknown = [k for k in data if k not in FILE_KEYS]
    if unknown:
        raise FileFormatError(f"{shown}: {unknown[0]}: unknown key; {did_you_mean(unknown[0], FILE_KEYS)}")
    for key in ("name", "description", "map", "extends", "lexicon"):
        if key in data and not isinstance(data[key], str):
            raise FileFormatError(f"{shown}: {key}: must be text")
    priors = data.get("priors", {})
    if not isinstance(priors, dict):
        raise FileFormatError(f"{shown}: priors: must be a table [priors] of id = prior")
    evidence = data.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(e, dict) for e in evidence):
        raise FileFormatError(f"{shown}: evidence: must be [[evidence]] tables")
    entries: dict[str, Prior] = {}
    chain: tuple[str, ...] = ()
    inherited_evidence: tuple[dict, ...] = ()
    if "extends" in data:
        parent = load_priors_file(data["extends"], path.parent, (*_seen, path))
        entries.update(parent.entries)
        chain = (*parent.chain, parent.name)
        inherited_evidence = parent.evidence
    lexicon = data.get("lexicon", DEFAULT_LEXICON)
    try:
        load_lexicon(lexicon)
    except ArgmapError as exc:
        raise PriorsError(f"{shown}: lexicon: {exc}") from None
    label = data.get("name", path.stem)
    placeholders = set(parent.placeholders) if "extends" in data else set()
    for pid, raw in priors.items():
        if raw == PLACEHOLDER:  # left by `argmap priors init` for the user to fill
            placeholders.add(pid)
            entries.pop(pid, None)
            continue
        placeholders.discard(pid)
        entries[pid] = parse_prior(pid, raw, shown, lexicon)
    own_evidence = tuple(dict(e, _file=str(path)) for e in evidence)
    raw_statements = data.get("statement", [])
    if not isinstance(raw_statements, list):
        raise FileFormatError(f"{shown}: statement: must be [[statement]] tables")
    from argmap.statements import parse_statement

    statements = tuple(parse_statement(raw, shown, i) for i, raw in enumerate(raw_statements))
    return PriorsFile(name=label, path=path, entries=entries, description=data.get("description", ""),
                      map=data.get("map"), evidence=inherited_evidence + own_evidence, chain=chain,
                      statements=statements, defines=frozenset(priors),
                      placeholders=frozenset(placeholders))


def combine(files: list[PriorsFile], amap: ArgumentMap, known: frozenset[str] | None = None) -> Priors:
    """Layer priors files (later ones override earlier ones) and check them against ``amap``.

    ``known`` holds the parameter ids of every known map (default: every shipped map's): an id
    outside it is a typo and an error; an id of another map is ignored.
    """
    if known is None:
        from argmap.maps import shipped_parameters

        known = shipped_parameters()
    merged: dict[str, Prior] = {}
    pending: set[str] = set()
    for f in files:
        merged.update(f.entries)
        pending = (pending - set(f.entries)) | set(f.placeholders)
        if f.statements_only:
            merged.update(_implied_entries(f, merged, amap, known))
    valid = set(amap.parameters) | known
    for pid, prior in merged.items():
        if pid not in valid:
            raise PriorsError(f"{prior.origin}: priors.{_quote(pid)}: not a parameter of map "
                              f"{amap.id!r} or of any shipped map; "
                              + did_you_mean(pid, amap.parameters))
    unfilled = [pid for pid in amap.parameters if pid in pending]
    if unfilled:
        names = ", ".join(f.name for f in files)
        raise PriorsError(f"{names}: priors: {len(unfilled)} placeholder(s) still to fill: "
                          + ", ".join(_quote(p) for p in unfilled[:12])
                          + (f" and {len(unfilled) - 12} more" if len(unfilled) > 12 else "")
                          + '; replace each "?" with a prior (a phrase, a probability, '
                            "{ ci90 = [lo, hi] } or { beta = [a, b] })")
    missing = [pid for pid in amap.parameters if pid not in merged]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        names = ", ".join(f.name for f in files)
        fix = ("add it, or extend a file that has it (extends = \"agnostic\")" if amap.shipped else
               f"add it, or write a file with every parameter to fill in: argmap priors init FILE --map "
               f"{amap.path or amap.id}")
        raise PriorsError(f"{names}: priors.{_quote(missing[0])}: missing{more}; every parameter "
                          f"of map {amap.id!r} needs a prior: {fix}")
    entries = {pid: merged[pid] for pid in amap.parameters}
    from argmap.evidence import check_evidence, parse_evidence

    from argmap.maps import shipped_nodes
    from argmap.statements import check_statements

    evidence = [parse_evidence(raw, raw["_file"], i) for f in files for i, raw in enumerate(f.evidence)]
    statements = check_statements([s for f in files for s in f.statements], amap, shipped_nodes())
    return Priors(names=tuple(f.name for f in files), entries=entries, files=tuple(files),
                  evidence=tuple(check_evidence(evidence, amap)), statements=statements)


def _implied_entries(f: PriorsFile, merged: dict[str, Prior], amap: ArgumentMap,
                     known: frozenset[str]) -> dict[str, Prior]:
    """The priors a statements-only file implies: everything before it, conditioned on its statements."""
    from argmap.analyses.implied import implied_priors
    from argmap.maps import shipped_nodes
    from argmap.statements import check_statements

    statements = check_statements(list(f.statements), amap, shipped_nodes())
    if not statements:
        return {}
    base = combine([PriorsFile(name=f.name, path=f.path, entries=dict(merged))], amap, known)
    return implied_priors(amap, base, statements, f.name)


def load_priors(*names: str | Path, amap: ArgumentMap) -> Priors:
    """Load and layer priors files for a map; later files override earlier ones.

    Parameters
    ----------
    *names : str or Path
        Shipped priors names or paths of priors files (``"wheaton"`` when none is given).
    amap : ArgumentMap
        The map whose every parameter needs a prior.

    Returns
    -------
    Priors
        One prior per parameter of the map, with where each came from.
    """
    return combine([load_priors_file(n) for n in (names or ("wheaton",))], amap)
