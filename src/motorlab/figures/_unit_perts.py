"""The `unit_perts` figure set (SPEC §2.9).

Variant "directions" (protocol a): the alignment of effective with preferred direction vs SISU,
and circular histograms of the change of preferred direction between the lowest and highest
SISU. Variant "regression" (protocol b): the SISU weight vs curl weight of every unit, example
units' deviation, angle and speed vs time, and the alignment of each unit's deviation with its
readout direction.
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..analysis._angles import wrap_angle
from ._sets import best_replicate, compare_column, tag
from ._style import colors_for, finish_layout, format_value

SISU_DASH = {0: "dot", 1: "dash", 2: "solid"}


def alignment_by_sisu(d: pd.DataFrame, column: str) -> go.Figure:
    """Signed angle effective − preferred (deg) over units vs SISU, one box per model."""
    fig = go.Figure()
    colors = colors_for(column, d[column].unique())
    for value, g in d.groupby(column):
        fig.add_trace(go.Box(x=g["sisu"].map(format_value), y=np.degrees(g["alignment"]), name=format_value(value),
                             marker_color=colors[value], boxmean="sd"))
    fig.add_hline(y=0, line={"color": "grey", "width": 1})
    fig.update_layout(boxmode="group")
    fig.update_xaxes(title="SISU").update_yaxes(title="Effective − preferred (deg)")
    return finish_layout(fig, title="Alignment of effective with preferred direction", width=750, height=420,
                         legend_title=column)


def preferred_change(d: pd.DataFrame, title: str, bins: int = 24) -> go.Figure:
    """Circular histogram of wrap(preferred(highest SISU) − preferred(lowest SISU)) over units."""
    lo, hi = d["sisu"].min(), d["sisu"].max()
    key = ["replicate", "unit"]
    a = d[d["sisu"] == lo].set_index(key)["preferred"]
    b = d[d["sisu"] == hi].set_index(key)["preferred"].reindex(a.index)
    change = np.degrees(np.asarray(wrap_angle(b.to_numpy() - a.to_numpy())))
    edges = np.linspace(-180, 180, bins + 1)
    counts, _ = np.histogram(change, edges)
    fig = go.Figure(go.Barpolar(r=counts, theta=(edges[:-1] + edges[1:]) / 2, width=360 / bins,
                                marker_color="rgb(70, 110, 160)"))
    return finish_layout(fig, title=f"{title}: Δ preferred direction, SISU {format_value(lo)} → {format_value(hi)}",
                         width=450, height=450, legend_title="")


def weight_scatter(r: pd.DataFrame, column: str) -> go.Figure:
    """Each unit's regression weights: SISU weight (x) vs curl-amplitude weight (y)."""
    fig = go.Figure()
    colors = colors_for(column, r[column].unique())
    for value, g in r.groupby(column):
        fig.add_trace(go.Scatter(x=g["w_sisu"], y=g["w_amp"], mode="markers", name=format_value(value),
                                 marker={"color": colors[value], "size": 6, "opacity": 0.7},
                                 customdata=np.stack([g["unit"], g["replicate"]], -1),
                                 hovertemplate="unit %{customdata[0]} (replicate %{customdata[1]})<br>"
                                               "SISU %{x:.3g}<br>curl %{y:.3g}<extra></extra>"))
    fig.add_hline(y=0, line={"color": "grey", "width": 1}).add_vline(x=0, line={"color": "grey", "width": 1})
    fig.update_xaxes(title="SISU weight (max deviation per unit SISU)")
    fig.update_yaxes(title="Curl weight (max deviation per unit amplitude)")
    return finish_layout(fig, title="Unit stimulation: max deviation ~ 1 + SISU + curl amplitude", width=650,
                         height=500, legend_title=column)


def readout_alignment(r: pd.DataFrame, column: str) -> go.Figure:
    """Histogram of the angle between each unit's deviation and its readout direction (deg)."""
    fig = go.Figure()
    colors = colors_for(column, r[column].unique())
    for value, g in r.groupby(column):
        fig.add_trace(go.Histogram(x=np.degrees(g["alignment"]), name=format_value(value), opacity=0.6,
                                   marker_color=colors[value], xbins={"start": -180, "end": 180, "size": 15}))
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="Deviation − readout direction (deg)").update_yaxes(title="Units")
    return finish_layout(fig, title="Max-deviation direction vs readout direction", width=600, height=380,
                         legend_title=column)


def examples(x: pd.DataFrame, title: str) -> go.Figure:
    """Deviation ‖p‖, its angle and speed vs time for the example units; colour = field
    amplitude, dash = SISU (lowest dotted), grey = stimulation window."""
    units = [u for u in sorted(x["unit"].unique()) if u >= 0]
    rows = (("deviation", "‖p‖"), ("angle", "angle (rad)"), ("speed", "speed"))
    fig = make_subplots(rows=3, cols=len(units), shared_xaxes=True, subplot_titles=[f"unit {u}" for u in units])
    colors = colors_for("pert_amp", x["pert_amp"].unique())
    sisus = sorted(x["sisu"].unique())
    dashes = {s: SISU_DASH.get(i, "solid") if len(sisus) <= 3 else "solid" for i, s in enumerate(sisus)}
    for j, u in enumerate(units):
        g = x[x["unit"] == u]
        for (amp, s), h in g.groupby(["pert_amp", "sisu"]):
            for i, (col, _) in enumerate(rows):
                fig.add_trace(go.Scatter(x=h["t"], y=h[col], mode="lines", legendgroup=f"{amp}-{s}",
                                         line={"color": colors[amp], "dash": dashes[s], "width": 1.5},
                                         name=f"curl {format_value(amp)}, SISU {format_value(s)}",
                                         showlegend=i == 0 and j == 0), row=i + 1, col=j + 1)
        for i in range(3):
            fig.add_vrect(x0=int(g["stim_start"].iloc[0]), x1=int(g["stim_end"].iloc[0]), fillcolor="grey",
                          opacity=0.2, line_width=0, row=i + 1, col=j + 1)
    for i, (_, label) in enumerate(rows):
        fig.update_yaxes(title=label, row=i + 1, col=1)
    fig.update_xaxes(title="Time step", row=3)
    return finish_layout(fig, title=title, width=230 * max(len(units), 1) + 150, height=650, legend_title="")


def reach_shift(r: pd.DataFrame, column: str) -> go.Figure:
    """Protocol (c): mean |shift| of the effective direction from the first stimulation time
    (degrees, over units, reach directions and replicates) against the stimulation time, one
    line per SISU, one panel per value of `column`."""
    values = sorted(r[column].unique())
    fig = make_subplots(rows=1, cols=len(values), subplot_titles=[f"{column} = {format_value(v)}" for v in values])
    palette = colors_for("sisu", sorted(r["sisu"].unique()))  # the same SISU colour in every panel
    for j, v in enumerate(values):
        g = r[r[column] == v].assign(abs_shift=lambda d: np.degrees(np.abs(d["shift"])))
        for s, h in g.groupby("sisu"):
            m = h.groupby("stim_start")["abs_shift"].mean()
            fig.add_trace(go.Scatter(x=m.index, y=m.to_numpy(), mode="lines+markers", legendgroup=str(s),
                                     line={"color": palette[s]},
                                     name=f"SISU {format_value(s)}", showlegend=j == 0), row=1, col=j + 1)
    fig.update_xaxes(title="Stimulation step along the reach").update_yaxes(title="Mean |shift| (°)", col=1)
    return finish_layout(fig, title="Effective direction along the reach", width=360 * len(values) + 120,
                         height=380, legend_title="")


def unit_perts_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                       group: Mapping) -> dict[str, go.Figure]:
    """The figures of one `unit_perts` group (variant "directions" or "regression"); included
    replicates only, example time series of each member's best replicate."""
    hps = [m["hps"] for m in models]
    compare = list(group["compare"])
    best = [best_replicate(m["replicates"]) for m in models]
    column = compare_column(compare[0]) if compare else "model"
    t = {name: tag(list(frames), hps, compare, best) for name, frames in tables.items()}
    if not compare:
        for frame in t.values():
            frame[column] = 0
    figs = {}
    if group["variant"] == "directions":
        d = t["directions"][t["directions"]["included"]]
        figs["alignment_by_sisu"] = alignment_by_sisu(d, column)
        for value, g in d.groupby(column):
            figs[f"preferred_change__{column}-{format_value(value)}"] = preferred_change(
                g, f"{column} = {format_value(value)}")
    elif group["variant"] == "reach":
        figs["reach_shift"] = reach_shift(t["reach"][t["reach"]["included"]], column)
    else:
        r = t["regression"][t["regression"]["included"]]
        figs["weights_scatter"] = weight_scatter(r, column)
        figs["readout_alignment"] = readout_alignment(r, column)
        x = t["examples"][t["examples"]["best_replicate"]]
        for value, g in x.groupby(column):
            figs[f"examples__{column}-{format_value(value)}"] = examples(g, f"{column} = {format_value(value)}")
    return figs
