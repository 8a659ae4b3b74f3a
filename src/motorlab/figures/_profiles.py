"""Time profiles of aligned variables, mean ± 1 std per colour group (SPEC §2.2, §2.6)."""

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
    ZERO_LINE_COLOR,
    colors_for,
    finish_layout,
    format_value,
    label,
    with_alpha,
)

_COMPONENTS = {"parallel": 0, "orthogonal": 1}


def profiles(
    states: pd.DataFrame,
    color_by: str,
    *,
    variables: Sequence[str] = ("vel",),
    components: Sequence[str] = ("parallel", "orthogonal"),
    colorscale: str | None = None,
    dt: float | None = None,
    included_only: bool = True,
    title: str | None = None,
    width: int = 600,
    height: int | None = None,
) -> go.Figure:
    """Aligned variables against time: one panel per variable × component, one colour per group.

    Each group shows its mean over all its trials (evals × conditions × replicates) as a line and
    ± 1 standard deviation as a translucent band; every panel has a grey zero line.

    Arguments:
        states: a states table (select the evaluation amplitude etc. beforehand; concatenate
            models adding a column such as `train_std` to compare them).
        color_by: per-trial column to colour by.
        variables: panel rows, from "pos" (relative to start), "vel", "force".
        components: panel columns, from "parallel" (forward) and "orthogonal" (lateral, left > 0).
        colorscale: colour scale name; default: the convention for `color_by`.
        dt: time step; when given the x axis is time (t · dt), otherwise the step index.
        included_only: leave out replicates excluded by post-training selection.
        title: figure title.
        width, height: figure size in px (height defaults to 150 + 250 per row of panels).

    Returns:
        The figure: per group and panel, a band trace (fill "toself") then a mean trace.
    """
    bad = [v for v in variables if v not in VARIABLE_LABELS]
    bad += [c for c in components if c not in _COMPONENTS]
    if bad or not variables or not components:
        raise ValueError(
            f"variables={list(variables)}, components={list(components)}; expected some of "
            f"{list(VARIABLE_LABELS)} and of {list(_COMPONENTS)}"
        )
    aligned, groups = trial_groups(states, color_by, included_only=included_only)
    colors = colors_for(color_by, [value for value, _ in groups], colorscale)
    rows, cols = len(variables), len(components)
    titles = [
        f"{COMPONENT_LABELS[c]} {VARIABLE_LABELS[v].lower()}" for v in variables for c in components
    ]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles)
    n_steps = aligned.pos.shape[1]
    x = np.arange(n_steps) * (dt if dt is not None else 1)
    x_band = np.concatenate([x, x[::-1]])
    traces = []
    for value, index in groups:
        color, name = colors[value], format_value(value)
        for r, variable in enumerate(variables):
            data = aligned.variable(variable)[index]
            for c, component in enumerate(components):
                n = r * cols + c + 1
                axes = {"xaxis": f"x{n if n > 1 else ''}", "yaxis": f"y{n if n > 1 else ''}"}
                y = data[:, :, _COMPONENTS[component]]
                mean, std = np.nanmean(y, axis=0), np.nanstd(y, axis=0)
                traces.append(go.Scatter(
                    x=x_band, y=np.concatenate([mean + std, (mean - std)[::-1]]), fill="toself",
                    fillcolor=with_alpha(color, 0.2), line={"width": 0}, mode="lines",
                    name=name, legendgroup=name, showlegend=False, hoverinfo="skip", **axes,
                ))
                traces.append(go.Scatter(
                    x=x, y=mean, mode="lines", name=name, legendgroup=name,
                    showlegend=n == 1, line={"color": color, "width": 2}, **axes,
                ))
    fig.add_traces(traces)
    fig.add_hline(y=0, line_color=ZERO_LINE_COLOR, line_width=1, row="all", col="all")
    fig.update_xaxes(title_text="Time" if dt is not None else label("t"), row=rows)
    height = height or 150 + 250 * rows
    return finish_layout(
        fig, title=title, width=width, height=height, legend_title=label(color_by)
    )


def velocity_profiles(states: pd.DataFrame, color_by: str = "train_std", **kwargs) -> go.Figure:
    """Forward and lateral velocity against time: `profiles` with `variables=("vel",)`."""
    return profiles(states, color_by, variables=("vel",), **kwargs)
