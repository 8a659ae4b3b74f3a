"""Figures of fixed points and their linearisations (SPEC §2.10–2.11, §5.6).

All functions take the tables of `motorlab.analysis.fixed_points` (eigenvalues in long form with
columns real/imag/abs/angle; points with pc1…pc3 columns) and return a `plotly` figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..analysis.fixed_points._linearise import mode_trace_det
from ._style import TEMPLATE, colors_for, format_value, label

GUIDE = dict(color="rgb(150, 150, 150)", width=1, dash="dot")
READOUT_COLORS = {"x": "rgb(214, 39, 40)", "y": "rgb(31, 119, 180)"}


def shown_replicate(frame: pd.DataFrame) -> int:
    """The replicate a single-replicate figure draws: the model's best replicate (column
    `best_replicate`, SPEC §1.5) when the frame holds it, else the lowest-index one."""
    if "best_replicate" in frame and frame["best_replicate"].any():
        return int(frame.loc[frame["best_replicate"], "replicate"].iloc[0])
    return int(frame["replicate"].min())


def _groups(frame: pd.DataFrame, color: str, colorscale: str | None):
    values = frame[color].to_numpy()
    colors = colors_for(color, values, colorscale)
    return [(v, frame[frame[color] == v] if not (isinstance(v, float) and np.isnan(v))
             else frame[frame[color].isna()], colors[v]) for v in colors]


def eigenvalue_scatter(eigs: pd.DataFrame, color: str = "sisu", *,
                       colorscale: str | None = None, marginals: bool = True,
                       marker_size: float = 2.5, title: str | None = None) -> go.Figure:
    """Eigenvalues in the complex plane, with the unit circle, coloured by a column.

    Arguments:
        eigs: eigenvalue table (columns real, imag and `color`).
        color: column to colour by ("sisu": thermal; "replicate": twilight; "position", ...).
        colorscale: override the conventional scale of `color`.
        marginals: box plots of Re (top) and Im (right) per colour group.
        marker_size: marker size in px (SPEC: 2.5).
        title: figure title.

    Returns:
        The figure; the unit circle and the lines Re = ±1 are drawn as dotted guides.
    """
    if marginals:
        fig = make_subplots(rows=2, cols=2, column_widths=[0.82, 0.18], row_heights=[0.18, 0.82],
                            shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.01,
                            vertical_spacing=0.01)
        main = dict(row=2, col=1)
    else:
        fig, main = go.Figure(), {}
    groups = _groups(eigs, color, colorscale)
    for value, grp, col in reversed(groups):  # first groups drawn on top
        name = format_value(value)
        fig.add_trace(go.Scatter(x=grp["real"], y=grp["imag"], mode="markers", name=name,
                                 legendgroup=name, marker=dict(color=col, size=marker_size)),
                      **main)
        if marginals:
            fig.add_trace(go.Box(x=grp["real"], name=name, legendgroup=name, showlegend=False,
                                 marker_color=col, boxpoints=False), row=1, col=1)
            fig.add_trace(go.Box(y=grp["imag"], name=name, legendgroup=name, showlegend=False,
                                 marker_color=col, boxpoints=False), row=2, col=2)
    theta = np.linspace(0, 2 * np.pi, 361)
    fig.add_trace(go.Scatter(x=np.cos(theta), y=np.sin(theta), mode="lines", line=GUIDE,
                             name="|λ| = 1", showlegend=False, hoverinfo="skip"), **main)
    for x in (-1.0, 1.0):
        fig.add_vline(x=x, line=GUIDE, **main)
    fig.update_layout(template=TEMPLATE, title=title, legend_title_text=label(color))
    axis = dict(row=2, col=1) if marginals else {}
    fig.update_xaxes(title_text="Re λ", **axis)
    fig.update_yaxes(title_text="Im λ", scaleanchor="x3" if marginals else "x", scaleratio=1,
                     **axis)
    return fig


def eigenvalue_histograms(eigs: pd.DataFrame, color: str = "sisu", *,
                          colorscale: str | None = None, bins: int = 25,
                          opacity: float = 0.6, title: str | None = None) -> go.Figure:
    """Overlaid histograms (probability per bin) of |∠λ| ∈ [0, π] and |λ| ∈ [0, 1.1].

    Arguments:
        eigs: eigenvalue table (columns angle, abs and `color`).
        color: column whose groups are compared (e.g. "sisu" or "train_std").
        bins: number of bins on each panel.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Angle |∠λ|", "Modulus |λ|"))
    ranges = {"angle": (0.0, np.pi), "abs": (0.0, 1.1)}
    for value, grp, col in _groups(eigs, color, colorscale):
        name = format_value(value)
        for i, (column, (lo, hi)) in enumerate(ranges.items()):
            fig.add_trace(go.Histogram(x=grp[column], name=name, legendgroup=name,
                                       showlegend=i == 0, histnorm="probability",
                                       marker_color=col, opacity=opacity,
                                       xbins=dict(start=lo, end=hi, size=(hi - lo) / bins)),
                          row=1, col=i + 1)
    fig.update_layout(template=TEMPLATE, barmode="overlay", title=title,
                      legend_title_text=label(color))
    fig.update_xaxes(title_text="rad", range=[0, np.pi], row=1, col=1)
    fig.update_xaxes(title_text="|λ|", range=[0, 1.1], row=1, col=2)
    fig.update_yaxes(title_text="Probability", row=1, col=1)
    return fig


def _readout_traces(readout: pd.DataFrame | None, origin, scale: float) -> list[go.Scatter3d]:
    if readout is None or len(readout) == 0:
        return []
    traces = []
    for _, row in readout.iterrows():
        end = np.asarray(origin) + scale * np.array([row["pc1"], row["pc2"], row["pc3"]])
        seg = np.stack([origin, end])
        name = f"Readout {row['output']}"
        traces.append(go.Scatter3d(x=seg[:, 0], y=seg[:, 1], z=seg[:, 2], mode="lines",
                                   name=name, legendgroup="readout", legendgrouptitle_text=
                                   "Readout components", line=dict(
                                       color=READOUT_COLORS.get(row["output"], "black"), width=6)))
    return traces


def fixed_points_3d(points: pd.DataFrame, color: str = "sisu", *,
                    readout: pd.DataFrame | None = None, origin: Sequence[float] | None = None,
                    scale: float = 0.25, symbol: str | None = "kind",
                    colorscale: str | None = None, title: str | None = None) -> go.Figure:
    """Fixed points (e.g. a steady-state grid) in PC1–3, with readout vectors.

    Arguments:
        points: point table with pc1, pc2, pc3 and `color` columns (e.g. primary points).
        color: column to colour by.
        readout: `readout_directions` rows of one replicate (output, pc1…pc3); optional.
        origin: start of the readout segments (PC coordinates); default the mean of the points
            at the lowest value of `color`.
        scale: length factor of the readout segments (SPEC: 0.25).
        symbol: column mapping to open (first value) / filled markers, e.g. "kind" (goal_goal
            open, init_goal filled); ignored when absent.
    """
    fig = go.Figure()
    symbols = {}
    if symbol and symbol in points:
        symbols = {v: s for v, s in zip(sorted(points[symbol].unique()),
                                        ("circle-open", "circle", "diamond", "square"))}
    for value, grp, col in _groups(points, color, colorscale):
        parts = grp.groupby(symbol) if symbols else [(None, grp)]
        for sym, sub in parts:
            name = format_value(value) + (f" {sym}" if sym is not None else "")
            fig.add_trace(go.Scatter3d(x=sub["pc1"], y=sub["pc2"], z=sub["pc3"], mode="markers",
                                       name=name, marker=dict(color=col, size=4,
                                                              symbol=symbols.get(sym, "circle"))))
    if origin is None and len(points):
        low = points[points[color] == points[color].min()]
        origin = low[["pc1", "pc2", "pc3"]].mean().to_numpy()
    for trace in _readout_traces(readout, origin, scale):
        fig.add_trace(trace)
    fig.update_layout(template=TEMPLATE, title=title, legend_title_text=label(color),
                      scene=dict(xaxis_title="PC1", yaxis_title="PC2", zaxis_title="PC3"))
    return fig


def trajectories_3d(hidden: pd.DataFrame, fixed_points: pd.DataFrame | None = None,
                    color: str = "direction", *, readout: pd.DataFrame | None = None,
                    origin: Sequence[float] | None = None, scale: float = 0.25,
                    colorscale: str | None = None, title: str | None = None) -> go.Figure:
    """Hidden-state trajectories (lines, open-diamond end) and their fixed-point trajectories
    (markers, opacity 0.4, open-square end) in PC1–3.

    Arguments:
        hidden: rows trial, t, pc1…pc3 and `color` (one row per trial × step).
        fixed_points: the same layout for the fixed-point trajectory (rows without a point
            have NaN coordinates); optional.
        color: column to colour trials by ("direction": cyclic phase).
    """
    fig = go.Figure()
    for value, grp, col in _groups(hidden, color, colorscale):
        name = format_value(value)
        for i, (trial, tr) in enumerate(grp.groupby("trial")):
            tr = tr.sort_values("t")
            n = len(tr)
            fig.add_trace(go.Scatter3d(
                x=tr["pc1"], y=tr["pc2"], z=tr["pc3"], mode="lines+markers", name=name,
                legendgroup=name, showlegend=i == 0, line=dict(color=col, width=3),
                marker=dict(color=col, size=[0] * (n - 1) + [5],
                            symbol=["circle"] * (n - 1) + ["diamond-open"])))
            if fixed_points is not None:
                fp = fixed_points[fixed_points["trial"] == trial].sort_values("t")
                m = len(fp)
                fig.add_trace(go.Scatter3d(
                    x=fp["pc1"], y=fp["pc2"], z=fp["pc3"], mode="markers", legendgroup=name,
                    showlegend=False, opacity=0.4, name=f"{name} fixed points",
                    marker=dict(color=col, size=[2] * (m - 1) + [5],
                                symbol=["circle"] * (m - 1) + ["square-open"])))
    if origin is None and len(hidden):
        origin = hidden[["pc1", "pc2", "pc3"]].mean().to_numpy()
    for trace in _readout_traces(readout, origin, scale):
        fig.add_trace(trace)
    fig.update_layout(template=TEMPLATE, title=title, legend_title_text=label(color),
                      scene=dict(xaxis_title="PC1", yaxis_title="PC2", zaxis_title="PC3"))
    return fig


def trace_determinant(eigs: pd.DataFrame, color: str = "sisu", *, time: str = "discrete",
                      dt: float | None = None, colorscale: str | None = None,
                      title: str | None = None) -> go.Figure:
    """Trace–determinant ("Poincaré") diagram of the eigenmodes of fixed-point Jacobians.

    Each eigenvalue λ is drawn as the planar system with eigenvalues (λ, λ̄): trace 2 Re λ,
    determinant |λ|² (`motorlab.analysis.fixed_points._linearise.mode_trace_det`); real modes lie on the
    parabola det = tr²/4, complex ones above it.

    Arguments:
        eigs: eigenvalue table (columns real, imag and `color`).
        time: "discrete" (the map; guides: the stability triangle |det| < 1, |tr| < 1 + det,
            and det = tr²/4) or "continuous" (μ = log λ / dt; guides: tr = 0, det = 0 and
            det = tr²/4; stable = tr < 0 < det).
        dt: time step of the map, required for "continuous".
    """
    if time not in ("discrete", "continuous"):
        raise ValueError(f"time must be 'discrete' or 'continuous', got {time!r}")
    if time == "continuous" and not (dt and dt > 0):
        raise ValueError(f"time='continuous' needs dt > 0, got {dt!r}")
    fig = go.Figure()
    all_tr = []
    for value, grp, col in reversed(_groups(eigs, color, colorscale)):
        lam = grp["real"].to_numpy(float) + 1j * grp["imag"].to_numpy(float)
        tr, det = mode_trace_det(lam, dt if time == "continuous" else None)
        all_tr.append(tr[np.isfinite(tr)])
        fig.add_trace(go.Scatter(x=tr, y=det, mode="markers", name=format_value(value),
                                 marker=dict(color=col, size=4)))
    span = np.concatenate(all_tr) if all_tr else np.zeros(0)
    if time == "discrete":
        lo = min(-2.2, float(span.min())) if span.size else -2.2
        hi = max(2.2, float(span.max())) if span.size else 2.2
        fig.add_trace(go.Scatter(x=[-2, 2, 0, -2], y=[1, 1, -1, 1], mode="lines", line=GUIDE,
                                 name="Stable (|det| < 1, |tr| < 1 + det)", hoverinfo="skip"))
        x_title, y_title = "tr = 2 Re λ", "det = |λ|²"
    else:
        lo, hi = (float(span.min()), float(span.max())) if span.size else (-1.0, 1.0)
        pad = 0.05 * (hi - lo) + 1e-9
        lo, hi = min(lo - pad, -pad), max(hi + pad, pad)
        fig.add_vline(x=0.0, line=GUIDE)
        fig.add_hline(y=0.0, line=GUIDE)
        x_title, y_title = "tr = 2 Re μ (1/time)", "det = |μ|² (1/time²)"
    x = np.linspace(lo, hi, 200)
    fig.add_trace(go.Scatter(x=x, y=x**2 / 4, mode="lines", line=dict(GUIDE, dash="dash"),
                             name="det = tr²/4", hoverinfo="skip"))
    fig.update_layout(template=TEMPLATE, title=title, legend_title_text=label(color),
                      xaxis_title=x_title, yaxis_title=y_title)
    return fig


def direction_across_sisu(trajectories: pd.DataFrame, direction: int | None = None, *,
                          readout: pd.DataFrame | None = None, scale: float = 0.25,
                          title: str | None = None) -> go.Figure:
    """One reach direction across SISUs (SPEC §2.11): the hidden trajectory (lines) and the
    fixed-point trajectory (markers) of that reach at every SISU, coloured by SISU.

    Arguments:
        trajectories: fixed-point trajectory rows of one replicate and field amplitude (columns
            direction, sisu, trial, t, pc1…pc3 of the points and hidden_pc1…3 of the states).
        direction: the reach direction; default the lowest traced one.
        readout: `readout_directions` rows of the replicate (reach PCA); optional.
    """
    if direction is None:
        direction = int(trajectories["direction"].min())
    one = trajectories[trajectories["direction"] == direction].copy()
    # one trajectory per SISU: number them by SISU so that trials do not collide
    one["trial"] = one.groupby("sisu", dropna=False).ngroup()
    hidden = one[["trial", "t", "sisu", "hidden_pc1", "hidden_pc2", "hidden_pc3"]].rename(
        columns=lambda c: c.removeprefix("hidden_"))
    return trajectories_3d(hidden, one[["trial", "t", "pc1", "pc2", "pc3"]], "sisu",
                           readout=readout, scale=scale, title=title)


def fixed_point_figure_set(points: pd.DataFrame, eigs: pd.DataFrame, summaries: pd.DataFrame,
                           reach: pd.DataFrame, trajectories: pd.DataFrame,
                           continuation: pd.DataFrame, events: pd.DataFrame, *,
                           compare_key: str, compare_col: str, dt: float
                           ) -> dict[str, go.Figure]:
    """Every fixed-point figure of a group of models, from the fixed-point stage's tables.

    The tables are those of `motorlab.stages._fixed_points.fixed_points`, concatenated over the group's
    models, each with the column `compare_col` holding the model's value of `compare_key` (e.g.
    "train_std" for pert.std). Only primary points of included replicates are drawn.

    Per value v of `compare_col` (tag `<compare_col>-<v>`): eigenvalue scatters by SISU /
    replicate / position, discrete and continuous (`dt`) trace–determinant diagrams, angle and
    modulus histograms of the lowest vs highest SISU, the steady grid in PC1–3 with readout
    vectors, the SISU continuation's branch diagram, the goal-goal / init-goal points, the
    fixed-point trajectories of the traced reaches per SISU (coloured by direction) and one
    reach direction across SISUs (coloured by SISU); the reach figures once per field amplitude
    (`__amp-<a>` when there is more than one). Across values: histograms comparing them.

    Returns:
        {figure name: figure}; names are `<kind>__<tag>[__sisu-<s>][__amp-<a>]`.
    """
    from ._continuation import branch_diagram

    col, key = compare_col, compare_key
    points = points[points["primary"] & points["included"]]
    reach = reach[reach["primary"] & reach["included"]]
    eigs = eigs[eigs["primary"] & eigs["included"]]
    figs: dict[str, go.Figure] = {}
    for value in sorted(eigs[col].unique()):
        tag_, title = f"{col}-{float(value):g}", f"{key} = {float(value):g}"
        at = eigs[eigs[col] == value]
        figs[f"eigenvalues_by_sisu__{tag_}"] = eigenvalue_scatter(at, "sisu", title=title)
        figs[f"eigenvalues_by_replicate__{tag_}"] = eigenvalue_scatter(at, "replicate", title=title)
        figs[f"eigenvalues_by_position__{tag_}"] = eigenvalue_scatter(
            at, "position", marginals=False, title=title)
        figs[f"trace_determinant__{tag_}"] = trace_determinant(at, "sisu", title=title)
        figs[f"trace_determinant_continuous__{tag_}"] = trace_determinant(
            at, "sisu", time="continuous", dt=dt, title=f"{title} (continuous time)")
        lo, hi = at["sisu"].min(), at["sisu"].max()
        if hi > lo:
            figs[f"eigenvalue_histograms_sisu_lowhigh__{tag_}"] = eigenvalue_histograms(
                at[at["sisu"].isin([lo, hi])], "sisu", title=title)
        pts = points[points[col] == value]
        if len(pts):
            rep = shown_replicate(pts)
            readout = summaries[(summaries["kind"] == "readout") & (summaries[col] == value)
                                & (summaries["replicate"] == rep)]
            figs[f"fixed_point_grid_3d__{tag_}"] = fixed_points_3d(
                pts[pts["replicate"] == rep], "sisu", readout=readout,
                title=f"{title}, replicate {rep}")
        branches = (continuation[(continuation[col] == value) & continuation["included"]]
                    if len(continuation) else continuation)
        if len(branches):
            rep = shown_replicate(branches)
            ev = events[(events[col] == value) & (events["replicate"] == rep)]
            figs[f"sisu_continuation__{tag_}"] = branch_diagram(
                branches[branches["replicate"] == rep], ev, title=f"{title}, replicate {rep}")
        figs.update(_reach_figure_set(reach[reach[col] == value],
                                      trajectories[trajectories[col] == value],
                                      summaries[summaries[col] == value], tag_, title))
    if eigs[col].nunique() > 1:
        figs["eigenvalue_histograms_compare_train"] = eigenvalue_histograms(eigs, col)
    return figs


def _reach_figure_set(reach, trajectories, summaries, tag_: str, title: str
                      ) -> dict[str, go.Figure]:
    """Reach figures of one compare value, once per field amplitude."""
    figs: dict[str, go.Figure] = {}
    amps = sorted(reach["amp"].unique()) if "amp" in reach and len(reach) else [None]
    for amp in amps:
        suffix = "" if amp is None or len(amps) == 1 else f"__amp-{float(amp):g}"
        at_title = title if amp is None else f"{title}, field {float(amp):g}"
        rch = reach if amp is None else reach[reach["amp"] == amp]
        trj = (trajectories if amp is None or "amp" not in trajectories
               else trajectories[trajectories["amp"] == amp])
        if not len(rch):
            continue
        rep = shown_replicate(rch)
        readout = summaries[(summaries["kind"] == "reach_readout") & (summaries["replicate"] == rep)]
        figs[f"reach_fixed_points_3d__{tag_}{suffix}"] = fixed_points_3d(
            rch[rch["replicate"] == rep], "sisu", readout=readout, symbol="kind",
            title=f"{at_title}, replicate {rep}: goal-goal (open), init-goal (filled)")
        if not len(trj):
            continue
        rep_t = int(trj["replicate"].iloc[0])
        readout_t = summaries[(summaries["kind"] == "reach_readout")
                              & (summaries["replicate"] == rep_t)]
        for s, tr in trj.groupby("sisu", dropna=False):
            hidden = tr[["trial", "t", "direction", "hidden_pc1", "hidden_pc2", "hidden_pc3"]].rename(
                columns=lambda c: c.removeprefix("hidden_"))
            name = (f"fixed_point_trajectories_3d__{tag_}"
                    + ("" if np.isnan(s) else f"__sisu-{float(s):g}") + suffix)
            figs[name] = trajectories_3d(
                hidden, tr[["trial", "t", "pc1", "pc2", "pc3"]], "direction", readout=readout_t,
                title=f"{at_title}, SISU {float(s):g}, replicate {rep_t}")
        if trj["sisu"].nunique() > 1:
            d = int(trj["direction"].min())
            figs[f"fixed_point_trajectories_by_sisu_3d__{tag_}{suffix}"] = direction_across_sisu(
                trj, d, readout=readout_t,
                title=f"{at_title}, direction {d} across SISU, replicate {rep_t}")
    return figs
