"""Lexicons: how a verbal probability phrase ('very unlikely') becomes a Beta prior.

Two are shipped (docs/lexicons.md): ``ipcc``, the IPCC AR5 calibrated likelihood scale, each range
read as a uniform distribution and matched by a Beta with the same mean and variance; and
``survey``, Betas fitted to how 46 people read 17 phrases. A lexicon may list mirrors: a negated
phrase ('almost certainly not') is the mirror image Beta(b, a) of its positive form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from argmap.errors import PriorsError
from argmap.files import did_you_mean, read_toml
from argmap.fitting import beta_from_range
from argmap.resources import LEXICONS_DIR, shipped_names

DEFAULT_LEXICON = "ipcc"


@dataclass(frozen=True)
class Reading:
    """One phrase of a lexicon and the Beta it stands for."""

    phrase: str
    a: float
    b: float
    basis: str  # where the numbers come from, for docs and `why`

    @property
    def mean(self) -> float:
        """The Beta's mean."""
        return self.a / (self.a + self.b)


@dataclass(frozen=True)
class Lexicon:
    """A named set of phrases with their Betas and the source they come from."""

    name: str
    title: str
    source: str
    method: str
    readings: dict[str, Reading]
    # the probability range each phrase names, for lexicons defined by ranges (IPCC)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    def read(self, phrase: str) -> Reading:
        """The Beta for a phrase (case and spacing ignored), or a ``ValueError`` with the options."""
        key = normalise(phrase)
        if key in self.readings:
            return self.readings[key]
        others = [n for n in shipped_names(LEXICONS_DIR) if n != self.name
                  and key in load_lexicon(n).readings]
        where = (f"; it is in lexicon {others[0]!r}: add lexicon = \"{others[0]}\" to the entry"
                 if others else "; " + did_you_mean(key, self.readings))
        raise ValueError(f"phrase {phrase!r} is not in lexicon {self.name!r}{where}")


def normalise(phrase: str) -> str:
    """Lower case with single spaces: the form phrases are looked up in."""
    return re.sub(r"\s+", " ", phrase.strip().lower())


@cache
def load_lexicon(name: str) -> Lexicon:
    """Load a shipped lexicon by name."""
    path = LEXICONS_DIR / f"{name}.toml"
    if not path.is_file():
        raise PriorsError(f"lexicon {name!r} does not exist; "
                          + did_you_mean(name, shipped_names(LEXICONS_DIR)))
    return _parse(read_toml(path), path)


def _parse(data: dict, path: Path) -> Lexicon:
    readings: dict[str, Reading] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for phrase, entry in data["phrase"].items():
        if "range" in entry:
            lo, hi = entry["range"]
            ranges[normalise(phrase)] = (float(lo), float(hi))
            a, b = beta_from_range(lo, hi)
            basis = f"{data['title']}: {lo:.0%}-{hi:.0%}, read as uniform"
        else:
            a, b = entry["beta"]
            basis = f"{data['title']}: {entry['basis']}"
        readings[normalise(phrase)] = Reading(normalise(phrase), float(a), float(b), basis)
    for phrase, positive in data.get("mirror", {}).items():
        r = readings[normalise(positive)]
        readings[normalise(phrase)] = Reading(normalise(phrase), r.b, r.a,
                                              f"mirror of {r.phrase!r} ({r.basis})")
    return Lexicon(name=data["name"], title=data["title"], source=data["source"],
                   method=data["method"], readings=readings, ranges=ranges)


REVERSED_MARGIN = 0.20  # how far past 50% an answer must lie, on the wrong side, to count as reversed


def fit_survey(csv_path: Path) -> dict[str, dict]:
    """Fit a Beta per phrase of the probability-words survey (percent answers, one column a phrase).

    An answer on the other side of 50% from the phrase's median, and more than 20 points past 50%
    (95% for 'almost no chance'), is taken as a respondent who reversed the scale and left out. The
    Beta then has the mean and standard deviation of the remaining answers (method of moments).
    """
    import csv

    import numpy as np

    from argmap.fitting import beta_from_mean_sd

    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], np.array(rows[1:], dtype=float) / 100
    out = {}
    for j, phrase in enumerate(header):
        answers = body[:, j]
        side = np.sign(np.median(answers) - 0.5)
        reversed_ = side * (answers - 0.5) < -REVERSED_MARGIN
        kept = answers[~reversed_]
        a, b = beta_from_mean_sd(float(kept.mean()), float(kept.std(ddof=1)))
        out[normalise(phrase)] = {"beta": [round(a, 3), round(b, 3)], "answers": len(answers),
                                  "dropped": int(reversed_.sum()),
                                  "mean": round(float(kept.mean()), 4),
                                  "sd": round(float(kept.std(ddof=1)), 4)}
    return out
