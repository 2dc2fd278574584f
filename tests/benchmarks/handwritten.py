"""A hand-written numpy forward simulation of the shipped deceptive-alignment map.

Derived on paper, independently of argmap's circuit compiler. The scope branch and the pre-training
route have closed forms; the routes to the target share pt_goal_directed (pre-training and the order
of the base goal), the two orderings, ft_long_term_goals, ft_situational_awareness and
differential_adversarial_examples, so P(no route) is summed by hand over those shared claims' values,
with every chance and independent premise multiplied in. Used as the oracle for the shipped map
(tests/test_shipped.py) and as the baseline of tests/benchmarks.
"""

from __future__ import annotations

import itertools

import numpy as np

BGB = "base_goal_before_goal_directedness"
LTB = "long_term_goals_before_base_goal"
DAE = "differential_adversarial_examples"


def draw_parameters(priors, n: int, seed: int) -> dict[str, np.ndarray | float]:
    """Every parameter: numpy Beta draws for uncertain priors, the value for fixed ones."""
    rng = np.random.default_rng(seed)
    return {pid: p.value if p.fixed else rng.beta(p.a, p.b, size=n) for pid, p in priors.entries.items()}


def _p(prob, value: bool):
    return prob if value else 1 - prob


def node_probabilities(t: dict) -> dict[str, np.ndarray]:
    """P(node) for every node of the shipped map, from parameter values (scalars or arrays)."""
    out = {}
    # scope: independent premises; the argument applies when each of its four conditions holds
    ml, grad, oo, up, ac, hf, rk = (t[k] for k in (
        "tai_from_machine_learning", "local_gradient_optimisation", "other_optimiser_keeps_argument",
        "unsupervised_pretraining", "alignment_carries_over", "human_feedback_diverse_tasks",
        "other_regime_keeps_core"))
    out.update(tai_from_machine_learning=ml, local_gradient_optimisation=grad,
               other_optimiser_keeps_argument=oo, unsupervised_pretraining=up, alignment_carries_over=ac,
               human_feedback_diverse_tasks=hf, other_regime_keeps_core=rk)
    out["prosaic_tai"] = ml * grad
    out["optimiser_in_reach"] = 1 - (1 - grad) * (1 - oo)
    out["pretraining_or_carries_over"] = 1 - (1 - up) * (1 - ac)
    out["in_scope"] = ml * grad * up * hf
    out["feedback_or_like_it"] = 1 - (1 - hf) * (1 - rk)
    applies = ml * out["optimiser_in_reach"] * out["pretraining_or_carries_over"] * out["feedback_or_like_it"]
    out["argument_applies"], out["out_of_scope"] = applies, 1 - applies
    out["da_out_of_scope"] = (1 - applies) * t["da_out_of_scope"]
    # pre-training: goals and situational awareness are premises; long horizons depend on both
    gd, psa = t["pt_goal_directed"], t["pt_situational_awareness"]
    lt = {(g, a): t[f"pt_long_term_goals | {'' if g else 'not '}pt_goal_directed, "
                    f"{'' if a else 'not '}pt_situational_awareness"]
          for g in (True, False) for a in (True, False)}
    out["pt_goal_directed"], out["pt_situational_awareness"] = gd, psa
    out["pt_long_term_goals"] = sum(_p(gd, g) * _p(psa, a) * lt[g, a] for g in (True, False)
                                    for a in (True, False))
    pt_if_gd = t["da_pretraining"] * psa * lt[True, True]  # P(da_pretraining | goal-directed)
    out["da_pretraining"] = gd * pt_if_gd
    # fine-tuning orderings: base goal first (given gd); simultaneous (given not first); long horizons
    # first (only when goal-directed first); long-term goals at some point (given that)
    # the prompt feeds only the base-goal ordering, so it is summed out there
    pr = t["prompted_from_start"]
    out["prompted_from_start"] = pr

    def bgb_row(g: bool):
        head = f"{BGB} | {'' if g else 'not '}pt_goal_directed"
        return pr * t[f"{head}, prompted_from_start"] + (1 - pr) * t[f"{head}, not prompted_from_start"]

    bgb_gd, bgb_ngd = bgb_row(True), bgb_row(False)
    sim_nf, sim_f = (t["base_goal_with_goal_directedness | base_goal_not_first"],
                     t["base_goal_with_goal_directedness | not base_goal_not_first"])
    ltb_g, ltb_ng = t[f"{LTB} | goal_directed_first"], t[f"{LTB} | not goal_directed_first"]
    ftlt_l, ftlt_nl = t[f"ft_long_term_goals | {LTB}"], t[f"ft_long_term_goals | not {LTB}"]
    dae, ftsa = t[DAE], t["ft_situational_awareness"]
    c1, cs, c2, c3 = (t[k] for k in ("da_ft_base_goal_first", "da_ft_simultaneous", "da_ft_after_window",
                                     "da_ft_dangerous_order"))
    opp, c_op = t["opposed_optimisation"], t["da_opposed_regime"]
    bgb = gd * bgb_gd + (1 - gd) * bgb_ngd
    sim = (1 - bgb) * sim_nf + bgb * sim_f
    # goal-directed first: base goal not first and not simultaneous (sim_f only applies when first)
    gdf = (1 - bgb) * (1 - sim_nf)
    ltb = gdf * ltb_g + (1 - gdf) * ltb_ng
    out[BGB], out["base_goal_not_first"] = bgb, 1 - bgb
    out["base_goal_with_goal_directedness"], out["not_simultaneous"] = sim, 1 - sim
    out["goal_directed_first"] = gdf
    out[LTB], out["base_goal_before_long_term_goals"] = ltb, 1 - ltb
    out[DAE], out["ft_situational_awareness"] = dae, ftsa
    out["ft_long_term_goals"] = ltb * ftlt_l + (1 - ltb) * ftlt_nl
    out["da_ft_base_goal_first"] = c1 * bgb * dae
    out["da_ft_simultaneous"] = cs * sim * dae
    window = gdf * (1 - ltb_g)
    out["goal_corrected_window"], out["da_ft_after_window"] = window, c2 * window * dae
    out["da_ft_dangerous_order"] = c3 * ltb * dae * ftsa
    out["opposed_optimisation"] = opp
    out["da_opposed_regime"] = c_op * opp * out["ft_long_term_goals"] * ftsa

    # P(no route fires), and P(no fine-tuning route), summed over the shared claims by hand
    none_all, none_ft = 0.0, 0.0
    for g, b, m, lv, f, s, d in itertools.product((True, False), repeat=7):
        first = not b and not m
        w = (_p(gd, g) * _p(bgb_gd if g else bgb_ngd, b) * _p(sim_f if b else sim_nf, m)
             * _p(ltb_g if first else ltb_ng, lv) * _p(ftlt_l if lv else ftlt_nl, f) * _p(ftsa, s) * _p(dae, d))
        ft_off = (((1 - c1) if (b and d) else 1.0) * ((1 - cs) if (m and d) else 1.0)
                  * ((1 - c2) if (first and not lv and d) else 1.0) * ((1 - c3) if (lv and d and s) else 1.0))
        opp_off = (1 - c_op * opp) if (f and s) else 1.0
        pt_off = (1 - pt_if_gd) if g else 1.0
        none_all = none_all + w * pt_off * ft_off * opp_off
        none_ft = none_ft + w * ft_off
    out["da_finetuning"] = 1 - none_ft
    out["deceptive_alignment_prosaic"] = 1 - none_all
    out["da_in_scope"] = applies * out["deceptive_alignment_prosaic"]
    out["deceptive_alignment"] = out["da_in_scope"] + out["da_out_of_scope"]  # exclusive cases
    return out
