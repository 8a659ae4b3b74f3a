"""Reach-aligned trajectory sets with hoverable trials (SPEC §2.2 `aligned_to_reach_condition`).

* `per_train_test_pair`: one figure per (train condition, evaluation amplitude), one colour per
  trial (`tealgrn`), plus the dark mean;
* `compare_test_conditions`: one figure per train condition, one colour per evaluation amplitude
  (`plotly3`), faint trials + dark mean per amplitude.

Unlike `aligned_trajectories`, the individual trials answer hover with their eval, replicate,
condition and trial (the trial's index in the figure's sorted trial list). Axes are equalised
across the figures of a set (`match_axes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..analysis._align import aligned_trials
from ._groups import check_column, group_indices
from ._hover import axis_refs, evenly_spaced, joined_curves
from ._style import (
    COMPONENT_LABELS,
    VARIABLE_LABELS,
    colors_for,
    darken,
    finish_layout,
    format_value,
    label,
    match_axes,
)

HOVER: Final = ("eval", "replicate", "condition", "trial", "pert_amp", "sisu")
MEAN_COLOR: Final = "rgb(40, 40, 40)"


def aligned_trial_curves(
    states: pd.DataFrame,
    color_by: str = "trial",
    *,
    variables: Sequence[str] = ("pos", "vel", "force"),
    max_curves: int = 20,
    colorscale: str | None = None,
    included_only: bool = True,
    title: str | None = None,
    width: int = 900,
    height: int = 350,
) -> go.Figure:
    """Aligned trajectories whose individual trials show their identity on hover.

    Each panel plots the lateral against the forward component of a reach-aligned variable.
    With `color_by="trial"`, up to `max_curves` trials (evenly chosen) each get their own
    colour and one dark grey mean over all trials is drawn; with a column name, each of its
    values gets a colour, up to `max_curves` faint trials and a mean at ×0.7 brightness.

    Arguments:
        states: a states table (possibly tagged with train columns), already selected.
        color_by: "trial", or a per-trial column (e.g. "pert_amp").
        variables: panels, from "pos", "vel", "force".
        max_curves: individual trials drawn per colour group (per figure for "trial").
        colorscale: colour scale name; default: the convention for `color_by`.
        included_only: leave out replicates excluded by post-training selection.
        title: figure title.
        width, height: figure size in px.

    Returns:
        The figure: per group and panel a trial trace (joined curves, hover data per point)
        (not in the legend) and a mean trace (named by the group; "mean" for `color_by="trial"`);
        a start/goal marker trace on the position panel.
    """
    bad = [v for v in variables if v not in VARIABLE_LABELS]
    if bad or not variables or max_curves < 1:
        raise ValueError(f"variables={list(variables)}, max_curves={max_curves}; expected some of "
                         f"{list(VARIABLE_LABELS)} and max_curves >= 1")
    aligned, conditions = aligned_trials(states)
    keep = np.ones(len(conditions), bool)
    if included_only and "included" in conditions.columns:
        keep = conditions["included"].to_numpy(bool)
    if not keep.any():
        raise ValueError("no included trials to plot; expected at least one")
    conditions = conditions.assign(trial=np.arange(len(conditions)))
    if color_by == "trial":
        shown = evenly_spaced(np.flatnonzero(keep), max_curves)
        groups = [(int(i), np.array([i])) for i in shown]
        mean_groups = [("mean", np.flatnonzero(keep), MEAN_COLOR)]
        colors = colors_for("trial", [value for value, _ in groups], colorscale)
    else:
        check_column(conditions, color_by, "color_by")
        groups = [(v, i[keep[i]]) for v, i in group_indices(conditions[color_by]) if keep[i].any()]
        colors = colors_for(color_by, [value for value, _ in groups], colorscale)
        mean_groups = [(v, i, darken(colors[v])) for v, i in groups]
        groups = [(v, evenly_spaced(i, max_curves)) for v, i in groups]
    fig = make_subplots(rows=1, cols=len(variables),
                        subplot_titles=[VARIABLE_LABELS[v] for v in variables])
    for value, index in groups:
        name = format_value(value)
        for col, variable in enumerate(variables, start=1):
            xy, data, template = joined_curves(aligned.variable(variable)[index],
                                               conditions.iloc[index], HOVER)
            fig.add_trace(go.Scatter(
                x=xy[:, 0], y=xy[:, 1], mode="lines", name=name, legendgroup=name,
                showlegend=False, opacity=0.8 if color_by == "trial" else 0.4,
                line={"color": colors[value], "width": 1 if color_by == "trial" else 0.5},
                customdata=data, hovertemplate=template, **axis_refs(col)))
    for value, index, color in mean_groups:
        name = format_value(value)
        for col, variable in enumerate(variables, start=1):
            mean = np.nanmean(aligned.variable(variable)[index], axis=0)
            fig.add_trace(go.Scatter(
                x=mean[:, 0], y=mean[:, 1], mode="lines", name=name, legendgroup=name,
                showlegend=col == 1 and color_by != "trial", line={"color": color, "width": 2.5},
                **axis_refs(col)))
    if "pos" in variables:
        reach = float(np.median(aligned.reach_length[keep]))
        fig.add_trace(go.Scatter(
            x=[0.0, reach], y=[0.0, 0.0], mode="markers", name="Start/goal", showlegend=False,
            text=["start", "goal"], hoverinfo="text",
            marker={"symbol": ["circle-open", "circle"], "size": 9, "color": "black"},
            **axis_refs(list(variables).index("pos") + 1)))
    for col, _ in enumerate(variables, start=1):
        fig.update_xaxes(title_text=COMPONENT_LABELS["parallel"], row=1, col=col)
        fig.update_yaxes(title_text=COMPONENT_LABELS["orthogonal"], row=1, col=col)
    return finish_layout(fig, title=title, width=width, height=height,
                         legend_title=label(color_by) if color_by != "trial" else "")


def _title(column: str, value: object) -> str:
    return f"{label(column).replace('<br>', ' ')} {format_value(value)}"


def per_train_test_pair(states: pd.DataFrame, *, train_column: str = "train_std",
                        match: bool = True, **kwargs) -> dict[str, go.Figure]:
    """One `aligned_trial_curves(color_by="trial")` per (train condition, evaluation amplitude).

    Returns:
        name → figure, names `aligned_per_train_test_pair__<train_column>-<v>__amp-<a>`, axes
        equalised across the set when `match`.
    """
    check_column(states, train_column, "train_column")
    figs = {}
    for train in sorted(states[train_column].unique()):
        of_model = states[states[train_column] == train]
        for amp in sorted(of_model["pert_amp"].unique()):
            name = (f"aligned_per_train_test_pair__{train_column}-{format_value(train)}"
                    f"__amp-{format_value(amp)}")
            figs[name] = aligned_trial_curves(
                of_model[of_model["pert_amp"] == amp], "trial",
                title=f"{_title(train_column, train)}, {_title('pert_amp', amp)}", **kwargs)
    if match:
        match_axes(figs)
    return figs


def compare_test_conditions(states: pd.DataFrame, *, train_column: str = "train_std",
                            color_by: str = "pert_amp", match: bool = True,
                            **kwargs) -> dict[str, go.Figure]:
    """One `aligned_trial_curves` per train condition, coloured by evaluation amplitude.

    Returns:
        name → figure, names `aligned_compare_test__<train_column>-<v>`, axes equalised.
    """
    check_column(states, train_column, "train_column")
    figs = {}
    for train in sorted(states[train_column].unique()):
        figs[f"aligned_compare_test__{train_column}-{format_value(train)}"] = aligned_trial_curves(
            states[states[train_column] == train], color_by, title=_title(train_column, train), **kwargs)
    if match:
        match_axes(figs)
    return figs
