"""Lexicons against their sources: IPCC ranges, and a refit of the probability-words survey."""

from __future__ import annotations

import pytest
from scipy import stats

from argmap.lexicons import fit_survey, load_lexicon
from tests.conftest import SHARED

IPCC_AR5 = {  # Mastrandrea et al. (2010), Table 1
    "virtually certain": (0.99, 1.0), "extremely likely": (0.95, 1.0), "very likely": (0.90, 1.0),
    "likely": (0.66, 1.0), "more likely than not": (0.5, 1.0), "about as likely as not": (0.33, 0.66),
    "unlikely": (0.0, 0.33), "very unlikely": (0.0, 0.10), "extremely unlikely": (0.0, 0.05),
    "exceptionally unlikely": (0.0, 0.01),
}


def assert_uniform_moments(lexicon: str, phrase: str, rng: tuple[float, float]) -> None:
    """The phrase's Beta has the mean and variance of the uniform distribution on its range (scipy)."""
    r = load_lexicon(lexicon).read(phrase)
    m, v = stats.beta.stats(r.a, r.b, moments="mv")
    u = stats.uniform(rng[0], rng[1] - rng[0])
    assert float(m) == pytest.approx(u.mean(), rel=1e-9) and float(v) == pytest.approx(u.var(), rel=1e-9)


@pytest.mark.parametrize("phrase, rng", IPCC_AR5.items())
def test_ipcc_terms_have_the_moments_of_their_range(phrase: str, rng: tuple[float, float]) -> None:
    assert_uniform_moments("ipcc", phrase, rng)


def test_lookup_ignores_case_and_spacing() -> None:
    assert load_lexicon("ipcc").read("  Very   Unlikely ").phrase == "very unlikely"


def test_mirror_is_the_reflected_beta() -> None:
    survey = load_lexicon("survey")
    pos, neg = survey.read("almost certainly"), survey.read("almost certainly not")
    assert (neg.a, neg.b) == (pos.b, pos.a)


@pytest.mark.skipif(not (SHARED / "data" / "probability-words-survey.csv").is_file(),
                    reason="the survey CSV lives in ../shared/data, beside the repository")
def test_shipped_survey_betas_are_the_fit_of_the_survey() -> None:
    fits = fit_survey(SHARED / "data" / "probability-words-survey.csv")
    survey = load_lexicon("survey")
    assert len(fits) == 17
    for phrase, fit in fits.items():
        r = survey.read(phrase)
        assert (r.a, r.b) == pytest.approx(tuple(fit["beta"]), abs=1e-3), phrase


def test_survey_betas_keep_the_phrases_in_order() -> None:
    """An outside check on the fit: the published ordering of the Kent-style scale is preserved."""
    s = load_lexicon("survey")
    order = ["almost no chance", "highly unlikely", "unlikely", "probably not", "about even",
             "probably", "highly likely", "almost certainly"]
    means = [s.read(p).mean for p in order]
    assert means == sorted(means)


@pytest.mark.parametrize("phrase, rng", [("very unlikely", (0.0, 0.01)), ("highly unlikely", (0.0, 0.01)),
                                         ("very likely", (0.99, 1.0)), ("highly likely", (0.99, 1.0))])
def test_the_posts_gloss_has_the_moments_of_its_range(phrase: str, rng: tuple[float, float]) -> None:
    assert_uniform_moments("wheaton-gloss", phrase, rng)


def test_the_gloss_is_in_the_post() -> None:
    post = SHARED / "seeds" / "wheaton-deceptive-alignment-under-1-percent.txt"
    if not post.is_file():
        pytest.skip("the seed post lives in ../shared/seeds, beside the repository")
    assert "highly unlikely (<1%)" in post.read_text(encoding="utf-8")
