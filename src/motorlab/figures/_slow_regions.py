"""Slow regions (ghosts) along trajectories, beside the fixed points (issue 14, item 4)."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import TEMPLATE

KIND_SYMBOLS = {"steady": "circle", "reach": "diamond"}


def slow_regions_figure(slow: pd.DataFrame, points: pd.DataFrame, *, title: str | None = None,
                        width: int = 1000, height: int = 480) -> go.Figure:
    """Where the trajectories of one replicate linger without a fixed point, and how close to +1
    the local spectrum is there.

    Arguments:
        slow: `slow_regions` rows of one replicate (kind, pc1–pc3, dwell, q, near_one, top_abs,
            t, sisu, direction, position).
        points: its steady `points` (primary verified points drawn for reference, pc1–pc3).

    Returns:
        Left: the slow regions of the steady trajectories in the steady PCA (PC1–PC3), with the
        primary steady fixed points in grey, each marker sized by dwell time and coloured by
        min |λ − 1| (log10; dark = an eigenvalue near +1, a saddle-node remnant). Right: dwell
        time against min |λ − 1| of every slow region, circle = steady trajectory, diamond =
        reach (whose PC coordinates are in the reach PCA, so not drawn on the left).
    """
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], specs=[[{"type": "scene"}, {"type": "xy"}]],
                        subplot_titles=("Slow regions in PC space", "Dwell vs distance of λ from +1"))
    fixed = points[points["primary"] & (points["status"] == "fixed_point")]
    fig.add_trace(go.Scatter3d(x=fixed["pc1"], y=fixed["pc2"], z=fixed["pc3"], mode="markers", name="fixed points",
                               marker={"size": 3, "color": "rgb(170, 170, 170)"}), row=1, col=1)
    near = np.log10(np.maximum(slow["near_one"].to_numpy(np.float64), 1e-8)) if len(slow) else np.zeros(0)
    cmin, cmax = (float(near.min()), float(max(near.max(), near.min() + 1e-6))) if len(slow) else (0.0, 1.0)
    size = 4 + 10 * np.sqrt(slow["dwell"].to_numpy(np.float64) / max(1, slow["dwell"].max())) if len(slow) else []
    for kind, symbol in KIND_SYMBOLS.items():
        sel = (slow["kind"] == kind).to_numpy()
        if not sel.any():
            continue
        grp = slow[sel]
        hover = np.stack([grp["t"], grp["dwell"], grp["q"], grp["near_one"], grp["top_abs"], grp["sisu"]], -1)
        marker = {"color": near[sel], "colorscale": "Viridis", "cmin": cmin, "cmax": cmax, "symbol": symbol}
        template = ("t %{customdata[0]}, dwell %{customdata[1]} steps<br>q %{customdata[2]:.3g}"
                    "<br>min|λ−1| %{customdata[3]:.3g}, max|λ| %{customdata[4]:.4f}<br>SISU %{customdata[5]}"
                    f"<extra>{kind}</extra>")
        if kind == "steady":  # reach rows are in the reach PCA: only in the right panel
            fig.add_trace(go.Scatter3d(x=grp["pc1"], y=grp["pc2"], z=grp["pc3"], mode="markers",
                                       name="steady slow regions", customdata=hover, hovertemplate=template,
                                       marker=marker | {"size": size[sel] * 0.6, "line": {"width": 0}}),
                          row=1, col=1)
        fig.add_trace(go.Scatter(x=grp["near_one"], y=grp["dwell"], mode="markers", name=f"{kind} trajectories",
                                 marker=marker | {"size": 8, "line": {"width": 0.5, "color": "black"},
                                                  "colorbar": {"title": "log10<br>min|λ−1|", "x": 1.02}},
                                 customdata=hover, hovertemplate=template), row=1, col=2)
    fig.update_xaxes(type="log", title_text="min |λ − 1| at the slow region", row=1, col=2)
    fig.update_yaxes(type="log", title_text="Dwell time (steps with q ≤ threshold)", row=1, col=2)
    fig.update_layout(template=TEMPLATE, title=title, width=width, height=height,
                      scene={"xaxis_title": "PC1", "yaxis_title": "PC2", "zaxis_title": "PC3"},
                      legend={"x": 0.0, "y": -0.05, "orientation": "h"})
    return fig


def slow_region_figures(slow: pd.DataFrame, points: pd.DataFrame, compare_col: str, compare_key: str,
                        replicate_of: Sequence[int] | None = None) -> dict[str, go.Figure]:
    """One `slow_regions_figure` per value of `compare_col`, for the best replicate of each model
    (rows with `best_replicate`, else the lowest-index included replicate).

    Returns:
        `{"slow_regions__<compare_col>-<v>": figure}`; nothing when there is no slow-region table.
    """
    if slow is None or not len(slow) or compare_col not in slow:
        return {}
    figs = {}
    for value in sorted(slow[compare_col].unique()):
        at, pts = slow[slow[compare_col] == value], points[points[compare_col] == value]
        if "best_replicate" in at:
            at, pts = at[at["best_replicate"]], pts[pts["best_replicate"]]
        else:
            rep = int(at.loc[at["included"], "replicate"].min()) if at["included"].any() else int(at["replicate"].min())
            at, pts = at[at["replicate"] == rep], pts[pts["replicate"] == rep]
        if not len(at):
            continue
        rep = int(at["replicate"].iloc[0])
        figs[f"slow_regions__{compare_col}-{float(value):g}"] = slow_regions_figure(
            at, pts, title=f"{compare_key} = {float(value):g}, replicate {rep}: {len(at)} slow regions")
    return figs
