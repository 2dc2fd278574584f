"""`argmap graph` and `argmap show`, and the PNG plots: parsed and measured, not eyeballed."""

from __future__ import annotations

import re
import tomllib

import matplotlib.image
import pydot
import pytest

from argmap.graph import drawn_parents, to_dot, to_mermaid
from argmap.maps import load_map, parse_map
from argmap.resources import MAPS_DIR, shipped_names
from tests.conftest import map_text

SHIPPED = shipped_names(MAPS_DIR)

# The subset of Mermaid flowchart syntax argmap emits
NODE = re.compile(r'^    (n_[A-Za-z0-9_]+)(\["|\(\["|\[\["|\{\{"|>"|\[/")([^"]*)("\]|"\]\)|"\]\]|"\}\}|"\]|"/\])$')
EDGE = re.compile(r'^    (n_[A-Za-z0-9_]+) -->\|"([^"]*)"\| (n_[A-Za-z0-9_]+)$')
STYLE = re.compile(r"^    style (n_[A-Za-z0-9_]+) [a-z-]+:[0-9a-z]+$")
PAIRS = {'["': '"]', '(["': '"])', '[["': '"]]', '{{"': '"}}', '>"': '"]', '[/"': '"/]'}  # [/ /]: parallelogram


def parse_mermaid(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart BT"
    nodes, edges = {}, []
    for line in lines[1:]:
        if m := NODE.match(line):
            ident, left, label, right = m.groups()
            assert PAIRS[left] == right, line
            assert ident not in nodes
            nodes[ident] = label
        elif m := EDGE.match(line):
            src, label, dst = m.groups()
            assert src in nodes and dst in nodes, line
            edges.append((src, label, dst))
        else:
            assert STYLE.match(line), f"not in the emitted subset: {line!r}"
    return nodes, edges


@pytest.mark.parametrize("name", SHIPPED)
def test_mermaid_parses_and_matches_the_map(name: str) -> None:
    amap = load_map(name)
    nodes, edges = parse_mermaid(to_mermaid(amap))
    assert len(nodes) == len(amap.claims)
    expected = {(f"n_{p}", f"n_{c}") for c in amap.claims for p in drawn_parents(amap.claims[c])}
    assert {(s, d) for s, _, d in edges} == expected


@pytest.mark.parametrize("name", SHIPPED)
def test_dot_parses_with_pydot(name: str) -> None:
    amap = load_map(name)
    (graph,) = pydot.graph_from_dot_data(to_dot(amap))
    names = {n.get_name().strip('"') for n in graph.get_nodes()} - {"node", "edge"}
    assert names == set(amap.claims)
    edges = {(e.get_source().strip('"'), e.get_destination().strip('"')) for e in graph.get_edges()}
    assert edges == {(p, c) for c in amap.claims for p in drawn_parents(amap.claims[c])}


def test_awkward_labels_and_ids_are_escaped() -> None:
    text = map_text([{"id": "end", "short": 'say "hi" <b> & more'},
                     {"id": "graph", "not": "end", "short": "back\\slash"}], target="graph")
    amap = parse_map(tomllib.loads(text))
    nodes, edges = parse_mermaid(to_mermaid(amap))
    assert "n_end" in nodes and '"' not in nodes["n_end"] and "#quot;" in nodes["n_end"]
    (graph,) = pydot.graph_from_dot_data(to_dot(amap))
    labels = {n.get_name().strip('"'): n.get_attributes()["label"] for n in graph.get_nodes()
              if n.get_name() not in ("node", "edge")}
    assert labels["end"] == '"say \\"hi\\" <b> & more"'


def test_graph_cli(cli) -> None:
    r = cli("graph", "--format", "dot")
    assert r.exit_code == 0 and r.stdout.startswith('digraph "deceptive-alignment"')
    r = cli("graph")
    assert r.exit_code == 0 and r.stdout.startswith("flowchart BT")
    r = cli("graph", "--format", "svg")
    assert r.exit_code == 1 and r.stderr.startswith("Error: --format 'svg'")


def test_show_tree(cli) -> None:
    r = cli("show", "--draws", "20000")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert out.splitlines()[2].startswith("Deceptive alignment (unconditional) · ANY of 2")
    assert "shared, shown above" in out  # ft_situational_awareness feeds three routes
    assert out.count("FT: situational awareness · uncertain") == 1  # expanded once only
    assert "ALL of" in out and "ANY of" in out and "given 1" in out and "NOT" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    r = cli("show", "--target", "da_pretraining", "--draws", "1000")
    assert r.exit_code == 0 and "PT: goal-directed" in r.stdout and "TAI is prosaic ML" not in r.stdout
    assert cli("show", "--target", "nope").exit_code == 1


def _png_size(path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    h, w, _ = matplotlib.image.imread(path).shape
    return w, h


def test_estimate_plot(cli, tmp_path) -> None:
    png = tmp_path / "dist.png"
    r = cli("estimate", "--draws", "20000", "--plot", str(png))
    assert r.exit_code == 0, r.stderr
    width, height = _png_size(png)
    assert 850 <= width <= 950 and 400 <= height <= 560  # 9 x 4.8 in at 100 dpi, cropped to the drawing


def test_estimate_plot_with_evidence_overlays_posterior(cli, write, tmp_path) -> None:
    m = write("small.toml", map_text([{"id": "a"}, {"id": "b"}, {"id": "t", "all": ["a", "b"]}],
                                     target="t", map_id="small", threshold=0.05))
    p = write("p.toml", 'name = "p"\n[priors]\na = { beta = [2, 8] }\nb = { beta = [3, 3] }\n')
    ev = write("e.toml", '[[evidence]]\nid = "x"\nabout = "t"\ntrials = 20\npositives = 0\n')
    png = tmp_path / "both.png"
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--evidence", str(ev), "--draws", "2000",
            "--tune", "200", "--posterior-draws", "300", "--plot", str(png))
    assert r.exit_code == 0, r.stderr
    width, height = _png_size(png)
    assert 850 <= width <= 950 and 400 <= height <= 560  # 9 x 4.8 in at 100 dpi, cropped to the drawing
