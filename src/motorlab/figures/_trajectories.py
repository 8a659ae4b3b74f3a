"""Reach-aligned trajectory figures (SPEC §2.2, "aligned_to_reach_condition")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._groups import trial_groups
from ._style import (
    COMPONENT_LABELS,
    VARIABLE_LABELS,
    colors_for,
    darken,
    finish_layout,
    format_value,
    label,
)


def _evenly_spaced(index: np.ndarray, k: int) -> np.ndarray:
    if index.size <= k:
        return index
    return index[np.unique(np.linspace(0, index.size - 1, k).round().astype(int))]


def _joined(curves: np.ndarray) -> np.ndarray:
    """Concatenate curves (k, time, 2) into one NaN-separated polyline (k·(time+1), 2)."""
    gap = np.full((curves.shape[0], 1, 2), np.nan)
    return np.concatenate([curves, gap], axis=1).reshape(-1, 2)


def aligned_trajectories(
    states: pd.DataFrame,
    color_by: str,
    *,
    variables: Sequence[str] = ("pos", "vel", "force"),
    max_curves: int = 20,
    colorscale: str | None = None,
    included_only: bool = True,
    title: str | None = None,
    width: int = 900,
    height: int = 350,
) -> go.Figure:
    """Trajectories in the reach-aligned frame, one panel per variable, coloured by a column.

    Each panel plots the lateral (orthogonal, left > 0) against the forward (parallel)
    component. Per colour group, up to `max_curves` individual trials are drawn faintly (evenly
    chosen, reproducible) and the mean over all of the group's trials darker (×0.7 brightness).
    The position panel marks the start (0, 0) and the goal (reach length, 0).

    Arguments:
        states: a states table; to compare models, concatenate their tables adding a column
            such as `train_std`, and select the evaluation amplitude etc. beforehand.
        color_by: per-trial column to colour by (e.g. "train_std", "pert_amp", "sisu").
        variables: panels, from "pos", "vel", "force".
        max_curves: number of individual trials drawn per colour group (0 for means only).
        colorscale: colour scale name; default: the convention for `color_by` (Appendix A).
        included_only: leave out replicates excluded by post-training selection.
        title: figure title.
        width, height: figure size in px.

    Returns:
        The figure: per group and panel, one faint trace (the individual curves joined with
        gaps) then one mean trace; a final "Start/goal" marker trace on the position panel.
    """
    unknown = [v for v in variables if v not in VARIABLE_LABELS]
    if unknown or not variables:
        raise ValueError(f"variables={list(variables)}; expected some of {list(VARIABLE_LABELS)}")
    if max_curves < 0:
        raise ValueError(f"max_curves={max_curves}; expected a non-negative number")
    aligned, groups = trial_groups(states, color_by, included_only=included_only)
    colors = colors_for(color_by, [value for value, _ in groups], colorscale)
    fig = make_subplots(
        rows=1, cols=len(variables), subplot_titles=[VARIABLE_LABELS[v] for v in variables]
    )
    traces = []
    for value, index in groups:
        color, name = colors[value], format_value(value)
        shown = _evenly_spaced(index, max_curves)
        for col, variable in enumerate(variables, start=1):
            axes = {"xaxis": f"x{col if col > 1 else ''}", "yaxis": f"y{col if col > 1 else ''}"}
            data = aligned.variable(variable)
            if shown.size:
                curves = _joined(data[shown])
                traces.append(go.Scatter(
                    x=curves[:, 0], y=curves[:, 1], mode="lines", name=name, legendgroup=name,
                    showlegend=False, hoverinfo="skip", opacity=0.4,
                    line={"color": color, "width": 0.5}, **axes,
                ))
            mean = np.nanmean(data[index], axis=0)
            traces.append(go.Scatter(
                x=mean[:, 0], y=mean[:, 1], mode="lines", name=name, legendgroup=name,
                showlegend=col == 1, line={"color": darken(color), "width": 2.5}, **axes,
            ))
    if "pos" in variables:
        col = list(variables).index("pos") + 1
        reach = float(np.median(aligned.reach_length))
        traces.append(go.Scatter(
            x=[0.0, reach], y=[0.0, 0.0], mode="markers", name="Start/goal", showlegend=False,
            text=["start", "goal"], hoverinfo="text",
            marker={"symbol": ["circle-open", "circle"], "size": 9, "color": "black"},
            xaxis=f"x{col if col > 1 else ''}", yaxis=f"y{col if col > 1 else ''}",
        ))
    fig.add_traces(traces)
    for col, _ in enumerate(variables, start=1):
        fig.update_xaxes(title_text=COMPONENT_LABELS["parallel"], row=1, col=col)
        fig.update_yaxes(title_text=COMPONENT_LABELS["orthogonal"], row=1, col=col)
    return finish_layout(
        fig, title=title, width=width, height=height, legend_title=label(color_by)
    )
