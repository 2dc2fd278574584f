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
    # scope: independent premises; the argument applies when prosaic, pre-trained, and HF or like it
    ml, grad = t["tai_from_machine_learning"], t["local_gradient_optimisation"]
    pr = ml * grad
    up, hf, rk = (t[k] for k in ("unsupervised_pretraining", "human_feedback_diverse_tasks",
                                 "other_regime_keeps_core"))
    out.update(tai_from_machine_learning=ml, local_gradient_optimisation=grad, prosaic_tai=pr,
               unsupervised_pretraining=up, human_feedback_diverse_tasks=hf, other_regime_keeps_core=rk)
    out["in_scope"] = pr * up * hf
    out["feedback_or_like_it"] = 1 - (1 - hf) * (1 - rk)
    applies = pr * up * out["feedback_or_like_it"]
    out["argument_applies"], out["out_of_scope"] = applies, 1 - applies
    out["da_out_of_scope"] = (1 - applies) * t["da_out_of_scope"]
    # pre-training chain gd -> lt -> sa
    gd = t["pt_goal_directed"]
    lt_gd, lt_ngd = t["pt_long_term_goals | pt_goal_directed"], t["pt_long_term_goals | not pt_goal_directed"]
    sa_lt = t["pt_situational_awareness | pt_long_term_goals"]
    sa_nlt = t["pt_situational_awareness | not pt_long_term_goals"]
    out["pt_goal_directed"] = gd
    lt = gd * lt_gd + (1 - gd) * lt_ngd
    out["pt_long_term_goals"] = lt
    out["pt_situational_awareness"] = lt * sa_lt + (1 - lt) * sa_nlt
    pt_if_gd = t["da_pretraining"] * lt_gd * sa_lt  # P(da_pretraining | goal-directed after pre-training)
    out["da_pretraining"] = gd * pt_if_gd
    # fine-tuning orderings: bgb given gd, ltb given bgb, ftlt given ltb
    bgb_gd, bgb_ngd = t[f"{BGB} | pt_goal_directed"], t[f"{BGB} | not pt_goal_directed"]
    ltb_b, ltb_nb = t[f"{LTB} | {BGB}"], t[f"{LTB} | not {BGB}"]
    ftlt_l, ftlt_nl = t[f"ft_long_term_goals | {LTB}"], t[f"ft_long_term_goals | not {LTB}"]
    dae, ftsa = t[DAE], t["ft_situational_awareness"]
    c1, c2, c3 = t["da_ft_base_goal_first"], t["da_ft_after_window"], t["da_ft_dangerous_order"]
    opp, c_op = t["opposed_optimisation"], t["da_opposed_regime"]
    bgb = gd * bgb_gd + (1 - gd) * bgb_ngd
    ltb = bgb * ltb_b + (1 - bgb) * ltb_nb
    out[BGB], out["goal_directed_first"] = bgb, 1 - bgb
    out[LTB], out["base_goal_before_long_term_goals"] = ltb, 1 - ltb
    out[DAE], out["ft_situational_awareness"] = dae, ftsa
    out["ft_long_term_goals"] = ltb * ftlt_l + (1 - ltb) * ftlt_nl
    out["da_ft_base_goal_first"] = c1 * bgb * dae
    window = (1 - bgb) * (1 - ltb_nb)
    out["goal_corrected_window"], out["da_ft_after_window"] = window, c2 * window * dae
    out["da_ft_dangerous_order"] = c3 * ltb * dae * ftsa
    out["opposed_optimisation"] = opp
    out["da_opposed_regime"] = c_op * opp * out["ft_long_term_goals"] * ftsa

    # P(no route fires), and P(no fine-tuning route), summed over the shared claims by hand
    none_all, none_ft = 0.0, 0.0
    for g, b, lv, f, s, d in itertools.product((True, False), repeat=6):
        w = (_p(gd, g) * _p(bgb_gd if g else bgb_ngd, b) * _p(ltb_b if b else ltb_nb, lv)
             * _p(ftlt_l if lv else ftlt_nl, f) * _p(ftsa, s) * _p(dae, d))
        ft_off = ((1 - c1) if (b and d) else 1.0) * ((1 - c2) if (not b and not lv and d) else 1.0) \
            * ((1 - c3) if (lv and d and s) else 1.0)
        opp_off = (1 - c_op * opp) if (f and s) else 1.0
        pt_off = (1 - pt_if_gd) if g else 1.0
        none_all = none_all + w * pt_off * ft_off * opp_off
        none_ft = none_ft + w * ft_off
    out["da_finetuning"] = 1 - none_ft
    out["deceptive_alignment_prosaic"] = 1 - none_all
    out["da_in_scope"] = applies * out["deceptive_alignment_prosaic"]
    out["deceptive_alignment"] = out["da_in_scope"] + out["da_out_of_scope"]  # exclusive cases
    return out
