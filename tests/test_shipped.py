"""The shipped maps and priors: faithful to their sources, quoted verbatim, and a hand-derived oracle."""

from __future__ import annotations

import json
import os
import re
import tomllib

import numpy as np
import pytest

from argmap.exact import circuit_for, evaluate
from argmap.maps import load_map
from argmap.priors import combine, load_priors, load_priors_file
from argmap.resources import MAPS_DIR, priors_dir, shipped_names
from tests.benchmarks.handwritten import node_probabilities
from tests.conftest import SHARED

SHIPPED_MAPS = shipped_names(MAPS_DIR)
SHIPPED_PRIORS = shipped_names(priors_dir())
SEEDS = SHARED / "seeds"
POSTS = {"wheaton": "wheaton-deceptive-alignment-under-1-percent.txt",
         "monitoring-2022": "hubinger-monitoring-for-deceptive-alignment.txt"}


def normalised(text: str) -> str:
    """Lower case, curly quotes made straight, runs of white space made one space."""
    for curly, straight in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(curly, straight)
    return re.sub(r"\s+", " ", text).strip().lower()


def seed_text(name: str) -> str:
    path = SEEDS / POSTS[name]
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI runs with shared/ beside the clone")
        pytest.skip(f"{path} is not here (shared/ sits beside the repository in CI)")
    return normalised(path.read_text(encoding="utf-8"))


def raw_priors(name: str) -> dict:
    return tomllib.loads((priors_dir() / f"{name}.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", SHIPPED_MAPS)
def test_every_node_has_claim_section_and_group(name: str) -> None:
    amap = load_map(name)
    for c in amap.claims.values():
        assert len(c.claim) > 30 and c.section and c.group and c.short, c.id
        assert c.group in amap.group_titles, (c.id, c.group)


@pytest.mark.parametrize("name", SHIPPED_PRIORS)
def test_shipped_priors_cover_their_map(name: str) -> None:
    f = load_priors_file(name)
    maps = SHIPPED_MAPS if name == "agnostic" else [f.map]
    for m in maps:
        amap = load_map(m)
        assert set(combine([f], amap).entries) == set(amap.parameters)


@pytest.mark.parametrize("name", SHIPPED_MAPS)
def test_every_map_runs_with_its_default_priors(name: str) -> None:
    amap = load_map(name)
    priors = load_priors(amap.default_priors or "wheaton", amap=amap)
    assert set(priors.entries) == set(amap.parameters)


@pytest.mark.parametrize("name", sorted(POSTS))
def test_every_quote_appears_verbatim_in_the_post(name: str) -> None:
    post = seed_text(name)
    raw = raw_priors(name)
    quotes = [(pid, e["quote"]) for pid, e in raw["priors"].items() if isinstance(e, dict) and "quote" in e]
    quotes += [(s["node"], s["quote"]) for s in raw.get("statement", []) if "quote" in s]
    assert quotes
    for pid, quote in quotes:
        assert normalised(quote) in post, (pid, quote)


def test_the_map_cites_headings_and_words_the_post_has() -> None:
    """Each heading a node's section names, and each phrase it quotes, is in the post."""
    post = seed_text("wheaton")
    for c in load_map("deceptive-alignment").claims.values():
        for quoted in re.findall(r"'([^']+)'", c.section):
            assert normalised(quoted) in post, (c.id, quoted)
        text = re.sub(r"\([^)]*\)", "", c.section)
        for heading in text.split(";"):
            heading = heading.split(":", 1)[-1].strip()
            if heading and heading != "Summary" and not heading.endswith("its last paragraph"):
                assert normalised(heading) in post, (c.id, heading)


def test_every_wheaton_prior_says_where_its_number_comes_from() -> None:
    """A quote, a stated implication with a fixed value, or an explicit 'unstated' with a uniform prior."""
    for pid, entry in raw_priors("wheaton")["priors"].items():
        assert isinstance(entry, dict) and len(entry.get("why", "")) > 40, pid
        shape = {k for k in entry if k not in ("why", "source", "lexicon", "quote", "logical", "unstated")}
        if entry.get("unstated"):
            assert "quote" not in entry, pid
            if "value" in entry:  # a possibility the post grants: granted in full, raising the target
                assert entry["value"] == 1 and entry["why"].startswith("Granted in full"), pid
            else:
                assert entry.get("beta") == [1, 1], pid
                assert "stands in for that silence" in entry["why"], pid
        elif "logical" in entry:
            assert shape == {"value"} and entry["value"] in (0, 1), pid
        else:  # a phrase read from quoted words, or a flat statement quoted and read as 0 or 1
            assert shape in ({"phrase"}, {"value"}) and entry.get("quote"), pid
            if "value" in entry:
                assert entry["value"] in (0, 1) and "states this flatly" in entry["why"], pid


def test_no_uniform_prior_is_labelled_as_a_belief() -> None:
    for name in SHIPPED_PRIORS:
        for pid, entry in raw_priors(name).get("priors", {}).items():
            if isinstance(entry, dict) and entry.get("beta") == [1, 1] and name != "agnostic":
                assert entry.get("unstated") is True, (name, pid)


def test_the_authors_words_carry_the_default_target(cli) -> None:
    """Under wheaton, no parameter without a quote, a fixed value or a logical link has S1 > 0.05."""
    r = cli("sensitivity", "--json", "--samples", "4096")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    amap = load_map("deceptive-alignment")
    assert doc["target"] == amap.target
    priors = load_priors("wheaton", amap=amap)
    rows = {row["parameter"]: row for row in doc["rows"]}
    assert set(rows) == set(priors.uncertain)
    for pid, row in rows.items():
        p = priors.entries[pid]
        if not (p.quote or p.fixed or p.logical):
            assert row["s1"] <= 0.05, (pid, row["s1"])


# Files whose step readings are ours, chosen so that their author's stated figure holds: the figure
# is a statement about a derived node, and the test checks the steps land inside it.
CALIBRATED = ["carlsmith-2023", "hubinger-2022"]


@pytest.mark.parametrize("name", CALIBRATED)
def test_rival_views_land_inside_their_stated_figures(name: str) -> None:
    f = load_priors_file(name)
    amap = load_map(f.map)
    priors = combine([f], amap)
    assert priors.statements
    exact = evaluate(circuit_for(amap), priors.means())
    for s in priors.statements:
        cond = next((c for c in amap.conditionals if c.id == s.node), None)
        value = exact[cond.numerator] / exact[cond.denominator] if cond else exact[s.node]
        assert s.holds(float(value)), (s.describe(), value)


def test_rival_files_say_their_step_readings_are_ours() -> None:
    for name in ["carlsmith-2023", "hubinger-2022", "lesswrong-comment-wgdc", "belrose-pope-2024"]:
        for pid, entry in raw_priors(name)["priors"].items():
            assert entry["why"].startswith(("Our", "Ours", "A condition", "The same")), (name, pid)


@pytest.mark.parametrize("name", SHIPPED_PRIORS)
def test_circuit_matches_hand_derived_formulas_on_shipped_map(name: str) -> None:
    amap = load_map("deceptive-alignment")
    priors = combine([load_priors_file(name)], amap)
    rng = np.random.default_rng(11)
    values = {pid: p.value if p.fixed else rng.beta(p.a, p.b, size=2000) for pid, p in priors.entries.items()}
    ours = evaluate(circuit_for(amap), values)
    hand = node_probabilities(values)
    assert set(hand) == set(amap.claims)
    for node in amap.claims:
        np.testing.assert_allclose(np.broadcast_to(ours[node], (2000,)), hand[node], rtol=0, atol=1e-12,
                                   err_msg=node)


def test_hand_formulas_at_random_table_values() -> None:
    """Not only at the shipped priors: every parameter uniform on [0, 1]."""
    amap = load_map("deceptive-alignment")
    rng = np.random.default_rng(5)
    values = {pid: rng.uniform(size=500) for pid in amap.parameters}
    ours, hand = evaluate(circuit_for(amap), values), node_probabilities(values)
    for node in amap.claims:
        np.testing.assert_allclose(ours[node], hand[node], atol=1e-12, err_msg=node)


def test_no_state_the_post_calls_impossible_has_probability() -> None:
    """Long horizons imply goal-directedness: P(long horizons first and base goal first) is 0."""
    amap = load_map("deceptive-alignment")
    probe = amap.with_nodes([__import__("argmap.maps", fromlist=["Claim"]).Claim(
        id="impossible", claim="", kind="all",
        parents=("long_term_goals_before_base_goal", "base_goal_before_goal_directedness"))])
    for name in ["wheaton", "hubinger-2022"]:
        priors = load_priors(name, amap=amap)
        assert evaluate(circuit_for(probe), priors.means(), nodes=["impossible"])["impossible"] == 0
