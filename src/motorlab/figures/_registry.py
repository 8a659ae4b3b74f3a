"""Figure sets by name: what an analysis' `figure_set` names.

A figure set is a function `(tables, models, group) -> {figure name: go.Figure}`:
    tables: `{table name: [one table per member evaluation]}`, the analysis' declared tables and,
        for an analysis that keeps them, `"states"`;
    models: the members' model sidecars (`hps`, `replicates`, `history_path`), in member order;
    group: the figure group (`label`, `variant`, `compare`, `eval_ids`).
"""

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import pandas as pd
import plotly.graph_objects as go

from ._feedback_sets import feedback_perts_figures, freq_response_figures
from ._cross_sets import control_weight_figures, cross_eval_figures, size_study_figures
from ._continuation import fold_curve_figures
from ._fixed_points import fixed_point_figure_set
from ._fp_training import fp_training_figures
from ._slow_regions import slow_region_figures
from ._fixed_point_extras import feedback_eigenvalue_figures, solver_curve_figures, trajectory_2d_figures
from ._supplement_sets import network_basic_figures, tangling_figures
from ._readout_norm import readout_norm_figures
from ._sisu_pert import sisu_pert_figures
from ._unit_ablation import unit_ablation_figures
from ._eigvec_stim import eigvec_stim_figures
from ._unit_perts import unit_perts_figures
from ._unit_prefs import unit_prefs_figures
from ._sets import best_replicate, build_group_figures, compare_column, get_key, tag
from ._training import loss_history, member_histories, member_validation

FigureSet = Callable[[Mapping[str, Sequence[pd.DataFrame]], Sequence[Mapping], Mapping], dict[str, go.Figure]]


def loss_figures(models: Sequence[Mapping], compare: Sequence[str]) -> dict[str, go.Figure]:
    """One training-loss figure per member model, from its `_history.npz` (skipped if absent)."""
    figs = {}
    for m, history in member_histories(models):
        reps = m["replicates"]
        tag_ = "__".join(f"{compare_column(k)}-{float(get_key(m['hps'], k)):g}" for k in compare)
        figs[f"training_loss__{tag_}"] = loss_history(
            history, reps["best_iteration"], reps["included"],
            title=" ".join(f"{k} = {get_key(m['hps'], k)}" for k in compare),
            validation=member_validation(m))
    return figs


def behaviour_figures(tables, models, group) -> dict[str, go.Figure]:
    """Trajectories, profiles, measure violins, summaries and statistics tables of a
    `plant_perts` group (see `motorlab.figures._sets.build_group_figures`; the SISU pair of the
    statistics from `group["settings"]["stats"]["sisu"]` when given), and the members' training
    losses except for the `small` variant."""
    hps = [m["hps"] for m in models]
    compare = list(group["compare"])
    best = [best_replicate(m["replicates"]) for m in models]
    states = tag(list(tables["states"]), hps, compare, best)
    measures = tag(list(tables["measures"]), hps, compare)
    stats = (group.get("settings") or {}).get("stats") or {}
    variant = group["variant"].split("+")[0]  # an evaluation block's variant: <task variant>+<block>
    figs = build_group_figures(states, measures, variant=variant, compare=compare,
                               part=int(hps[0]["part"]), dt=float(hps[0]["plant"]["dt"]),
                               stats_sisu=stats.get("sisu"))
    if variant != "small" and variant == group["variant"]:
        figs.update(loss_figures(models, compare))
    return figs


def fixed_point_figures(tables, models, group) -> dict[str, go.Figure]:
    """The fixed-point figures of a group (SPEC §2.10–2.11; see `fixed_point_figure_set`)."""
    hps = [m["hps"] for m in models]
    compare = list(group["compare"])
    best = _best_replicates(models)
    t = {name: tag(list(frames), hps, compare, best if "replicate" in frames[0] else None)
         for name, frames in tables.items()}
    figs = fixed_point_figure_set(t["points"], t["eigenvalues"], t["summary"], t["reach"], t["trajectories"],
                                  t["continuation"], t["continuation_events"], compare_key=compare[0],
                                  compare_col=compare_column(compare[0]), dt=float(hps[0]["plant"]["dt"]))
    col = compare_column(compare[0])
    if "slow_regions" in t:
        figs.update(slow_region_figures(t["slow_regions"], t["points"], col, compare[0]))
    if "feedback_eigenvalues" in t:
        figs.update(feedback_eigenvalue_figures(t["feedback_eigenvalues"], t["eigenvalues"], col, compare[0]))
    if "solver_curves" in t:
        figs.update(solver_curve_figures(t["solver_curves"], col, compare[0]))
    figs.update(trajectory_2d_figures(t["trajectories"], col, compare[0]))
    figs.update(fold_curve_figures(t.get("fold_curves"), compare_col=col, compare_key=compare[0]))
    return figs


def _best_replicates(models: Sequence[Mapping]) -> list[int] | None:
    """Each member's best replicate (`best_replicate`), or None when a sidecar lacks the losses."""
    if not all("best_total_loss" in (m.get("replicates") or {}) for m in models):
        return None
    return [best_replicate(m["replicates"]) for m in models]


FIGURE_SETS: Mapping[str, FigureSet] = MappingProxyType({
    "behaviour": behaviour_figures,
    "fixed_points": fixed_point_figures,
    "readout_norm": readout_norm_figures,
    "feedback_perts": feedback_perts_figures,
    "freq_response": freq_response_figures,
    "cross_eval": cross_eval_figures,
    "control_weight": control_weight_figures,
    "size_study": size_study_figures,
    "network_basic": network_basic_figures,
    "tangling": tangling_figures,
    "sisu_pert": sisu_pert_figures,
    "unit_ablation": unit_ablation_figures,
    "eigvec_stim": eigvec_stim_figures,
    "unit_perts": unit_perts_figures,
    "unit_prefs": unit_prefs_figures,
    "fp_training": fp_training_figures,
})


def get_figure_set(name: str) -> FigureSet:
    """The figure set `name`; KeyError listing the known ones."""
    try:
        return FIGURE_SETS[name]
    except KeyError:
        raise KeyError(f"unknown figure set {name!r}; expected one of {', '.join(sorted(FIGURE_SETS))}") from None
