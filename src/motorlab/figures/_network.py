"""Weight distributions of trained networks (SPEC §2.12 "network basic", readout norms).

Figures take the long tables of `motorlab.analysis.weights_table` / `readout_norms`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..analysis._weights import LAYER_LABELS, LAYERS
from ._groups import check_column, group_indices, only_included
from ._hover import axis_refs
from ._style import colors_for, finish_layout, format_value, label, ordered_values, with_alpha


def weight_violins(
    weights: pd.DataFrame,
    *,
    column: str = "train_std",
    by: Literal["condition", "replicate"] = "condition",
    included_only: bool = False,
    title: str | None = None,
    width: int = 900,
    height: int = 350,
) -> go.Figure:
    """Distributions of input, recurrent and readout weights, one panel per layer.

    Arguments:
        weights: a `weights_table` (columns `column`, replicate, included, layer, value).
        column: the training-condition column.
        by: "condition": x = condition value, one violin per condition (pooled over replicates,
            `viridis` for train std); "replicate": x = replicate, one violin per replicate and
            condition, grouped, coloured by condition.
        included_only: leave out replicates excluded by post-training selection.
        title, width, height: figure title and size in px.

    Returns:
        Per condition value and layer present, one `go.Violin` (points off, mean line shown).
    """
    for role, name in (("column", column), ("layer column", "layer"), ("replicate", "replicate")):
        check_column(weights, name, role)
    if by not in ("condition", "replicate"):
        raise ValueError(f"by={by!r}; expected 'condition' or 'replicate'")
    rows = only_included(weights) if included_only else weights
    layers = [layer for layer in LAYERS if (rows["layer"] == layer).any()]
    if not layers:
        raise ValueError(f"no weights of layers {list(LAYERS)} in the table")
    groups = group_indices(rows[column])
    colors = colors_for(column, [value for value, _ in groups])
    fig = make_subplots(rows=1, cols=len(layers), subplot_titles=[LAYER_LABELS[x] for x in layers])
    layer_of = rows["layer"].to_numpy()
    values = rows["value"].to_numpy(dtype=float)
    x_column = column if by == "condition" else "replicate"
    x_all = rows[x_column].to_numpy()
    for value, index in groups:
        name = format_value(value)
        for col, layer in enumerate(layers, start=1):
            here = index[layer_of[index] == layer]
            fig.add_trace(go.Violin(
                x=[format_value(v) for v in x_all[here]], y=values[here], name=name,
                legendgroup=name, showlegend=col == 1, line_color=colors[value],
                fillcolor=with_alpha(colors[value], 0.5), meanline_visible=True, points=False,
                spanmode="hard", scalemode="width", offsetgroup=name,
                # one alignment group per panel, or grouped violins shrink with the panel count
                alignmentgroup=f"panel{col}", **axis_refs(col)))
    categories = [format_value(v) for v in ordered_values(x_all.tolist())]
    fig.update_xaxes(title_text=label(x_column), type="category", categoryorder="array",
                     categoryarray=categories)
    fig.update_yaxes(title_text="Weight", col=1)
    fig.update_layout(violinmode="group" if by == "replicate" else "overlay")
    return finish_layout(fig, title=title, width=width, height=height, legend_title=label(column))


def readout_norm_violins(
    norms: pd.DataFrame,
    *,
    column: str = "train_std",
    title: str | None = None,
    width: int = 500,
    height: int = 300,
) -> go.Figure:
    """Readout norms ‖W_out‖_F across replicates: violin + strip of points, x = condition.

    Arguments:
        norms: a `readout_norms` table (columns `column`, replicate, included, value).
        column: the training-condition column.

    Returns:
        One `go.Violin` per condition over its included replicates, each drawn as a point
        (hover "replicate r"), then, if post-training selection excluded any replicate, one
        "excluded" trace marking those with crosses (not part of the violins).
    """
    check_column(norms, column, "column")
    groups = group_indices(norms[column])
    colors = colors_for(column, [value for value, _ in groups])
    included = (norms["included"].to_numpy(bool) if "included" in norms.columns
                else np.ones(len(norms), bool))
    replicate, norm = norms["replicate"].to_numpy(), norms["value"].to_numpy(float)
    fig = go.Figure()
    for value, index in groups:
        name = format_value(value)
        index = index[included[index]]
        fig.add_trace(go.Violin(
            x=[name] * index.size, y=norm[index], name=name, line_color=colors[value],
            fillcolor=with_alpha(colors[value], 0.5), meanline_visible=True, points="all",
            pointpos=0, jitter=0.3, spanmode="hard", marker={"size": 6},
            text=[f"replicate {r}" for r in replicate[index]],
            hovertemplate="%{text}<br>norm %{y:.4g}<extra></extra>"))
    if not included.all():
        out = np.flatnonzero(~included)
        fig.add_trace(go.Scatter(
            x=[format_value(v) for v in norms[column].to_numpy()[out]], y=norm[out], mode="markers",
            name="excluded", marker={"symbol": "x", "size": 9, "color": "black"},
            text=[f"replicate {r} (excluded)" for r in replicate[out]],
            hovertemplate="%{text}<br>norm %{y:.4g}<extra></extra>"))
    categories = [format_value(v) for v in ordered_values(norms[column].tolist())]
    fig.update_xaxes(categoryorder="array", categoryarray=categories)
    fig.update_xaxes(title_text=label(column), type="category")
    fig.update_yaxes(title_text="Readout norm ‖W‖<sub>F</sub>", rangemode="tozero")
    return finish_layout(fig, title=title, width=width, height=height, legend_title=label(column))
