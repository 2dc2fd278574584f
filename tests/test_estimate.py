"""`argmap estimate`: the JSON contract, agreement with the exact mean, determinism, priors layering."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import map_text, priors_text

CONTRACT_KEYS = {"map", "priors", "target", "threshold", "draws", "seed", "result", "nodes"}
RESULT_KEYS = {"mean", "mcse", "exact_mean", "median", "p05", "p95", "prob_below_threshold"}


def run_json(cli, *args: str) -> dict:
    r = cli("estimate", "--json", *args)
    assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
    return json.loads(r.stdout)


def test_json_contract_and_exact_agreement(cli) -> None:
    doc = run_json(cli)
    assert CONTRACT_KEYS <= set(doc)
    assert set(doc["result"]) == RESULT_KEYS
    assert doc["map"] == "deceptive-alignment" and doc["priors"] == ["wheaton"]
    assert doc["target"] == "deceptive_alignment_prosaic" and doc["threshold"] == 0.01
    assert doc["draws"] >= 100_000 and doc["seed"] == 0
    r = doc["result"]
    assert abs(r["mean"] - r["exact_mean"]) <= 4 * r["mcse"]
    assert r["p05"] <= r["median"] <= r["p95"]
    assert 0 <= r["prob_below_threshold"] <= 1
    from argmap.maps import load_map
    assert set(doc["nodes"]) == set(load_map("deceptive-alignment").claims)
    for node, s in doc["nodes"].items():
        assert s["p05"] <= s["mean"] + 1e-12 and s["mean"] <= s["p95"] + 1e-12, node
        assert {"mean", "p05", "p95"} <= set(s)


def test_same_command_twice_gives_identical_output(cli) -> None:
    a = cli("estimate", "--json", "--draws", "20000", "--seed", "5")
    b = cli("estimate", "--json", "--draws", "20000", "--seed", "5")
    assert a.exit_code == 0 and a.stdout == b.stdout
    c = cli("estimate", "--json", "--draws", "20000", "--seed", "6")
    assert json.loads(c.stdout)["result"]["mean"] != json.loads(a.stdout)["result"]["mean"]


def test_agnostic_priors(cli) -> None:
    doc = run_json(cli, "--priors", "agnostic", "--draws", "50000")
    r = doc["result"]
    assert doc["priors"] == ["agnostic"]
    assert abs(r["mean"] - r["exact_mean"]) <= 4 * r["mcse"]


def test_personal_file_extends_wheaton_and_override_changes_result(cli, write) -> None:
    path = write("mine.toml", priors_text({"opposed_optimisation": {"beta": [1, 99]},
                                           "da_ft_base_goal_first": {"beta": [1, 9]}},
                                          name="mine", extends="wheaton"))
    base = run_json(cli, "--draws", "20000")
    mine = run_json(cli, "--priors", str(path), "--draws", "20000")
    assert mine["priors"] == ["mine"]
    assert mine["nodes"]["opposed_optimisation"]["exact_mean"] == pytest.approx(0.01)
    assert mine["result"]["exact_mean"] > base["result"]["exact_mean"] + 0.05
    # layering: a later --priors file overrides an earlier one
    layered = run_json(cli, "--priors", "wheaton", "--priors", str(path), "--draws", "20000")
    assert layered["result"]["exact_mean"] == pytest.approx(mine["result"]["exact_mean"], abs=1e-15)


def test_six_step_chain_of_fixed_priors(cli, write) -> None:
    nodes = [{"id": "s0"}] + [{"id": f"s{i}", "all": [f"s{i - 1}"], "chance": True} for i in range(1, 6)]
    m = write("chain.toml", map_text(nodes, target="s5", map_id="chain"))
    vals = {"s0": 0.9, "s1": 0.8, "s2": 0.7, "s3": 0.6, "s4": 0.5, "s5": 0.4}
    p = write("chain-priors.toml", priors_text(vals, name="chain"))
    doc = run_json(cli, "--map", str(m), "--priors", str(p), "--draws", "1000")
    assert abs(doc["result"]["exact_mean"] - np.prod(list(vals.values()))) < 1e-12
    assert doc["result"]["mcse"] == 0.0


def test_target_and_threshold_options(cli) -> None:
    doc = run_json(cli, "--target", "deceptive_alignment", "--threshold", "0.5", "--draws", "20000")
    assert doc["target"] == "deceptive_alignment" and doc["threshold"] == 0.5
    assert doc["result"]["mean"] == pytest.approx(doc["nodes"]["deceptive_alignment"]["mean"])


def test_rich_report_shows_verdict_targets_and_paths(cli) -> None:
    r = cli("estimate", "--draws", "20000")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert '"<1%"' in out and ("does not survive" in out or "survives" in out)
    for text in ("deceptive_alignment_prosaic", "deceptive_alignment", "Pre-training route",
                 "Fine-tuning route", "An objection the post answers", "Routes to", "adds",
                 "mean ± mcse", "exact mean", "90% interval"):
        assert text in " ".join(out.replace("│", " ").split()), text  # titles may wrap in their column
    assert max(len(line) for line in out.splitlines()) <= 100


def test_routes_and_what_each_adds_match_the_hand_derived_formulas(cli) -> None:
    """What a route adds is E[P(target)] minus E[P(target)] with the route switched off, here by
    setting its chance to 0 in the hand-derived formulas (an independent computation)."""
    from argmap.maps import load_map
    from argmap.priors import load_priors
    from tests.benchmarks.handwritten import node_probabilities

    doc = run_json(cli, "--draws", "2000")
    (group,) = doc["routes"]
    amap = load_map("deceptive-alignment")
    means = load_priors("wheaton", amap=amap).means()
    total = node_probabilities(means)[amap.target]
    assert [r["node"] for r in group["routes"]] == ["da_pretraining", "da_finetuning", "da_opposed_regime"]
    off = {"da_pretraining": ["da_pretraining"], "da_opposed_regime": ["da_opposed_regime"],
           "da_finetuning": ["da_ft_base_goal_first", "da_ft_simultaneous", "da_ft_after_window",
                             "da_ft_dangerous_order"]}
    for r in group["routes"]:
        without = node_probabilities({**means, **{c: 0.0 for c in off[r["node"]]}})[amap.target]
        assert r["adds"] == pytest.approx(total - without, abs=1e-12), r["node"]


def test_objections_map_shows_the_posts_routes_and_each_objection_apart(cli) -> None:
    doc = run_json(cli, "--map", "deceptive-alignment-objections", "--draws", "2000")
    groups = {g["node"]: g for g in doc["routes"]}
    assert set(groups) == {"deceptive_alignment_prosaic", "deceptive_alignment_with_objections"}
    post, objections = groups["deceptive_alignment_prosaic"], groups["deceptive_alignment_with_objections"]
    assert {r["node"] for r in post["routes"]} == {"da_pretraining", "da_finetuning", "da_opposed_regime"}
    assert {r["node"] for r in objections["routes"]} == {"da_goal_guarding", "da_counting_argument"}
    assert post["mean"] == pytest.approx(doc["nodes"]["deceptive_alignment_prosaic"]["exact_mean"], abs=1e-12)
    # the post's routes and the objections overlap, so each group adds less than its own total
    target = doc["result"]["exact_mean"]
    assert objections["adds"] == pytest.approx(target - post["mean"], abs=1e-12)
    assert post["adds"] <= post["mean"] + 1e-12
    text = " ".join(cli("estimate", "--map", "deceptive-alignment-objections", "--draws", "2000").stdout
                    .replace("│", " ").replace("┃", " ").split())
    assert "Routes to" in text and "Objections and rival arguments" in text and "adds" in text


def test_a_map_without_a_claim_gets_no_verdict(cli, write) -> None:
    # the monitoring post states no threshold: no "<1%", no claim under test, no share below it
    text = " ".join(cli("estimate", "--map", "monitoring", "--draws", "2000").stdout.split())
    assert "<1%" not in text and "claim under test" not in text and "share of draws" not in text
    doc = run_json(cli, "--map", "monitoring", "--draws", "2000")
    assert doc["claim"] is None and doc["holds"] is None
    # another target of a map with a claim: the claim is about the map's own target only
    text = cli("estimate", "--target", "deceptive_alignment", "--draws", "2000").stdout
    assert "these priors:" not in text and "claim under test" not in text
    # unless a threshold is given
    text = cli("estimate", "--target", "deceptive_alignment", "--threshold", "0.1", "--draws", "2000").stdout
    assert '"<10%"' in text


def test_a_claim_above_a_threshold(cli, write) -> None:
    m = write("m.toml", 'id = "m"\ntitle = "At least a tenth"\ntarget = "t"\nthreshold = 0.1\nclaim = "above"\n'
                        '[[node]]\nid = "t"\nclaim = "t"\n')
    p = write("p.toml", 'name = "p"\n[priors]\nt = { beta = [3, 7] }\n')
    doc = run_json(cli, "--map", str(m), "--priors", str(p), "--draws", "2000")
    assert doc["claim"] == "above" and doc["holds"] is True
    assert doc["verdict"].startswith('">10%" survives')
    bad = write("bad.toml", 'id = "m"\ntitle = "t"\ntarget = "t"\nclaim = "below"\n[[node]]\nid = "t"\nclaim = "t"\n')
    r = cli("estimate", "--map", str(bad), "--priors", str(p))
    assert r.exit_code == 1 and "needs the threshold" in r.stderr
