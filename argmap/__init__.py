"""argmap: probabilistic argument maps.

The public API. Names are imported on first use, so ``import argmap`` (and the CLI's start-up) stays
fast; see docs/ for the formats and the maths.

>>> import argmap
>>> amap = argmap.load_map("deceptive-alignment")
>>> priors = argmap.load_priors("wheaton", amap=amap)
>>> argmap.estimate(amap, priors).result.exact_mean  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "ArgmapError",
    "ArgumentMap",
    "Claim",
    "Estimate",
    "Implied",
    "Priors",
    "Sensitivity",
    "build_model",
    "compare",
    "cruxes",
    "estimate",
    "exact_probabilities",
    "implied",
    "load_map",
    "load_priors",
    "pool",
    "select",
    "select_each",
    "sensitivity",
]

_WHERE = {
    "ArgmapError": "argmap.errors",
    "ArgumentMap": "argmap.maps",
    "Claim": "argmap.maps",
    "load_map": "argmap.maps",
    "Priors": "argmap.priors",
    "load_priors": "argmap.priors",
    "exact_probabilities": "argmap.exact",
    "build_model": "argmap.model",
    "Estimate": "argmap.analyses.estimate",
    "estimate": "argmap.analyses.estimate",
    "Sensitivity": "argmap.analyses.sensitivity",
    "Implied": "argmap.analyses.implied",
    "compare": "argmap.analyses.compare",
    "cruxes": "argmap.analyses.compare",
    "pool": "argmap.analyses.compare",
    "select": "argmap.selection",
    "select_each": "argmap.selection",
    "implied": "argmap.analyses.implied",
    "sensitivity": "argmap.analyses.sensitivity",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'argmap' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
