"""Bifurcation-style diagram of fixed-point branches along a parameter sweep."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import TEMPLATE, group_colors


def branch_diagram(samples: pd.DataFrame, events: pd.DataFrame | None = None, *, x: str = "sisu",
                   title: str | None = None, width: int = 700, height: int = 500) -> go.Figure:
    """Branches of fixed points against a swept parameter: PC1 of each point (top) and the
    spectral radius of its Jacobian (bottom, with the stability boundary |λ| = 1). Stable
    stretches are solid, unstable ones dashed (as AUTO and MATCONT draw them); folds are marked ✕,
    branch points +, flips ▲, Neimark–Sacker points ★, stability changes ◆, each named by its
    label (LP, BP, PD, NS) where the events carry one, at its PC1 (top) when they carry pc1 and
    at the modulus of its critical multiplier (bottom) when they carry multiplier_abs.

    Arguments:
        samples: one row per sample × branch with columns `x`, branch, pc1, spectral_radius,
            n_unstable (one replicate); optionally arclength, the order along each branch (a
            branch that folds back over x is drawn in that order).
        events: rows with kind ("fold", "stability", ...) and `x` (the event's parameter).
        x: the swept column.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.55, 0.45])
    colors = group_colors(sorted(samples["branch"].unique()), "d3")
    for b, grp in samples.groupby("branch", sort=True):
        # along the branch (arclength) when given: a branch folded back is not a function of x
        grp = grp.sort_values("arclength" if "arclength" in grp else x)
        stable = grp["n_unstable"].to_numpy() == 0
        # dense arclength samples: lines only (markers would hide the dashes); each stretch
        # reaches to the neighbouring samples, so that stable and unstable lines meet
        mode = "lines" if "arclength" in grp else "lines+markers"
        for row, y in ((1, "pc1"), (2, "spectral_radius")):
            for flag, dash in ((True, "solid"), (False, "dash")):
                part = stable == flag
                if "arclength" in grp:
                    part = part | np.r_[part[1:], False] | np.r_[False, part[:-1]]
                fig.add_trace(go.Scatter(
                    x=grp[x], y=np.where(part, grp[y], np.nan), mode=mode,
                    line={"color": colors[b], "dash": dash}, marker={"size": 4},
                    name=f"branch {b}", legendgroup=str(b), showlegend=row == 1 and flag,
                    hovertemplate=f"branch {b}<br>{x} %{{x:.3g}}<br>{y} %{{y:.4g}}<extra></extra>"),
                    row=row, col=1)
    fig.add_hline(y=1.0, line={"color": "grey", "dash": "dash", "width": 1}, row=2, col=1)
    if events is not None and len(events):
        for kind, symbol in (("fold", "x"), ("branch_point", "cross"), ("flip", "triangle-up"),
                             ("neimark_sacker", "star"), ("stability", "diamond")):
            ev = events[events["kind"] == kind]
            if not len(ev):
                continue
            text = ev["label"] if "label" in ev else None
            marker = {"symbol": symbol, "size": 10, "color": "black"}
            mode = "markers+text" if text is not None else "markers"
            y2 = ev["multiplier_abs"] if "multiplier_abs" in ev else np.ones(len(ev))
            fig.add_trace(go.Scatter(x=ev[x], y=y2, mode=mode, name=kind, text=text,
                                     textposition="top center", marker=marker,
                                     legendgroup=kind), row=2, col=1)
            if "pc1" in ev:
                fig.add_trace(go.Scatter(x=ev[x], y=ev["pc1"], mode=mode, name=kind, text=text,
                                         textposition="top center", marker=marker,
                                         legendgroup=kind, showlegend=False), row=1, col=1)
    fig.update_layout(template=TEMPLATE, title=title, width=width, height=height,
                      legend_title_text="Fixed-point branch")
    fig.update_yaxes(title_text="PC1", row=1, col=1)
    fig.update_yaxes(title_text="Spectral radius", row=2, col=1)
    fig.update_xaxes(title_text="Context input" if x == "sisu" else x, row=2, col=1)
    return fig


def fold_curve_diagram(curves: pd.DataFrame, *, x: str = "sisu", y: str = "offset",
                       title: str | None = None, width: int = 600, height: int = 500
                       ) -> go.Figure:
    """Two-parameter fold curves: where the fixed points of the map fold, in the plane of the
    swept input `x` and a second input `y` (one replicate). Each fold's two halves are drawn as
    one line through the fold found on the one-parameter branches (at `y` = 0, marked ✕ "LP");
    cusps are marked ◆ "CP".

    Arguments:
        curves: one row per fold-curve sample with columns fold, side (±1), point, `x`, `y`,
            cusp (bool), as the `fold_curves` table of the fixed-point analysis.
    """
    fig = go.Figure()
    colors = group_colors(sorted(curves["fold"].unique()), "d3")
    for f, grp in curves.groupby("fold", sort=True):
        down = grp[grp["side"] < 0].sort_values("point", ascending=False)
        up = grp[grp["side"] > 0].sort_values("point")
        line = pd.concat([down, up.iloc[1:] if len(down) else up])
        fig.add_trace(go.Scatter(x=line[x], y=line[y], mode="lines", name=f"fold {f}",
                                 line={"color": colors[f]}))
        start = grp[grp["point"] == 0].head(1)
        fig.add_trace(go.Scatter(x=start[x], y=start[y], mode="markers+text", text=["LP"],
                                 textposition="top center", showlegend=False,
                                 marker={"symbol": "x", "size": 10, "color": "black"}))
    cusps = curves[curves["cusp"]]
    if len(cusps):
        fig.add_trace(go.Scatter(x=cusps[x], y=cusps[y], mode="markers+text", name="cusp",
                                 text=["CP"] * len(cusps), textposition="top center",
                                 marker={"symbol": "diamond", "size": 10, "color": "black"}))
    fig.update_layout(template=TEMPLATE, title=title, width=width, height=height,
                      legend_title_text="Fold curve")
    fig.update_xaxes(title_text="Context input" if x == "sisu" else x)
    fig.update_yaxes(title_text="Second input offset" if y == "offset" else y)
    return fig


def fold_curve_figures(curves: pd.DataFrame | None, *, compare_col: str, compare_key: str
                       ) -> dict[str, go.Figure]:
    """`fold_curves__<compare_col>-<v>`: the fold curves of the lowest included replicate with
    any, per value v of `compare_col`; none without fold curves."""
    figs: dict[str, go.Figure] = {}
    if curves is None or not len(curves) or "fold" not in curves:
        return figs
    curves = curves[curves["included"]]
    for value in sorted(curves[compare_col].unique()):
        at = curves[curves[compare_col] == value]
        rep = int(at["replicate"].min())
        figs[f"fold_curves__{compare_col}-{float(value):g}"] = fold_curve_diagram(
            at[at["replicate"] == rep], title=f"{compare_key} = {float(value):g}, replicate {rep}")
    return figs
