"""The `unit_ablation` figure set (SPEC §5.5): units sorted by their sensitivity, and a unit ×
reach-direction heatmap of the change of a measure when the unit is clamped to 0.

Both are drawn for each member model's best replicate (unit indices are not comparable across
replicates).
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._sets import best_replicate, compare_column, tag
from ._style import finish_layout, format_value

LABELS = {"end_position_error": "End position error (% reach)",
          "max_lateral_distance": "Max |lateral distance| (% reach)",
          "max_forward_velocity": "Max forward velocity", "sum_net_force": "Σ net force"}
HEATMAP_MEASURES = ("end_position_error", "max_lateral_distance")


def sorted_units(units: pd.DataFrame, title: str) -> go.Figure:
    """Per measure, each unit's sensitivity (mean |Δ| over directions, fields, SISU), sorted."""
    measures = list(dict.fromkeys(units["measure"]))
    fig = make_subplots(rows=1, cols=len(measures), subplot_titles=[LABELS.get(m, m) for m in measures])
    for j, m in enumerate(measures):
        g = units[units["measure"] == m].sort_values("sensitivity", ascending=False)
        fig.add_trace(go.Bar(x=np.arange(len(g)), y=g["sensitivity"], customdata=g["unit"],
                             marker_color="rgb(70, 110, 160)", showlegend=False,
                             hovertemplate="unit %{customdata}<br>|Δ| %{y:.3g}<extra></extra>"), row=1, col=j + 1)
    fig.update_xaxes(title="Units, sorted").update_yaxes(title="Mean |Δ| vs intact", col=1)
    return finish_layout(fig, title=title, width=300 * len(measures) + 80, height=360, legend_title="")


def heatmap(sens: pd.DataFrame, measure: str, title: str) -> go.Figure:
    """Δ measure (ablated − intact) per unit (rows, most sensitive first) × reach direction, at
    the largest field amplitude, mean over SISU values."""
    amp = sens["pert_amp"].max()
    g = sens[(sens["measure"] == measure) & (sens["pert_amp"] == amp)]
    grid = g.pivot_table(index="unit", columns="reach_angle", values="delta", aggfunc="mean")
    order = grid.abs().mean(axis=1).sort_values(ascending=False).index
    grid = grid.loc[order]
    lim = float(np.nanmax(np.abs(grid.to_numpy()))) or 1.0
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[f"{np.degrees(a):.0f}°" for a in grid.columns], y=[f"u{u}" for u in grid.index],
        colorscale="RdBu_r", zmin=-lim, zmax=lim, colorbar={"title": "Δ"},
        hovertemplate="unit %{y}<br>direction %{x}<br>Δ %{z:.3g}<extra></extra>"))
    fig.update_xaxes(title="Reach direction").update_yaxes(title="Unit (most sensitive first)", autorange="reversed")
    return finish_layout(fig, title=f"{title}: Δ {LABELS.get(measure, measure)}, field {format_value(amp)}",
                         width=600, height=max(350, 12 * len(grid) + 150), legend_title="")


def unit_ablation_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                          group: Mapping) -> dict[str, go.Figure]:
    """Per member model (best replicate): the sorted-units figure and the heatmaps of
    `HEATMAP_MEASURES`."""
    hps = [m["hps"] for m in models]
    compare = list(group["compare"])
    best = [best_replicate(m["replicates"]) for m in models]
    column = compare_column(compare[0]) if compare else "model"
    sens = tag(list(tables["sensitivity"]), hps, compare, best)
    units = tag(list(tables["units"]), hps, compare, best)
    if not compare:
        sens[column], units[column] = 0, 0
    figs = {}
    for value, u in units[units["best_replicate"]].groupby(column):
        name, title = f"{column}-{format_value(value)}", f"{column} = {format_value(value)}"
        figs[f"sorted_units__{name}"] = sorted_units(u, title)
        s = sens[sens["best_replicate"] & (sens[column] == value)]
        for m in HEATMAP_MEASURES:
            figs[f"heatmap__{m}__{name}"] = heatmap(s, m, title)
    return figs
