"""Exact inference over a map: every node's probability as a function of the parameters.

A map is a Bayesian network over binary claims whose table entries are the parameters. P(node) is a
sum over joint states of a product of one table entry per node (the network polynomial). We compile
that sum once per map into an arithmetic circuit with the frontier algorithm: walk the nodes in a
topological order keeping the joint distribution of the *frontier* (processed nodes that still have
unprocessed children), multiply in each node's table, read off its marginal, and sum out the nodes
no longer needed. Deterministic nodes (all / any / not) contribute 0/1 entries, which are pruned, so
the circuit stays small. Cost scales with 2^frontier, not 2^nodes; nodes sharing ancestors stay
correlated through the joint, never by multiplying marginals.

The circuit is a list of ``mul``/``add``/``1 - x`` operations, and :func:`evaluate` runs it with the
ordinary arithmetic operators, so the same circuit is evaluated on numpy arrays (a batch of draws
at once) and on PyTensor tensors (the PyMC model, differentiable for NUTS). This module never prints.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from argmap.errors import LimitError
from argmap.maps import ArgumentMap, Claim

ZERO, ONE = 0, 1  # indices of the two constants in every circuit


@dataclass(frozen=True)
class Circuit:
    """A straight-line program computing each node's probability from the parameters.

    ``ops[i]`` is ``("const", c)``, ``("param", id)``, ``("comp", j)`` for 1 - v[j],
    ``("mul", j, k)`` or ``("add", j, k)``; ``outputs`` maps each node to the index of P(node).
    """

    ops: tuple[tuple, ...]
    outputs: dict[str, int]
    parameters: tuple[str, ...]
    max_frontier: int
    # the derived parameters of at_least_one_of nodes: name -> (parameter, ((N, weight), ...)), whose
    # value is sum_k weight_k (1 - parameter)^N_k, the chance that none of N copies holds
    derived: dict[str, tuple[str, tuple[tuple[int, float], ...]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ops)


class _Builder:
    """Hash-consed expression builder with the algebraic shortcuts that keep circuits small."""

    def __init__(self) -> None:
        self.ops: list[tuple] = [("const", 0.0), ("const", 1.0)]
        self.index: dict[tuple, int] = {}
        self.params: dict[str, int] = {}
        self.derived: dict[str, tuple[str, tuple[tuple[int, float], ...]]] = {}
        self.owner: dict[str, str] = {}  # each derived parameter's node

    def _op(self, key: tuple) -> int:
        if key not in self.index:
            self.index[key] = len(self.ops)
            self.ops.append(key)
        return self.index[key]

    def param(self, pid: str) -> int:
        if pid not in self.params:
            self.params[pid] = self._op(("param", pid))
        return self.params[pid]

    def comp(self, a: int) -> int:
        if a in (ZERO, ONE):
            return ONE - a
        if self.ops[a][0] == "comp":
            return self.ops[a][1]
        return self._op(("comp", a))

    def mul(self, a: int, b: int) -> int:
        if ZERO in (a, b):
            return ZERO
        if a == ONE:
            return b
        if b == ONE:
            return a
        return self._op(("mul", min(a, b), max(a, b)))

    def add(self, a: int, b: int) -> int:
        if a == ZERO:
            return b
        if b == ZERO:
            return a
        collapsed = self._complementary(a, b, 0)
        if collapsed is not None:
            return collapsed
        return self._op(("add", min(a, b), max(a, b)))

    def _complementary(self, a: int, b: int, depth: int) -> int | None:
        """m when a = m p and b = m (1 - p), with m any product of shared factors; else None.

        Summing a claim out of a table whose only use of it is its own row, p and 1 - p, gives back
        the rest exactly: a claim no one downstream looks at (a barren node) then drops out of the
        circuit, instead of staying in as a factor (p + (1 - p)) that is 1 only up to rounding.
        """
        oa, ob = self.ops[a], self.ops[b]
        if oa == ("comp", b) or ob == ("comp", a):
            return ONE
        if depth > 64 or oa[0] != "mul" or ob[0] != "mul":
            return None
        for x, y in ((oa[1], oa[2]), (oa[2], oa[1])):
            for u, w in ((ob[1], ob[2]), (ob[2], ob[1])):
                if x == u:
                    inner = self._complementary(y, w, depth + 1)
                    if inner is not None:
                        return self.mul(x, inner)
        return None

    def total(self, terms: list[int]) -> int:
        """Sum as a balanced tree, so a long sum does not become a deep chain."""
        terms = [t for t in terms if t != ZERO]
        if not terms:
            return ZERO
        while len(terms) > 1:
            terms = [self.add(*terms[i:i + 2]) if i + 1 < len(terms) else terms[i]
                     for i in range(0, len(terms), 2)]
        return terms[0]


@dataclass(frozen=True)
class _Step:
    """One node of the network as the compiler sees it: a claim, or a partial all/any of a claim."""

    id: str
    kind: str
    parents: tuple[str, ...]
    chance: bool = False
    claim: Claim | None = None  # None for a partial combination, whose marginal is not reported
    template: _Step | None = None  # at_least_one_of: the node it copies


def _table_entry(b: _Builder, step: _Step, value: bool, parents: tuple[bool, ...]) -> int:
    """P(step = value | parents = parent values) as a circuit node."""
    if step.kind == "root":
        p = b.param(step.id)
    elif step.kind == "given":
        text = ", ".join(n if v else f"not {n}" for n, v in zip(step.parents, parents, strict=True))
        p = b.param(f"{step.id} | {text}")
    elif step.kind == "at_least_one_of":
        # none of N copies holds with probability (1 - q)^N, q the template's entry: a derived
        # parameter, so the circuit stays linear in it
        q = _table_entry(b, step.template, True, parents)
        if q in (ZERO, ONE):
            p = q
        else:
            pid = b.ops[q][1]
            name = f"(1 - {pid})^N[{step.id}]"
            b.derived[name] = (pid, step.claim.counts)
            b.owner[name] = step.id
            p = b.comp(b.param(name))
    else:
        if step.kind == "not":
            holds = not parents[0]
        elif step.kind == "all":
            holds = all(parents)
        else:
            holds = any(parents)
        if not holds:
            p = ZERO
        elif step.chance:
            p = b.param(step.id)
        else:
            p = ONE
    return p if value else b.comp(p)


def _steps(amap: ArgumentMap, order: list[str]) -> list[_Step]:
    """The nodes in ``order``, with every all/any of three or more parents split into a chain.

    ``all(a, b, c)`` equals ``all(all(a, b), c)`` (likewise ``any``), so folding each parent into a
    running combination as soon as it is computed is exact, and keeps one claim on the frontier
    instead of all of them. The chance of a node applies once, at the end of its chain.
    """
    pos = {n: i for i, n in enumerate(order)}
    after: dict[str, list[_Step]] = {}
    final_parents: dict[str, tuple[str, ...]] = {}
    for n in order:
        c = amap.claims[n]
        if c.kind in ("all", "any") and len(c.parents) > 2:
            ps = sorted(c.parents, key=pos.__getitem__)
            acc = ps[0]
            for k, p in enumerate(ps[1:-1], start=1):
                aux = _Step(f"{n}#{k}", c.kind, (acc, p))
                after.setdefault(p, []).append(aux)
                acc = aux.id
            final_parents[n] = (acc, ps[-1])
    steps: list[_Step] = []
    for n in order:
        c = amap.claims[n]
        template = None
        if c.kind == "at_least_one_of":
            t = amap.claims[c.template]
            template = _Step(t.id, t.kind, t.parents, t.chance, t)
        steps.append(_Step(n, c.kind, final_parents.get(n, c.parents), c.chance, c, template))
        steps.extend(after.get(n, []))
    return steps


def _greedy_order(amap: ArgumentMap) -> list[str]:
    """A topological order that greedily keeps the frontier small."""
    remaining_children = {n: len(amap.children(n)) for n in amap.claims}
    unplaced_parents = {n: len(c.parents) for n, c in amap.claims.items()}
    ready = [n for n, k in unplaced_parents.items() if k == 0]
    frontier: set[str] = set()
    order: list[str] = []
    position = {n: i for i, n in enumerate(amap.claims)}
    while ready:
        def cost(n: str) -> tuple[int, int]:
            freed = sum(1 for p in amap.claims[n].parents if remaining_children[p] == 1)
            stays = 1 if remaining_children[n] else 0
            return (len(frontier) + stays - freed, position[n])
        node = min(ready, key=cost)
        ready.remove(node)
        order.append(node)
        for p in amap.claims[node].parents:
            remaining_children[p] -= 1
            if remaining_children[p] == 0:
                frontier.discard(p)
        if remaining_children[node]:
            frontier.add(node)
        for child in amap.children(node):
            unplaced_parents[child] -= 1
            if unplaced_parents[child] == 0:
                ready.append(child)
    return order


def _depth_first_order(amap: ArgumentMap) -> list[str]:
    """Post-order from the sinks, the parent with the most ancestors first.

    On a tree this is the Sethi-Ullman order, which keeps the fewest partial results alive at once.
    """
    weight = {n: len(amap.ancestors(n)) for n in amap.claims}
    order: list[str] = []
    seen: set[str] = set()

    def visit(node: str) -> None:
        stack = [(node, False)]
        while stack:
            n, expanded = stack.pop()
            if n in seen:
                continue
            if expanded:
                seen.add(n)
                order.append(n)
                continue
            stack.append((n, True))
            for p in sorted(amap.claims[n].parents, key=lambda q: weight[q]):
                if p not in seen:
                    stack.append((p, False))

    sinks = [n for n in amap.claims if not amap.children(n)]
    for s in sorted(sinks, key=lambda q: -weight[q]):
        visit(s)
    return order


# Exact inference builds at most this many joint-state entries (the structural estimate of the
# circuit's size, before anything is built); past it the circuit would take too long and too much
# memory to build, and a map is estimated by sampling instead (argmap.sampled).
MAX_STATES = 1 << 21


# cleaning every node's expression of parameters it cannot depend on (_finish) may rebuild at most this
# many times the operations built; past that, only the targets are cleaned
CLEAN_WORK = 16


class ExactLimit(LimitError):
    """The map is past what exact inference can build within its budget."""


@dataclass(frozen=True)
class Plan:
    """A way to compile a map, with its size worked out from the graph alone."""

    method: str  # "frontier" (a topological walk) or "tree" (a junction tree over a min-fill order)
    order: tuple[str, ...]
    width: int  # the most claims tracked jointly
    cost: int  # joint-state entries the compiler builds (a bound on the circuit's size)


def plans(amap: ArgumentMap) -> list[Plan]:
    """The candidate ways to compile ``amap``, cheapest first, each sized structurally."""
    out = []
    for order in (_depth_first_order(amap), _greedy_order(amap)):
        width, cost = _frontier_size(amap, order)
        out.append(Plan("frontier", tuple(order), width, cost))
    steps = _steps(amap, list(amap.claims))
    elim = _min_fill_order(_moral_graph(steps))
    bags, _, children = _tree(steps, elim)
    width = max((len(b) for b in bags.values()), default=0)
    cost = sum((2 + 2 * len(children[v])) << len(bags[v]) for v in elim)
    out.append(Plan("tree", tuple(elim), width, cost))
    return sorted(out, key=lambda p: (p.cost, p.width))


def compile_circuit(amap: ArgumentMap, plan: Plan | None = None) -> Circuit:
    """Compile the exact marginal of every node of ``amap`` into a :class:`Circuit`.

    The candidate plans (two topological walks, and a junction tree over a min-fill elimination
    order, whose width follows the map's treewidth) are sized from the graph first; the cheapest is
    compiled, with any other within twice its size, and the smallest circuit kept. All are exact.
    Raises :class:`ExactLimit` when even the cheapest is past :data:`MAX_STATES`. ``plan`` compiles
    one given plan (from :func:`plans`) instead.
    """
    if plan is not None:
        return _compile(amap, list(plan.order)) if plan.method == "frontier" else _compile_tree(amap, plan)
    candidates = plans(amap)
    best_plan = candidates[0]
    if best_plan.cost > MAX_STATES:
        raise ExactLimit(
            f"map {amap.id!r} is past the exact method's budget: {best_plan.width} claims must be tracked "
            f"jointly (about {best_plan.cost:,} joint states to build; the budget is {MAX_STATES:,})")
    best: Circuit | None = None
    for plan in candidates:
        if plan.cost > 2 * best_plan.cost:
            break
        circuit = compile_circuit(amap, plan)
        if best is None or len(circuit) < len(best):
            best = circuit
    assert best is not None
    return best


def _frontier_size(amap: ArgumentMap, order: list[str]) -> tuple[int, int]:
    """The widest frontier of a topological walk, and the joint entries it builds (2^frontier each step)."""
    steps = _steps(amap, order)
    remaining = {st.id: 0 for st in steps}
    for st in steps:
        for p in st.parents:
            remaining[p] += 1
    frontier: set[str] = set()
    widest = cost = 0
    for st in steps:
        cost += 2 << len(frontier)
        for p in st.parents:
            remaining[p] -= 1
            if not remaining[p]:
                frontier.discard(p)
        if remaining[st.id]:
            frontier.add(st.id)
        widest = max(widest, len(frontier))
    return widest, cost


# --- A junction tree over a min-fill elimination order --------------------------------------------
#
# Each step (claim, or partial all/any) has a table over itself and its parents. Eliminating the
# variables in a min-fill order gives each variable v a bag (v and its neighbours when eliminated),
# whose parent bag is that of the first of those neighbours to be eliminated: a junction tree whose
# widest bag follows the map's treewidth, not the width of a topological walk. One pass up and one
# down (Shafer-Shenoy) give every bag the factors of its joint, and each variable's marginal is read
# from its own bag. Propagation is lazy (Madsen and Jensen 1999): a message is a list of factors,
# and summing a variable out multiplies only the factors that mention it. Every factor is a product
# of some claims' tables (its heads) summed over some of those heads, so it is a conditional
# distribution of the heads not yet summed; a factor summed over its last such head is identically 1
# and is dropped. So a claim that nothing downstream looks at (a barren node) drops out of the
# circuit instead of staying in as a sum that is 1 only up to rounding, and no marginal depends on a
# parameter it cannot depend on. Tables are sparse: deterministic entries that are 0 are dropped.

_Table = tuple[tuple[str, ...], dict[tuple[bool, ...], int]]
# a factor: its variables, its entries, and the variables it is a conditional distribution of
_Factor = tuple[tuple[str, ...], dict[tuple[bool, ...], int], frozenset[str]]


def _moral_graph(steps: list[_Step]) -> dict[str, set[str]]:
    adj: dict[str, set[str]] = {st.id: set() for st in steps}
    for st in steps:
        family = (*st.parents, st.id)
        for i, a in enumerate(family):
            for c in family[i + 1:]:
                adj[a].add(c)
                adj[c].add(a)
    return adj


def _min_fill_order(adj: dict[str, set[str]]) -> list[str]:
    """Greedy min-fill elimination order (ties: fewer neighbours, then the map's order)."""
    import heapq

    adj = {v: set(n) for v, n in adj.items()}
    rank = {v: i for i, v in enumerate(adj)}

    def key(v: str) -> tuple[int, int]:
        nb = list(adj[v])
        fill = sum(1 for i, a in enumerate(nb) for c in nb[i + 1:] if c not in adj[a])
        return fill, len(nb)

    current = {v: key(v) for v in adj}
    heap = [(*k, rank[v], v) for v, k in current.items()]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        fill, degree, _, v = heapq.heappop(heap)
        if v not in adj or current[v] != (fill, degree):
            continue
        nb = adj.pop(v)
        for u in nb:
            adj[u].discard(v)
            adj[u] |= nb - {u}
        order.append(v)
        affected = set(nb)
        for u in nb:
            affected |= adj[u]
        for u in affected:
            k = key(u)
            if k != current[u]:
                current[u] = k
                heapq.heappush(heap, (*k, rank[u], u))
    return order


def _tree(steps: list[_Step], elim: list[str]) -> tuple[dict[str, tuple[str, ...]], dict[str, str | None],
                                                        dict[str, list[str]]]:
    """Each variable's bag (itself first), the parent of each bag, and each bag's children."""
    pos = {v: i for i, v in enumerate(elim)}
    adj = _moral_graph(steps)
    bags: dict[str, tuple[str, ...]] = {}
    for v in elim:
        nb = adj.pop(v)
        for u in nb:
            adj[u].discard(v)
            adj[u] |= nb - {u}
        bags[v] = (v, *sorted(nb, key=pos.__getitem__))
    parent = {v: (bags[v][1] if len(bags[v]) > 1 else None) for v in elim}
    children: dict[str, list[str]] = {v: [] for v in elim}
    for v, p in parent.items():
        if p is not None:
            children[p].append(v)
    return bags, parent, children


def _product(b: _Builder, f: _Table, g: _Table) -> _Table:
    fv, fe = f
    gv, ge = g
    shared = [v for v in gv if v in fv]
    extra = tuple(v for v in gv if v not in fv)
    fpos = [fv.index(v) for v in shared]
    gshared = [gv.index(v) for v in shared]
    gextra = [gv.index(v) for v in extra]
    index: dict[tuple[bool, ...], list[tuple[tuple[bool, ...], int]]] = {}
    for s, e in ge.items():
        index.setdefault(tuple(s[i] for i in gshared), []).append((tuple(s[i] for i in gextra), e))
    out: dict[tuple[bool, ...], int] = {}
    for s, e in fe.items():
        for x, e2 in index.get(tuple(s[i] for i in fpos), ()):
            m = b.mul(e, e2)
            if m != ZERO:
                out[s + x] = m
    return (fv + extra, out)


def _multiply(b: _Builder, f: _Factor, g: _Factor) -> _Factor:
    """The product of two factors, a conditional of both factors' heads together."""
    scope, entries = _product(b, f[:2], g[:2])
    return (scope, entries, f[2] | g[2])


def _sum_out(b: _Builder, f: _Factor, v: str) -> _Factor | None:
    """``f`` summed over ``v``; None when that is identically 1 (``v`` the last head of ``f``)."""
    fv, fe, free = f
    assert v in free, "a variable is summed out together with its own table"
    if free == {v}:
        return None
    i = fv.index(v)
    pairs: dict[tuple[bool, ...], list[int]] = {}
    for s, e in fe.items():
        pairs.setdefault(s[:i] + s[i + 1:], []).append(e)
    entries = {s: t for s, es in pairs.items() if (t := b.total(es)) != ZERO}
    return (fv[:i] + fv[i + 1:], entries, free - {v})


def _eliminate(b: _Builder, factors: list[_Factor], variables: set[str]) -> list[_Factor]:
    """Sum ``variables`` out of the product of ``factors``, lazily: the factors left, as a list.

    Each step takes the variable that is cheapest to sum out: one that only a conditional of it
    alone mentions (it drops out), else the one whose factors span the fewest variables.
    """
    factors = list(factors)
    remaining = set(variables)
    while remaining:
        best: tuple[tuple[int, int, str], list[int]] | None = None
        for v in remaining:
            bucket = [k for k, f in enumerate(factors) if v in f[0]]
            if len(bucket) == 1 and factors[bucket[0]][2] == {v}:
                key = (0, 0, v)
            else:
                key = (1, len(set().union(*(factors[k][0] for k in bucket))) if bucket else 0, v)
            if best is None or key < best[0]:
                best = (key, bucket)
        assert best is not None
        v = best[0][2]
        remaining.discard(v)
        bucket = best[1]
        if not bucket:
            continue
        taken = [factors[k] for k in bucket]
        factors = [f for k, f in enumerate(factors) if k not in set(bucket)]
        product = taken[0]
        for f in sorted(taken[1:], key=lambda f: len(f[1])):
            product = _multiply(b, product, f)
        summed = _sum_out(b, product, v)
        if summed is not None and summed[0]:
            factors.append(summed)
        elif summed is not None:  # a number: fold it into any remaining factor, or keep it
            factors.append(summed)
    return factors


def _compile_tree(amap: ArgumentMap, plan: Plan) -> Circuit:
    b = _Builder()
    steps = _steps(amap, list(amap.claims))
    by_id = {st.id: st for st in steps}
    elim = list(plan.order)
    pos = {v: i for i, v in enumerate(elim)}
    bags, parent, children = _tree(steps, elim)
    local: dict[str, list[_Factor]] = {v: [] for v in elim}
    for st in steps:
        entries = {}
        for pv in itertools.product((True, False), repeat=len(st.parents)):
            for x in (True, False):
                e = _table_entry(b, st, x, pv)
                if e != ZERO:
                    entries[(*pv, x)] = e
        scope = (*st.parents, st.id)
        local[min(scope, key=pos.__getitem__)].append((scope, entries, frozenset({st.id})))
    up: dict[str, list[_Factor]] = {}
    for v in elim:
        if parent[v] is not None:
            up[v] = _eliminate(b, local[v] + [f for c in children[v] for f in up[c]], {v})
    down: dict[str, list[_Factor]] = {}
    outputs: dict[str, int] = {}
    for u in reversed(elim):
        own = local[u] + down.get(u, [])
        kids = children[u]
        if by_id[u].claim is not None:
            left = _eliminate(b, own + [f for c in kids for f in up[c]], set(bags[u]) - {u})
            table: _Table = ((), {(): ONE})
            for f in left:
                table = _product(b, table, f[:2])
            outputs[u] = table[1].get((True,), ZERO) if table[0] == (u,) else ZERO
        for c in kids:
            rest = own + [f for s in kids if s != c for f in up[s]]
            down[c] = _eliminate(b, rest, set(bags[u]) - set(bags[c][1:]))
    return _finish(b, amap, outputs, plan.width)


def _compile(amap: ArgumentMap, order: list[str]) -> Circuit:
    b = _Builder()
    steps = _steps(amap, order)
    remaining_children = {st.id: 0 for st in steps}
    for st in steps:
        for p in st.parents:
            remaining_children[p] += 1
    frontier: list[str] = []
    joint: dict[tuple[bool, ...], int] = {(): ONE}
    outputs: dict[str, int] = {}
    widest = 0
    for claim in steps:
        node = claim.id
        pos = [frontier.index(p) for p in claim.parents]
        # P(parent configuration), summed over the rest of the frontier
        by_parents: dict[tuple[bool, ...], list[int]] = {}
        for state, e in joint.items():
            by_parents.setdefault(tuple(state[i] for i in pos), []).append(e)
        marginal = b.total([b.mul(b.total(es), _table_entry(b, claim, True, pv))
                            for pv, es in by_parents.items()])
        if claim.claim is not None:
            outputs[node] = marginal
        for p in claim.parents:
            remaining_children[p] -= 1
        if remaining_children[node]:
            joint = {state + (x,): b.mul(e, _table_entry(b, claim, x, tuple(state[i] for i in pos)))
                     for state, e in joint.items() for x in (True, False)}
            joint = {s: e for s, e in joint.items() if e != ZERO}
            frontier.append(node)
        keep = [i for i, n in enumerate(frontier) if remaining_children[n] > 0]
        if len(keep) < len(frontier):
            summed: dict[tuple[bool, ...], list[int]] = {}
            for state, e in joint.items():
                summed.setdefault(tuple(state[i] for i in keep), []).append(e)
            joint = {s: b.total(es) for s, es in summed.items()}
            frontier = [frontier[i] for i in keep]
        widest = max(widest, len(frontier))
    return _finish(b, amap, outputs, widest)


def _finish(b: _Builder, amap: ArgumentMap, outputs: dict[str, int], width: int) -> Circuit:
    """The circuit of ``outputs``, each free of parameters its node cannot depend on, compacted.

    P(node) depends only on the parameters of the node and its ancestors. An elimination that serves
    every node at once can leave others in a node's expression, in sums that are 1 only up to rounding
    (a descendant's p + (1 - p)). Those parameters are set to 0 in that node's expression: any value
    gives the same polynomial, and 0 makes the builder drop the dead terms exactly. The map's targets
    are always cleaned; other nodes while the work stays within CLEAN_WORK times the circuit's size
    (on large maps the rest keep expressions equal up to rounding).
    """
    index = {op[1]: k for k, op in enumerate(b.ops) if op[0] == "param"}
    bit = {i: 1 << k for k, i in enumerate(index.values())}
    mask = [0] * len(b.ops)
    for i, op in enumerate(b.ops):
        if op[0] == "param":
            mask[i] = bit[i]
        elif op[0] != "const":
            for j in op[1:]:
                mask[i] |= mask[j]
    own: dict[str, int] = {n: 0 for n in amap.claims}
    for name, i in index.items():
        node = b.owner.get(name) or amap.parameters[name].node
        own[node] |= bit[i]
    allowed: dict[str, int] = {}
    for n in amap.topological_order():
        allowed[n] = own[n]
        for p in amap.claims[n].parents:
            allowed[n] |= allowed[p]
    clean = dict(outputs)
    budget = CLEAN_WORK * len(b.ops)
    # the map's targets first, then every node in the map's order, while the work stays in budget
    for n in dict.fromkeys([amap.target, *amap.targets, *outputs]):
        out = outputs[n]
        barren = mask[out] & ~allowed[n]
        if not barren:
            continue
        if budget <= 0 and n not in (amap.target, *amap.targets):
            break
        memo: dict[int, int] = {}

        def rebuild(i: int, barren: int = barren, memo: dict[int, int] = memo) -> int:
            # iterative (circuits can be deeper than Python's recursion limit); a product whose first
            # rebuilt factor is 0 is 0 without rebuilding the other
            stack = [i]
            while stack:
                k = stack[-1]
                if k in memo:
                    stack.pop()
                    continue
                op = b.ops[k]
                if op[0] == "param":
                    memo[k] = ZERO
                    stack.pop()
                    continue
                args = sorted(op[1:], key=lambda j: b.ops[j][0] != "param")
                pending = None
                done = []
                for j in args:
                    if not mask[j] & barren:
                        done.append(j)
                    elif j in memo:
                        done.append(memo[j])
                    else:
                        pending = j
                        break
                if op[0] == "mul" and ZERO in done:
                    memo[k] = ZERO
                    stack.pop()
                elif pending is not None:
                    stack.append(pending)
                else:
                    stack.pop()
                    memo[k] = (b.comp(done[0]) if op[0] == "comp" else
                               b.mul(*done) if op[0] == "mul" else b.add(*done))
            return memo[i]
        clean[n] = rebuild(out)
        budget -= len(memo)
    return _compact(b, amap, clean, width)


def _compact(b: _Builder, amap: ArgumentMap, outputs: dict[str, int], width: int) -> Circuit:
    """Only the operations the outputs need, renumbered in order (the constants first)."""
    needed = sorted(_needed_ops(b.ops, set(outputs.values())) | {ZERO, ONE})
    new = {old: k for k, old in enumerate(needed)}
    ops = []
    for i in needed:
        op = b.ops[i]
        ops.append(op if op[0] in ("const", "param") else (op[0], *(new[j] for j in op[1:])))
    used = {op[1] for op in ops if op[0] == "param"}
    return Circuit(ops=tuple(ops), outputs={n: new[outputs[n]] for n in amap.claims},
                   parameters=tuple(amap.parameters), max_frontier=width,
                   derived={k: v for k, v in b.derived.items() if k in used})


def _needed_ops(ops: Any, wanted: set[int]) -> set[int]:
    needed: set[int] = set()
    stack = list(wanted)
    while stack:
        i = stack.pop()
        if i in needed:
            continue
        needed.add(i)
        op = ops[i]
        if op[0] in ("comp", "mul", "add"):
            stack.extend(op[1:])
    return needed


_CACHE: dict[tuple, Circuit] = {}
_CACHE_SIZE = 16


def structure(amap: ArgumentMap) -> tuple:
    """What the circuit of a map depends on: its claims' kinds and links, and its targets."""
    return (amap.target, tuple(amap.targets),
            tuple((c.id, c.kind, c.parents, c.chance, c.template, c.counts) for c in amap.claims.values()))


def circuit_for(amap: ArgumentMap) -> Circuit:
    """The compiled circuit of a map, built once per map structure (the last few are kept).

    A map read again from an unchanged or reworded file (``argmap estimate --watch``) reuses it.
    """
    key = structure(amap)
    hit = _CACHE.pop(key, None)
    if hit is None:
        hit = compile_circuit(amap)
    _CACHE[key] = hit  # most recently used last
    while len(_CACHE) > _CACHE_SIZE:
        del _CACHE[next(iter(_CACHE))]
    return hit


def evaluate(circuit: Circuit, values: Mapping[str, Any], nodes: list[str] | None = None) -> dict[str, Any]:
    """Run the circuit on parameter values: floats, numpy arrays (a batch) or PyTensor tensors.

    Only the operators ``*``, ``+`` and ``1 - x`` are used, so the result has the type of the
    inputs: arrays in, arrays out; symbolic tensors in, a differentiable graph out.
    """
    missing = [p for p in circuit.parameters if p not in values]
    if missing:
        raise KeyError(f"no value for parameters {missing}")
    if circuit.derived:
        values = {**values, **{name: none_of(values[pid], counts) for name, (pid, counts)
                               in circuit.derived.items() if name not in values}}
    wanted = set(circuit.outputs.values()) if nodes is None else {circuit.outputs[n] for n in nodes}
    needed = _needed(circuit, wanted)
    last_use: dict[int, int] = {}
    for i in sorted(needed):
        for j in circuit.ops[i][1:] if circuit.ops[i][0] in ("comp", "mul", "add") else ():
            last_use[j] = i
    v: list[Any] = [None] * len(circuit.ops)
    for i in sorted(needed):
        op = circuit.ops[i]
        kind = op[0]
        if kind == "const":
            v[i] = op[1]
        elif kind == "param":
            v[i] = values[op[1]]
        elif kind == "comp":
            v[i] = 1.0 - v[op[1]]
        elif kind == "mul":
            v[i] = v[op[1]] * v[op[2]]
        else:
            v[i] = v[op[1]] + v[op[2]]
        for j in op[1:] if kind in ("comp", "mul", "add") else ():
            if last_use[j] == i and j not in wanted:
                v[j] = None  # free intermediates: a batch of draws makes each one large
    return {n: v[i] for n, i in circuit.outputs.items() if nodes is None or n in nodes}


def peak_live(circuit: Circuit) -> int:
    """The most intermediate values :func:`evaluate` holds at once for all outputs (outputs included).

    With a batch of n draws each is an array of n floats, so this sizes the chunks of a run.
    """
    wanted = set(circuit.outputs.values())
    needed = _needed(circuit, wanted)
    computed = ("comp", "mul", "add")
    last_use: dict[int, int] = {}
    for i in sorted(needed):
        if circuit.ops[i][0] in computed:
            for j in circuit.ops[i][1:]:
                last_use[j] = i
    live = peak = 0
    for i in sorted(needed):
        op = circuit.ops[i]
        if op[0] not in computed:
            continue
        live += 1
        peak = max(peak, live)
        for j in set(op[1:]):
            if last_use[j] == i and j not in wanted and circuit.ops[j][0] in computed:
                live -= 1
    return peak


def none_of(q: Any, counts: tuple[tuple[int, float], ...]) -> Any:
    """P(none of N independent copies holds) = sum_k w_k (1 - q)^N_k, for numbers, arrays or tensors."""
    total: Any = 0.0
    for n, w in counts:
        total = total + w * (1.0 - q) ** n
    return total


def derived_moments(circuit: Circuit, priors: Any) -> dict[str, tuple[float, float]]:
    """Mean and variance of each derived parameter under its Beta prior, exactly.

    For q ~ Beta(a, b), E[(1 - q)^N] = B(a, b + N) / B(a, b), so E[u] and E[u^2] are finite sums.
    """
    if not circuit.derived:
        return {}
    import math

    from scipy.special import betaln

    out = {}
    for name, (pid, counts) in circuit.derived.items():
        prior = priors.entries[pid]
        if prior.fixed:
            out[name] = (float(none_of(prior.value, counts)), 0.0)
            continue

        def moment(n: int, a: float = prior.a, b: float = prior.b) -> float:
            return math.exp(betaln(a, b + n) - betaln(a, b))
        mean = sum(w * moment(n) for n, w in counts)
        second = sum(w1 * w2 * moment(n1 + n2) for n1, w1 in counts for n2, w2 in counts)
        out[name] = (mean, max(0.0, second - mean**2))
    return out


def moment_values(amap: ArgumentMap, priors: Any) -> dict[str, float]:
    """The values at which the circuit gives every node's exact expected probability under the priors.

    Every node's probability is linear in each parameter's one use, and the priors are independent,
    so E[P(node)] is the circuit at the parameters' means, with each at_least_one_of node's derived
    parameter at its own exact mean (not at (1 - mean)^N).
    """
    circuit = circuit_for(amap)
    values: dict[str, float] = dict(priors.means())
    values.update({name: m for name, (m, _) in derived_moments(circuit, priors).items()})
    return values


def set_value(values: Mapping[str, Any], circuit: Circuit, pid: str, value: Any) -> dict[str, Any]:
    """``values`` with one parameter set to ``value``: its derived parameters follow it exactly."""
    out = {k: v for k, v in values.items() if circuit.derived.get(k, ("",))[0] != pid}
    out[pid] = value
    return out


def shifted_moments(circuit: Circuit, priors: Any, means: Mapping[str, float]) -> dict[str, float]:
    """Each derived parameter's exact mean when its parameter's prior is moved to a new mean, its
    concentration a + b kept: E[(1 - q)^N] for q ~ Beta(m (a + b), (1 - m) (a + b))."""
    import math

    from scipy.special import betaln

    out = {}
    for name, (pid, counts) in circuit.derived.items():
        prior, m = priors.entries[pid], means[pid]
        if prior.fixed or not 0 < m < 1:
            out[name] = float(none_of(m, counts))
            continue
        a, b = m * (prior.a + prior.b), (1 - m) * (prior.a + prior.b)
        out[name] = sum(w * math.exp(betaln(a, b + n) - betaln(a, b)) for n, w in counts)
    return out


def depends_on(circuit: Circuit, node: str, parameter: str) -> bool:
    """Whether P(node) uses the parameter (a map parameter or a derived one)."""
    index = next((i for i, op in enumerate(circuit.ops) if op == ("param", parameter)), None)
    return index is not None and index in _needed(circuit, {circuit.outputs[node]})


def _needed(circuit: Circuit, wanted: set[int]) -> set[int]:
    return _needed_ops(circuit.ops, wanted)


def exact_probabilities(amap: ArgumentMap, values: Mapping[str, Any]) -> dict[str, Any]:
    """P(node) for every node of ``amap`` at the given parameter values, exactly.

    Parameters
    ----------
    amap : ArgumentMap
    values : mapping of str to float or array
        Every parameter of the map; arrays of one length are a batch of draws.

    Returns
    -------
    dict of str to float or array
        Each node's probability.
    """
    return evaluate(circuit_for(amap), values)

__all__ = ["Circuit", "ExactLimit", "Plan", "plans", "peak_live", "compile_circuit", "circuit_for", "evaluate", "exact_probabilities", "moment_values",
           "derived_moments", "none_of", "depends_on", "set_value", "shifted_moments"]

