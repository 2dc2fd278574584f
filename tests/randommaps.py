"""Seeded random maps for tests and benchmarks: claims, in-degree, window and kinds chosen by the caller.

Parents are drawn from the ``window`` claims before each claim (``None``: from all earlier claims), so
claims share ancestors by construction; the kinds mix ``given``, ``all``, ``any`` (with and without
their own chance) and ``not``. :func:`random_priors` gives every parameter a Beta with shape
parameters between 0.5 and 5 (or, with ``scalar=True``, a number drawn uniformly).
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.conftest import map_text, priors_text

KINDS = ("root", "given", "all", "any", "not")


def random_map_text(claims: int, *, seed: int, window: int | None = 8, max_parents: int = 3,
                    weights: tuple[float, ...] = (0.12, 0.17, 0.27, 0.27, 0.17), map_id: str = "random") -> str:
    """A map of ``claims`` claims, each with 1 to ``max_parents`` parents among the ``window`` before it."""
    rng = random.Random(seed)
    nodes: list[dict] = []
    for i in range(claims):
        lo = 0 if window is None else max(0, i - window)
        earlier = [f"c{j}" for j in range(lo, i)]
        kind = rng.choices(KINDS, weights)[0] if earlier else "root"
        node: dict = {"id": f"c{i}"}
        k = rng.randint(1, min(max_parents, len(earlier))) if earlier else 0
        if kind == "given":
            node["given"] = rng.sample(earlier, k)
        elif kind in ("all", "any"):
            node[kind] = rng.sample(earlier, max(k, min(2, len(earlier))))
            node["chance"] = rng.random() < 0.5
        elif kind == "not":
            node["not"] = rng.choice(earlier)
        nodes.append(node)
    return map_text(nodes, target=f"c{claims - 1}", map_id=map_id)


def random_priors(parameters: list[str], *, seed: int, scalar: bool = False) -> dict[str, object]:
    """A prior for every parameter: a Beta with shapes in [0.5, 5], or (``scalar``) a fixed number."""
    rng = random.Random(seed)
    if scalar:
        return {p: round(rng.uniform(0.02, 0.98), 6) for p in parameters}
    return {p: {"beta": [round(rng.uniform(0.5, 5), 3), round(rng.uniform(0.5, 5), 3)]} for p in parameters}


def write_random(folder: Path, claims: int, *, seed: int, window: int | None = 8,
                 max_parents: int = 3, scalar: bool = False) -> tuple[Path, Path]:
    """Write ``random.toml`` and ``random-priors.toml`` into ``folder``; returns their paths."""
    import tomllib

    from argmap.maps import parse_map

    text = random_map_text(claims, seed=seed, window=window, max_parents=max_parents)
    amap = parse_map(tomllib.loads(text))
    map_path = folder / "random.toml"
    map_path.write_text(text)
    priors_path = folder / "random-priors.toml"
    priors_path.write_text(priors_text(random_priors(list(amap.parameters), seed=seed, scalar=scalar),
                                       name="random", map=str(map_path)))
    return map_path, priors_path
