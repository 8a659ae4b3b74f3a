"""Fixed points across training drawn over the loss curve (issue 14, item 3): the `fp_training`
figure set."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._sets import compare_column, get_key
from ._style import TEMPLATE, colors_for, format_value

EVENT_COLORS = {"roots": "rgb(120, 120, 120)", "fold": "rgb(214, 39, 40)", "flip": "rgb(44, 160, 44)",
                "neimark_sacker": "rgb(148, 103, 189)"}
"""Colour of each bifurcation kind (`motorlab.analysis.fixed_points._training`)."""

EVENT_NAMES = {"roots": "number of roots changes", "fold": "real λ crosses +1", "flip": "real λ crosses −1",
               "neimark_sacker": "complex pair crosses |λ| = 1"}


def fixed_points_over_training(points: pd.DataFrame, events: pd.DataFrame, loss: pd.DataFrame, *,
                               title: str | None = None, width: int = 700, height: int = 750) -> go.Figure:
    """Loss, spectral radius and number of fixed points against training iteration (log x).

    Arguments:
        points: `fp_training` points of one model (snapshot, iteration, sisu, fp, primary,
            spectral_radius, stable).
        events: its events (kind, sisu, iteration_after).
        loss: its loss (iteration, total, saved).

    Returns:
        Three rows sharing x = iteration + 1 (so that iteration 0 shows on the log axis): the total
        loss (log y) with the snapshots as dots; max |λ| of every verified root (filled: stable,
        open: unstable; the primary root of each SISU joined by a line) with |λ| = 1 dotted; the
        number of verified roots per SISU. A vertical line at each event's later snapshot, coloured
        by kind, crosses every row; events are also listed in the hover of a marker on the loss.
    """
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.04, row_heights=[0.4, 0.35, 0.25])
    x_loss = loss["iteration"].to_numpy() + 1
    fig.add_trace(go.Scattergl(x=x_loss, y=loss["total"], mode="lines", name="loss", showlegend=False,
                               line={"color": "rgb(60, 60, 60)", "width": 1}), row=1, col=1)
    saved = loss[loss["saved"]]
    fig.add_trace(go.Scatter(x=saved["iteration"] + 1, y=saved["total"], mode="markers", name="snapshot",
                             marker={"color": "rgb(60, 60, 60)", "size": 4}, showlegend=False), row=1, col=1)
    pts = points[points["fp"] >= 0]
    sisu = pts["sisu"].fillna(0.0) if len(pts) else pts["sisu"]
    colors = colors_for("sisu", sisu.unique() if len(pts) else [0.0])
    for s, col in colors.items():
        at = pts[sisu == s]
        name = "" if len(colors) == 1 else f"SISU {format_value(s)}"
        prim = at[at["primary"]].sort_values("iteration")
        fig.add_trace(go.Scatter(x=prim["iteration"] + 1, y=prim["spectral_radius"], mode="lines",
                                 line={"color": col, "width": 1}, name=name or "primary root",
                                 legendgroup=str(s), showlegend=bool(name)), row=2, col=1)
        for stable in (True, False):
            grp = at[at["stable"] == stable]
            fig.add_trace(go.Scatter(
                x=grp["iteration"] + 1, y=grp["spectral_radius"], mode="markers", legendgroup=str(s),
                showlegend=False, name=name,
                marker={"color": col if stable else "white", "size": 6, "line": {"color": col, "width": 1.5}},
                customdata=np.stack([grp["iteration"], grp["fp"], grp["track"]], -1) if len(grp) else None,
                hovertemplate="iteration %{customdata[0]}<br>root %{customdata[1]} (track %{customdata[2]})"
                              "<br>max |λ| %{y:.4f}<extra>" + ("stable" if stable else "unstable") + "</extra>"),
                row=2, col=1)
        count = points[points["sisu"].fillna(0.0) == s].groupby("iteration")["fp"].apply(lambda f: int((f >= 0).sum()))
        fig.add_trace(go.Scatter(x=count.index + 1, y=count.to_numpy(), mode="lines+markers", line_shape="hv",
                                 line={"color": col}, marker={"size": 4}, legendgroup=str(s), showlegend=False,
                                 name=name), row=3, col=1)
    fig.add_hline(y=1.0, line={"color": "rgb(150, 150, 150)", "width": 1, "dash": "dot"}, row=2, col=1)
    for kind, grp in events.groupby("kind"):
        color = EVENT_COLORS.get(kind, "black")
        for it in np.unique(grp["iteration_after"]):
            fig.add_vline(x=float(it) + 1, line={"color": color, "width": 1, "dash": "dash"}, opacity=0.7)
        # on the loss curve, each kind a little higher so that coincident events stay visible
        lift = 1.3 ** list(EVENT_COLORS).index(kind) if kind in EVENT_COLORS else 1.0
        y = lift * np.interp(grp["iteration_after"], loss["iteration"], loss["total"])
        fig.add_trace(go.Scatter(
            x=grp["iteration_after"] + 1, y=y, mode="markers", name=EVENT_NAMES.get(kind, kind),
            marker={"color": color, "size": 9, "symbol": "diamond"},
            customdata=np.stack([grp["iteration_before"], grp["iteration_after"], grp["sisu"].fillna(np.nan),
                                 grp["before"], grp["after"]], -1),
            hovertemplate=f"{kind}<br>between iterations %{{customdata[0]}} and %{{customdata[1]}}"
                          "<br>SISU %{customdata[2]}<br>%{customdata[3]} → %{customdata[4]}<extra></extra>"),
            row=1, col=1)
    fig.update_xaxes(type="log")
    fig.update_xaxes(title_text="Training iteration + 1", row=3, col=1)
    fig.update_yaxes(title_text="Loss", type="log", row=1, col=1)
    fig.update_yaxes(title_text="max |λ|", row=2, col=1)
    fig.update_yaxes(title_text="Fixed points", rangemode="tozero", row=3, col=1)
    fig.update_layout(template=TEMPLATE, title=title, width=width, height=height,
                      legend_title_text="Bifurcations / SISU")
    return fig


def fp_training_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                        group: Mapping) -> dict[str, go.Figure]:
    """One `fixed_points_over_training` figure per member model, named
    `fixed_points_over_training__<compare column>-<value>...`."""
    compare = list(group["compare"])
    figs = {}
    for i, m in enumerate(models):
        tag_ = "__".join(f"{compare_column(k)}-{float(get_key(m['hps'], k)):g}" for k in compare) or f"model-{i}"
        rep = int(tables["loss"][i]["replicate"].iloc[0]) if len(tables["loss"][i]) else -1
        title = ", ".join(f"{k} = {get_key(m['hps'], k)}" for k in compare) + f" (best replicate {rep})"
        figs[f"fixed_points_over_training__{tag_}"] = fixed_points_over_training(
            tables["points"][i], tables["events"][i], tables["loss"][i], title=title)
    return figs
