"""ArgumentMap: the structure of an argument, a DAG of binary claims (formats.md section 1).

Loads and validates a map file into immutable objects and derives each node's uncertain parameters.
It knows nothing of priors or probabilities' values; it never prints.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

import networkx as nx

from argmap.errors import MapError
from argmap.files import did_you_mean, read_toml, shorten, validation_failure
from argmap.resources import MAPS_DIR, resolve

MAX_GIVEN = 4
NODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
MAP_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

Kind = Literal["root", "given", "all", "any", "not", "at_least_one_of"]
MAX_COUNT = 100_000  # the largest N of an at_least_one_of node


@dataclass(frozen=True)
class Parameter:
    """One uncertain probability of the map: a root's p, a row of a ``given`` table, or a chance."""

    id: str
    node: str
    condition: tuple[tuple[str, bool], ...] = ()  # the parent values of a `given` row

    def describe(self) -> str:
        """The parameter as a sentence fragment: ``P(node | a, not b)``."""
        if not self.condition:
            return f"P({self.node})"
        cond = ", ".join(p if v else f"not {p}" for p, v in self.condition)
        return f"P({self.node} | {cond})"


@dataclass(frozen=True)
class Claim:
    """One node of the map: a binary claim and how its truth depends on its parents."""

    id: str
    claim: str
    kind: Kind
    parents: tuple[str, ...] = ()
    chance: bool = False
    short: str | None = None
    section: str | None = None
    group: str | None = None
    # at_least_one_of: the node of which this is N independent copies given that node's parents, and
    # the distribution of N as (count, weight) pairs (weights sum to 1)
    template: str | None = None
    counts: tuple[tuple[int, float], ...] = ()

    @property
    def label(self) -> str:
        """A short label for tables: ``short`` if the map gives one, else the claim cut to size."""
        if self.short:
            return self.short
        return self.claim if len(self.claim) <= 48 else self.claim[:47].rstrip() + "…"

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The node's uncertain parameters with the ids formats.md defines."""
        if self.kind == "root" or (self.kind in ("all", "any") and self.chance):
            return (Parameter(self.id, self.id),)
        if self.kind == "given":
            rows = []
            for values in itertools.product((True, False), repeat=len(self.parents)):
                cond = tuple(zip(self.parents, values, strict=True))
                text = ", ".join(p if v else f"not {p}" for p, v in cond)
                rows.append(Parameter(f"{self.id} | {text}", self.id, cond))
            return tuple(rows)
        return ()

    @property
    def count_text(self) -> str:
        """N of an at_least_one_of node: ``20``, or ``{3: 0.25, 10: 0.5, 30: 0.25}``."""
        if len(self.counts) == 1:
            return f"{self.counts[0][0]:,}"
        return "{" + ", ".join(f"{n:,}: {w:.2g}" for n, w in self.counts) + "}"

    @property
    def combination(self) -> str:
        """How the node combines its parents, in words: ``all of 3``, ``given a, b``, ``p``."""
        if self.kind == "root":
            return "p"
        if self.kind == "not":
            return f"not {self.parents[0]}"
        if self.kind == "at_least_one_of":
            return f"at least one of {self.count_text} copies of {self.template}"
        text = f"{self.kind} of " + ", ".join(self.parents)
        return text + " (chance)" if self.chance else text


@dataclass(frozen=True)
class Conditional:
    """A conditional probability the report shows: P(numerator | denominator)."""

    id: str
    label: str
    numerator: str
    denominator: str


@dataclass(frozen=True)
class Monitoring:
    """What a monitoring map reports besides its target: P(caught | deceptive), routes, rungs."""

    caught: str
    routes: tuple[str, ...]
    rungs: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class ArgumentMap:
    """A validated argument: claims in file order, the DAG, its target and threshold."""

    id: str
    title: str
    target: str
    threshold: float
    claims: dict[str, Claim]
    targets: tuple[str, ...]
    source: str | None = None
    path: Path | None = None
    graph: nx.DiGraph = field(repr=False, default_factory=nx.DiGraph)
    lever: str | None = None  # a premise whose effect on the target the report shows
    conditionals: tuple[Conditional, ...] = ()
    includes: tuple[str, ...] = ()  # ids of the maps this one includes
    group_titles: dict[str, str] = field(default_factory=dict)  # a group id's title in reports
    default_priors: str | None = None  # the priors file used when the user names none
    # a monitoring map's question (the [monitoring] table): the conditional that says how often a
    # deceptive path is caught, the routes to a warning and the rungs of the ladder
    monitoring: Monitoring | None = None
    # the claim under test about the target: "below" (P(target) < threshold), "above", or None (the
    # map tests no claim: its report gives the numbers and no verdict)
    claim: str | None = "below"

    @property
    def shipped(self) -> bool:
        """Whether this is one of argmap's own maps (named by id; a user's map is named by its path)."""
        from argmap.resources import is_shipped

        return is_shipped(self.path)

    def claim_for(self, target: str | None, threshold: float | None) -> str | None:
        """The claim a run tests: the map's own about its own target; with another target, none
        unless a threshold is given (then that P(target) lies on the map's side of it, else below)."""
        if threshold is not None:
            return self.claim or "below"
        if target is not None and target != self.target:
            return None
        return self.claim

    @cached_property
    def parameters(self) -> dict[str, Parameter]:
        """Every uncertain parameter of the map, by id, in node order."""
        return {p.id: p for c in self.claims.values() for p in c.parameters}

    def topological_order(self) -> list[str]:
        """Node ids with every parent before its children (file order among equals)."""
        index = {n: i for i, n in enumerate(self.claims)}
        return list(nx.lexicographical_topological_sort(self.graph, key=index.__getitem__))

    def children(self, node: str) -> list[str]:
        """The nodes that use ``node`` as a parent."""
        return list(self.graph.successors(node))

    def ancestors(self, node: str) -> set[str]:
        """Every node whose value ``node`` depends on."""
        return nx.ancestors(self.graph, node)

    def question(self, target: str | None, threshold: float | None) -> tuple[str, float]:
        """The node and threshold a command is about: the map's own unless the user chose others."""
        target = target or self.target
        self.check_node(target)
        threshold = self.threshold if threshold is None else threshold
        if not 0 < threshold < 1:
            raise MapError(f"--threshold {threshold}: must lie strictly between 0 and 1")
        return target, threshold

    def group_title(self, group: str | None) -> str:
        """The title of a node group for reports: the map's own, else the id capitalised."""
        group = group or "other"
        return self.group_titles.get(group, group.capitalize())

    def with_nodes(self, extra: list[Claim]) -> ArgumentMap:
        """A copy of the map with extra derived nodes (no new parameters) for an analysis to ask about."""
        claims = dict(self.claims)
        graph = self.graph.copy()
        for c in extra:
            if c.id in claims or c.parameters:
                raise ValueError(f"{c.id}: an extra node must be new and have no parameters")
            claims[c.id] = c
            graph.add_node(c.id)
            graph.add_edges_from((p, c.id) for p in c.parents)
        return ArgumentMap(id=self.id, title=self.title, target=self.target, threshold=self.threshold,
                           claims=claims, targets=self.targets, source=self.source, path=self.path,
                           graph=graph, lever=self.lever, conditionals=self.conditionals,
                           includes=self.includes, group_titles=self.group_titles,
                           default_priors=self.default_priors, claim=self.claim)

    def check_node(self, node: str, what: str = "--target") -> None:
        """Raise a clear error when ``node`` is not a node of this map."""
        if node not in self.claims:
            raise MapError(f"{what} {shorten(node)!r} is not a node of map {self.id!r}; "
                           + did_you_mean(node, self.claims))


def _models():  # pydantic is imported on first use, not at CLI start-up
    from pydantic import BaseModel, ConfigDict, Field, field_validator

    class NodeFile(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
        id: str
        claim: str
        short: str | None = None
        section: str | None = None
        group: str | None = None
        given: list[str] | None = None
        all_: list[str] | None = Field(None, alias="all")
        any_: list[str] | None = Field(None, alias="any")
        not_: str | None = Field(None, alias="not")
        chance: bool = False
        at_least_one_of: str | None = None
        count: int | dict | None = None

        @field_validator("id")
        @classmethod
        def _snake(cls, v: str) -> str:
            if not NODE_ID.match(v):
                raise ValueError(f"node id {v!r} must be snake_case (a-z, 0-9, _), e.g. 'pt_goal_directed'")
            return v

    class ConditionalFile(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        id: str
        label: str
        numerator: str
        denominator: str

    class MonitoringFile(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        caught: str
        routes: list[str]
        rungs: list[str] = []

    class MapFile(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        id: str
        title: str
        source: str | None = None
        include: str | None = None
        target: str
        targets: list[str] | None = None
        threshold: float | None = None
        claim: Literal["below", "above", "none"] | None = None
        lever: str | None = None
        priors: str | None = None
        groups: dict[str, str] = {}
        conditional: list[ConditionalFile] = []
        node: list[NodeFile] = []
        monitoring: MonitoringFile | None = None

        @field_validator("id")
        @classmethod
        def _kebab(cls, v: str) -> str:
            if not MAP_ID.match(v):
                raise ValueError(f"map id {v!r} must be kebab-case, e.g. 'deceptive-alignment'")
            return v

        @field_validator("threshold")
        @classmethod
        def _prob(cls, v: float | None) -> float | None:
            if v is not None and not 0 < v < 1:
                raise ValueError(f"threshold {v} must lie strictly between 0 and 1, e.g. 0.01")
            return v

    return NodeFile, MapFile


MAP_KEYS = {"": ["id", "title", "source", "include", "target", "targets", "threshold", "claim", "lever",
                 "priors", "groups", "conditional", "node", "monitoring"],
            "monitoring": ["caught", "routes", "rungs"],
            "node": ["id", "claim", "short", "section", "group", "given", "all", "any", "not", "chance",
                     "at_least_one_of", "count"],
            "conditional": ["id", "label", "numerator", "denominator"]}
MAX_INCLUDE_DEPTH = 8


def load_map(name_or_path: str | Path, base: Path | None = None,
             _seen: tuple[Path, ...] = ()) -> ArgumentMap:
    """Load a shipped map by name, or a map file by path, validated.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped map's name (``"deceptive-alignment"``) or the path of a map file.
    base : Path, optional
        The folder a relative path is resolved against (the including file's, for ``include``).

    Returns
    -------
    ArgumentMap
        The validated map.

    Raises
    ------
    ArgmapError
        With one line naming the file, the key and the fix, for any invalid file.
    """
    path = resolve(str(name_or_path), MAPS_DIR, "map", base).resolve()
    if path in _seen or len(_seen) > MAX_INCLUDE_DEPTH:
        chain = " -> ".join(p.name for p in (*_seen, path))
        raise MapError(f"{path}: include: the maps include each other in a loop ({chain}); break it")
    return parse_map(read_toml(path), path, _seen=(*_seen, path))


@cache
def shipped_parameters() -> frozenset[str]:
    """The parameter ids of every shipped map (ids a priors file may define without error).

    Read once per process: it parses every shipped map, and the shipped files do not change.
    """
    from argmap.resources import shipped_names

    return frozenset().union(*(load_map(name).parameters for name in shipped_names(MAPS_DIR)))


@cache
def shipped_nodes() -> frozenset[str]:
    """The node and conditional ids of every shipped map (what a statement may be about)."""
    from argmap.resources import shipped_names

    maps = [load_map(name) for name in shipped_names(MAPS_DIR)]
    return frozenset().union(*(set(m.claims) | {c.id for c in m.conditionals} for m in maps))


def parse_map(data: dict, path: Path | str = "<map>", _seen: tuple[Path, ...] = ()) -> ArgumentMap:
    """Validate the parsed TOML of a map file into an :class:`ArgumentMap`."""
    from pydantic import ValidationError

    _, MapFile = _models()
    raw_nodes = data.get("node") if isinstance(data.get("node"), list) else None
    try:
        mf = MapFile.model_validate(data)
    except ValidationError as exc:
        raise validation_failure(Path(str(path)), exc, MAP_KEYS, raw_nodes) from None
    claims: dict[str, Claim] = {}
    includes: tuple[str, ...] = ()
    group_titles: dict[str, str] = {}
    if mf.include is not None:
        base = Path(str(path)).parent if Path(str(path)).is_file() else None
        inner = load_map(mf.include, base, _seen)
        claims.update(inner.claims)
        includes = (*inner.includes, inner.id)
        group_titles.update(inner.group_titles)
    group_titles.update(mf.groups)
    for i, n in enumerate(mf.node):
        key = f"{path}: node[{i}] ({n.id})"
        if n.id in claims:
            where = " (it comes from the included map)" if includes else ""
            raise MapError(f"{key}: id: duplicate node id{where}; give each node a unique id")
        claims[n.id] = _claim(n, key)
    for c in list(claims.values()):
        if c.kind == "at_least_one_of":
            claims[c.id] = _repeat(c, claims, path)
    graph = nx.DiGraph()
    graph.add_nodes_from(claims)
    for c in claims.values():
        for p in c.parents:
            if p not in claims:
                raise MapError(f"{path}: node {c.id!r}: unknown node {p!r}; " + did_you_mean(p, claims))
            graph.add_edge(p, c.id)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = [u for u, _ in nx.find_cycle(graph)]
        raise MapError(f"{path}: the map has a cycle {' -> '.join(cycle + cycle[:1])}; "
                       "an argument must be a DAG: remove one of these links")
    targets = tuple(mf.targets) if mf.targets else (mf.target,)
    for key, t in [("target", mf.target)] + [("targets", t) for t in targets]:
        if t not in claims:
            raise MapError(f"{path}: {key}: unknown node {t!r}; " + did_you_mean(t, claims))
    if mf.target not in targets:
        targets = (mf.target, *targets)
    if mf.lever is not None:
        if mf.lever not in claims:
            raise MapError(f"{path}: lever: unknown node {mf.lever!r}; " + did_you_mean(mf.lever, claims))
        if claims[mf.lever].kind != "root":
            raise MapError(f"{path}: lever: {mf.lever!r} must be a premise (a node with no parents), "
                           "so that it can be set true or false")
    conditionals = []
    for i, c in enumerate(mf.conditional):
        key = f"{path}: conditional[{i}] ({c.id})"
        for name in (c.numerator, c.denominator):
            if name not in claims:
                raise MapError(f"{key}: unknown node {name!r}; " + did_you_mean(name, claims))
        num = claims[c.numerator]
        if num.kind != "all" or c.denominator not in num.parents:
            raise MapError(f"{key}: numerator {c.numerator!r} must be an all node that lists "
                           f"{c.denominator!r}, so that it implies the denominator")
        conditionals.append(Conditional(c.id, c.label, c.numerator, c.denominator))
    monitoring = None
    if mf.monitoring is not None:
        mon = mf.monitoring
        if mf.lever is None:
            raise MapError(f"{path}: monitoring: a monitoring map needs a lever (the commitment)")
        if mon.caught not in {c.id for c in conditionals}:
            raise MapError(f"{path}: monitoring.caught: {mon.caught!r} is not a [[conditional]] of the map")
        for name in (*mon.routes, *mon.rungs):
            if name not in claims:
                raise MapError(f"{path}: monitoring: unknown node {name!r}; " + did_you_mean(name, claims))
        if not mon.routes:
            raise MapError(f"{path}: monitoring.routes: name at least one route")
        monitoring = Monitoring(mon.caught, tuple(mon.routes), tuple(mon.rungs))
    # a threshold alone states the claim "below" (as every map did before `claim` existed)
    claim = mf.claim or ("below" if mf.threshold is not None else "none")
    if claim != "none" and mf.threshold is None:
        raise MapError(f"{path}: claim: a claim {claim!r} needs the threshold it is about; add "
                       "threshold = 0.01 (say), or claim = \"none\"")
    return ArgumentMap(id=mf.id, title=mf.title, source=mf.source, target=mf.target,
                       threshold=0.01 if mf.threshold is None else mf.threshold,
                       claim=None if claim == "none" else claim, claims=claims, targets=targets,
                       path=Path(str(path)), graph=graph, lever=mf.lever,
                       conditionals=tuple(conditionals), includes=includes, group_titles=group_titles,
                       default_priors=mf.priors, monitoring=monitoring)


def _counts(raw: Any, key: str) -> tuple[tuple[int, float], ...]:
    """``count``: a whole number N, or ``{ values = [...], weights = [...] }`` (a prior over N)."""
    def whole(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_COUNT:
            raise MapError(f"{key}: count: {v!r} is not a whole number from 1 to {MAX_COUNT:,}")
        return v
    if isinstance(raw, dict):
        unknown = [k for k in raw if k not in ("values", "weights", "why")]
        if unknown:
            raise MapError(f"{key}: count.{unknown[0]}: unknown key; a count table holds values, weights "
                           "and why")
        values = raw.get("values")
        if not isinstance(values, list) or not values:
            raise MapError(f"{key}: count.values: give a list of whole numbers, e.g. [3, 10, 30]")
        ns = [whole(v) for v in values]
        if len(set(ns)) != len(ns):
            raise MapError(f"{key}: count.values: a value is listed twice")
        weights = raw.get("weights", [1] * len(ns))
        ok = (isinstance(weights, list) and len(weights) == len(ns)
              and all(isinstance(w, int | float) and not isinstance(w, bool) and w >= 0 for w in weights)
              and sum(weights) > 0)
        if not ok:
            raise MapError(f"{key}: count.weights: give one non-negative weight per value (not all 0)")
        total = float(sum(weights))
        return tuple((n, w / total) for n, w in zip(ns, weights, strict=True) if w > 0)
    return ((whole(raw), 1.0),)


def _repeat(c: Claim, claims: dict[str, Claim], path: Any) -> Claim:
    """Resolve an at_least_one_of node: its parents are its template's, which must have its own
    parameters and no children (so every node's probability stays linear in each parameter's
    one use, which keeps the exact means and first-order indices exact)."""
    key = f"{path}: node {c.id!r}: at_least_one_of"
    t = claims.get(c.template)
    if t is None:
        raise MapError(f"{key}: unknown node {c.template!r}; " + did_you_mean(c.template, claims))
    if t.kind not in ("root", "given") and not (t.kind in ("all", "any") and t.chance):
        raise MapError(f"{key}: {t.id!r} must be a node with its own chance (a premise, a given table, or "
                       "all/any with chance = true): its copies are independent given its parents")
    users = [o.id for o in claims.values() if t.id in o.parents or (o.template == t.id and o.id != c.id)]
    if users:
        raise MapError(f"{key}: {t.id!r} is also used by {users[0]!r}; the node that at_least_one_of "
                       "copies must be used by nothing else: give that node its own copy")
    return replace(c, parents=t.parents)


def _claim(n, key: str) -> Claim:
    kinds = {k: v for k, v in (("given", n.given), ("all", n.all_), ("any", n.any_),
                                ("not", n.not_), ("at_least_one_of", n.at_least_one_of)) if v is not None}
    if len(kinds) > 1:
        raise MapError(f"{key}: has {' and '.join(kinds)}; a node takes at most one of "
                       "all, any, not, given, at_least_one_of: split it into two nodes")
    common = dict(id=n.id, claim=n.claim, short=n.short, section=n.section, group=n.group)
    if (n.count is not None) != (n.at_least_one_of is not None):
        raise MapError(f"{key}: count and at_least_one_of go together: at_least_one_of names the node, "
                       "count how many independent copies")
    if n.at_least_one_of is not None:
        if n.chance:
            raise MapError(f"{key}: chance: only nodes with all or any take chance = true; remove it")
        if n.at_least_one_of == n.id:
            raise MapError(f"{key}: at_least_one_of: the node names itself")
        return Claim(kind="at_least_one_of", template=n.at_least_one_of, counts=_counts(n.count, key),
                     **common)
    if not kinds:
        if n.chance:
            raise MapError(f"{key}: chance: only nodes with all or any take chance = true; remove it")
        return Claim(kind="root", **common)
    kind, value = next(iter(kinds.items()))
    parents = (value,) if isinstance(value, str) else tuple(value)
    if n.chance and kind not in ("all", "any"):
        raise MapError(f"{key}: chance: only nodes with all or any take chance = true; remove it")
    if not parents:
        raise MapError(f"{key}: {kind}: the list is empty; name at least one node")
    if len(set(parents)) != len(parents):
        raise MapError(f"{key}: {kind}: a node is listed twice; list each parent once")
    if n.id in parents:
        raise MapError(f"{key}: {kind}: the node lists itself; a claim cannot depend on itself")
    if kind == "given" and len(parents) > MAX_GIVEN:
        raise MapError(f"{key}: given: {len(parents)} parents; given takes at most {MAX_GIVEN} "
                       "(its table would need 2^n rows): introduce intermediate nodes")
    return Claim(kind=kind, parents=parents, chance=n.chance, **common)
