"""Docs as tests: the examples in docs/ load, and the README's sample matches what argmap computes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from argmap.maps import parse_map
from argmap.priors import load_priors_file, parse_prior

ROOT = Path(__file__).resolve().parents[1]


def toml_blocks(path: Path) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("doc", ["formats.md", "priors.md"])
def test_every_toml_example_loads(doc: str, tmp_path: Path) -> None:
    blocks = toml_blocks(ROOT / "docs" / doc)
    assert blocks
    for i, block in enumerate(blocks):
        data = tomllib.loads(block)
        if "node" in data:
            parse_map(data, f"{doc} example {i}")
            continue
        if {"include", "lever", "conditional", "monitoring"} & set(data):  # a fragment of map keys
            from argmap.maps import MAP_KEYS

            assert set(data) <= set(MAP_KEYS[""]), set(data) - set(MAP_KEYS[""])
            for key in set(data.get("monitoring", {})):
                assert key in MAP_KEYS["monitoring"], key
            continue
        if {"test", "model", "method", "evidence"} & set(data):  # an evidence file
            from argmap.evidence import load_evidence_document

            path = tmp_path / f"evidence{i}.toml"
            path.write_text(block)
            load_evidence_document(path)
            continue
        if "extends" in data:
            path = tmp_path / f"example{i}.toml"
            path.write_text(block)
            load_priors_file(path)
        else:
            for pid, raw in data["priors"].items():
                parse_prior(pid, raw, f"{doc} example {i}", data.get("lexicon", "ipcc"))


def test_docs_link_to_existing_files() -> None:
    for md in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+\.md)", md.read_text()):
            assert (md.parent / target).is_file(), (md.name, target)


def test_readme_sample_is_current(cli) -> None:
    """The sample's exact means (which do not depend on the random draws) match a fresh run."""
    readme = (ROOT / "README.md").read_text()
    sample = readme[readme.index("<!-- sample: argmap estimate -->"):readme.index("<!-- /sample -->")]
    shown = re.search(r"exact mean\s*│\s*([\d.]+%)\s*│\s*([\d.]+%)", sample)
    assert shown, "the README sample has no exact-mean row"
    r = cli("estimate", "--draws", "1000")
    fresh = re.search(r"exact mean\s*│\s*([\d.]+%)\s*│\s*([\d.]+%)", r.stdout)
    assert fresh and shown.groups() == fresh.groups()


def _all_samples() -> list[tuple[str, str, str, str]]:
    from tests.regenerate_docs import documents, samples

    return [(path.name, cmd, lang, shown) for path in documents()
            for cmd, lang, shown in samples(path.read_text(encoding="utf-8"))]


def _sample_params() -> list:
    """Samples that sample a posterior with NUTS take a minute each: they run under -m slow."""
    return [pytest.param(*s, id=f"{s[0]}: {s[1]}",
                         marks=[pytest.mark.slow] if "--nuts" in s[1] else [])
            for s in _all_samples()]


def _all_tables() -> list:
    from tests.regenerate_docs import documents, tables

    # the table of every evidence file runs nine estimates on the two larger maps: under -m slow
    return [pytest.param(path.name, name, shown, id=f"{path.name}: {name}",
                         marks=[pytest.mark.slow] if name == "evidence_directions" else [])
            for path in documents() for name, shown in tables(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("doc, name, shown", _all_tables())
def test_every_generated_table_is_current(doc: str, name: str, shown: str) -> None:
    """Each generated table (its numbers in prose form) is what the code computes now."""
    from tests.regenerate_docs import TABLES

    assert shown == TABLES[name](), f"{doc}: run python -m tests.regenerate_docs"


@pytest.mark.parametrize("doc, command, lang, shown", _sample_params())
def test_every_embedded_output_is_current(doc: str, command: str, lang: str, shown: str) -> None:
    """Each sample block is exactly what the command prints now (python -m tests.regenerate_docs)."""
    from tests.regenerate_docs import run

    assert shown == run(command, raw=bool(lang)), f"{doc}: run python -m tests.regenerate_docs"


def test_the_tutorial_runs_from_an_empty_folder_as_written(tmp_path) -> None:
    """docs/tutorial.md's files written and commands run in order, in an empty folder: each command
    prints what the tutorial shows (its numbers included)."""
    from tests.regenerate_docs import walk

    steps = walk((ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8"), tmp_path)
    assert len(steps) >= 6
    for command, shown, produced in steps:
        assert shown == produced, f"{command}: run python -m tests.regenerate_docs"


def test_the_example_page_is_current() -> None:
    """docs/example-page.html is what argmap page writes now (python -m tests.page_screenshot)."""
    from tests.page_screenshot import PAGE, example_page_text

    assert PAGE.read_text(encoding="utf-8") == example_page_text(), "run python -m tests.page_screenshot"


def test_readme_prose_numbers_are_current() -> None:
    """The headline paragraph's figures are the exact means the code computes."""
    import argmap
    from argmap.render import pct

    readme = (ROOT / "README.md").read_text()
    amap = argmap.load_map("deceptive-alignment")
    for name in ("wheaton", "wheaton-ipcc-reading"):
        priors = argmap.load_priors(name, amap=amap)
        value = argmap.exact_probabilities(amap, priors.means())[amap.target]
        assert f" {pct(value)}" in readme, (name, pct(value))


def test_readme_has_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert 'pip install ".[test]" && argmap estimate' in readme
    assert "python -m pytest" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet ".[test]"' in ci and "python -m pytest" in ci


def test_public_api_matches_the_cli() -> None:
    import argmap

    for name in argmap.__all__:
        assert getattr(argmap, name) is not None, name
    amap = argmap.load_map("deceptive-alignment")
    priors = argmap.load_priors("wheaton", amap=amap)
    exact = argmap.exact_probabilities(amap, priors.means())[amap.target]
    est = argmap.estimate(amap, priors, draws=2000)
    assert est.result.exact_mean == exact
    assert est.idata.prior[f"P({amap.target})"].shape == (1, 2000)
    sens = argmap.sensitivity(amap, priors, samples=128)
    assert sens.expected == exact


@pytest.mark.parametrize("doc, map_name", [("map.md", "deceptive-alignment"),
                                           ("objections.md", "deceptive-alignment-objections")])
def test_every_node_is_described_in_its_doc(doc: str, map_name: str) -> None:
    import argmap

    text = (ROOT / "docs" / doc).read_text()
    amap = argmap.load_map(map_name)
    own = set(amap.claims) - (set(argmap.load_map("deceptive-alignment").claims)
                              if map_name != "deceptive-alignment" else set())
    for node in own:
        assert f"| `{node}` |" in text, node


def test_the_api_walk_through_runs() -> None:
    """docs/api.md is a doctest of the public API (python -m pytest --doctest-glob='docs/api.md')."""
    import doctest

    result = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 10
