"""The `sisu_pert` figure set (SPEC §2.8): effector trajectories and profiles after a SISU step,
sampled unit activity, and the step's effect on position vs hidden state.

Line colour = SISU step size (steady) or final SISU (reach), dash = plant field amplitude
(dotted: no field, solid: the largest); curves are means over evaluations of the best replicate.
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._sets import best_replicate, compare_column, tag
from ._style import colors_for, finish_layout, format_value

DASHES = ("dot", "dash", "solid")


def dash_for(values) -> dict[float, str]:
    """Line dash per value, in order, the largest value solid."""
    ordered = sorted(set(float(v) for v in values))
    return {v: DASHES[max(0, len(DASHES) - len(ordered) + i)] if len(ordered) <= 3 else "solid"
            for i, v in enumerate(ordered)}


def aligned(frame: pd.DataFrame, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """(forward, lateral) components of `prefix`_x/_y in each trial's reach frame."""
    a = frame["reach_angle"].to_numpy()
    x, y = frame[f"{prefix}_x"].to_numpy(), frame[f"{prefix}_y"].to_numpy()
    if prefix == "pos":
        x0 = frame.groupby(["eval", "replicate", "condition", "sisu_final"])["pos_x"].transform("first").to_numpy()
        y0 = frame.groupby(["eval", "replicate", "condition", "sisu_final"])["pos_y"].transform("first").to_numpy()
        x, y = x - x0, y - y0
    return np.cos(a) * x + np.sin(a) * y, -np.sin(a) * x + np.cos(a) * y


def _mean_curves(frame: pd.DataFrame, color_col: str, x: str, y: str):
    """Mean (over the other rows) of y vs x per (pert_amp, color value)."""
    return frame.groupby(["pert_amp", color_col, x], sort=True)[y].mean().reset_index()


def _lines(fig, frame, color_col, x, y, *, row=None, col=None, legend=True):
    colors = colors_for("sisu", frame[color_col].unique())
    dashes = dash_for(frame["pert_amp"].unique())
    for (amp, value), g in _mean_curves(frame, color_col, x, y).groupby(["pert_amp", color_col]):
        fig.add_trace(go.Scatter(
            x=g[x], y=g[y], mode="lines", line={"color": colors[value], "dash": dashes[float(amp)], "width": 2},
            name=f"{format_value(value)}, field {format_value(amp)}", legendgroup=f"{value}-{amp}",
            showlegend=legend), row=row, col=col)


def steady_trajectories(states: pd.DataFrame, title: str) -> go.Figure:
    """2-D effector positions after the step, colour = step size, dash = field amplitude."""
    fig = go.Figure()
    colors = colors_for("sisu", states["step_size"].unique())
    dashes = dash_for(states["pert_amp"].unique())
    mean = states.groupby(["pert_amp", "step_size", "t"])[["pos_x", "pos_y"]].mean().reset_index()
    for (amp, step), g in mean.groupby(["pert_amp", "step_size"]):
        fig.add_trace(go.Scatter(x=g["pos_x"], y=g["pos_y"], mode="lines",
                                 line={"color": colors[step], "dash": dashes[float(amp)]},
                                 name=f"step {format_value(step)}, field {format_value(amp)}"))
    fig.update_xaxes(title="x").update_yaxes(title="y", scaleanchor="x")
    return finish_layout(fig, title=title, width=550, height=450, legend_title="SISU step")


def unit_activity(activity: pd.DataFrame, step: int, title: str) -> go.Figure:
    """Activity of the sampled units vs time (one panel each), colour = step size."""
    units = sorted(activity["unit"].unique())
    fig = make_subplots(rows=1, cols=len(units), subplot_titles=[f"unit {u}" for u in units],
                        shared_yaxes=True)
    for i, u in enumerate(units):
        _lines(fig, activity[activity["unit"] == u], "step_size", "t", "activity", row=1, col=i + 1,
               legend=i == 0)
        fig.add_vline(x=step + 1, line={"color": "grey", "dash": "dot"}, row=1, col=i + 1)
    fig.update_xaxes(title="Time step")
    return finish_layout(fig, title=title, width=260 * len(units) + 100, height=330, legend_title="SISU step")


def reach_figures(states: pd.DataFrame, title: str, step: int) -> dict[str, go.Figure]:
    """Aligned reach trajectories and forward/lateral velocity profiles, colour = final SISU."""
    fwd, lat = aligned(states, "pos")
    vf, vl = aligned(states, "vel")
    s = states.assign(pos_fwd=fwd, pos_lat=lat, vel_fwd=vf, vel_lat=vl)
    traj = go.Figure()
    colors = colors_for("sisu", s["sisu_final"].unique())
    dashes = dash_for(s["pert_amp"].unique())
    mean = s.groupby(["pert_amp", "sisu_final", "t"])[["pos_fwd", "pos_lat"]].mean().reset_index()
    for (amp, final), g in mean.groupby(["pert_amp", "sisu_final"]):
        traj.add_trace(go.Scatter(x=g["pos_fwd"], y=g["pos_lat"], mode="lines",
                                  line={"color": colors[final], "dash": dashes[float(amp)]},
                                  name=f"SISU {format_value(final)}, field {format_value(amp)}"))
    traj.update_xaxes(title="Forward position").update_yaxes(title="Lateral position")
    prof = make_subplots(rows=1, cols=2, subplot_titles=["Forward velocity", "Lateral velocity"])
    for j, col in enumerate(("vel_fwd", "vel_lat")):
        _lines(prof, s, "sisu_final", "t", col, row=1, col=j + 1, legend=j == 0)
        prof.add_vline(x=step + 1, line={"color": "grey", "dash": "dot"}, row=1, col=j + 1)
    prof.update_xaxes(title="Time step")
    return {"aligned_trajectories": finish_layout(traj, title=title, width=650, height=400,
                                                  legend_title="Final SISU"),
            "profiles": finish_layout(prof, title=title, width=900, height=350, legend_title="Final SISU")}


def summary_figure(summary: pd.DataFrame, column: str) -> go.Figure:
    """Position shift, hidden shift and readout alignment of the step, x = compared key."""
    measures = (("pos_shift", "Position shift"), ("hidden_shift", "Hidden shift"),
                ("readout_alignment", "Readout alignment of Δh"))
    fig = make_subplots(rows=1, cols=3, subplot_titles=[m[1] for m in measures])
    moved = summary[summary["step_size"] != 0]
    colors = colors_for("pert_amp", moved["pert_amp"].unique())
    for j, (m, _) in enumerate(measures):
        for amp, g in moved.groupby("pert_amp"):
            fig.add_trace(go.Box(x=g[column].astype(str), y=g[m], name=f"field {format_value(amp)}",
                                 marker_color=colors[amp], legendgroup=str(amp), showlegend=j == 0),
                          row=1, col=j + 1)
        if m == "readout_alignment":
            fig.add_trace(go.Scatter(x=moved[column].astype(str), y=moved["random_alignment"], mode="markers",
                                     marker={"symbol": "line-ew-open", "size": 14, "color": "grey"},
                                     name="random direction"), row=1, col=3)
    fig.update_layout(boxmode="group")
    return finish_layout(fig, title="After the SISU step (steady state of the last 10 steps)", width=1000,
                         height=380, legend_title="")


def sisu_pert_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                      group: Mapping) -> dict[str, go.Figure]:
    """Figures of one `sisu_pert` group: per member model (best replicate), the steady-state
    trajectories and unit activity (variant `steady`) or aligned reaches and profiles (`reach`),
    and one summary figure across members."""
    hps = [m["hps"] for m in models]
    compare = list(group["compare"])
    best = [best_replicate(m["replicates"]) for m in models]
    column = compare_column(compare[0]) if compare else "model"
    trajectories = tag(list(tables["trajectories"]), hps, compare, best)
    activity = tag(list(tables["activity"]), hps, compare, best)
    summary = tag(list(tables["summary"]), hps, compare)
    if not compare:
        for t in (trajectories, activity, summary):
            t[column] = 0
    step = int(summary["step"].iloc[0])
    figs = {}
    for value, states in trajectories[trajectories["best_replicate"]].groupby(column):
        name, title = f"{column}-{format_value(value)}", f"{column} = {format_value(value)}"
        if group["variant"] == "steady":
            figs[f"steady_trajectories__{name}"] = steady_trajectories(states, title)
            act = activity[activity["best_replicate"] & (activity[column] == value)]
            figs[f"unit_activity__{name}"] = unit_activity(act, step, title)
        else:
            figs.update({f"{k}__{name}": f for k, f in reach_figures(states, title, step).items()})
    figs["summary"] = summary_figure(summary, column)
    return figs
