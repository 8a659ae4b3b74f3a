"""Training-loss histories per loss term (SPEC §1.5, §2.12): one panel per term, one line per
replicate, the kept (best) iteration starred, excluded replicates dashed and named so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._hover import axis_refs
from ._style import TEMPLATE, group_colors


def loss_terms_history(
    history: Mapping[str, np.ndarray],
    best_iteration: Sequence[int],
    included: Sequence[bool],
    *,
    terms: Sequence[str] | None = None,
    cols: int = 3,
    title: str | None = None,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """Loss against iteration (log y) in one panel per loss term.

    Arguments:
        history: `term -> (n_batches, n_replicates)` losses (NaN after a replicate diverged).
        best_iteration: per replicate, the iteration whose parameters were kept.
        included: per replicate, whether post-training selection kept it; excluded replicates
            are dashed, their legend entry reads "replicate r (excluded)", their star is grey.
        terms: the terms drawn, in panel order (default: all of `history`, in its order).
        cols: panels per row.
        title: figure title.
        width, height: size in px (default 450 per column, 150 + 300 per row).

    Returns:
        Per term and replicate a line trace (`Scattergl`) then a star marker at the best
        iteration (`Scatter`, hover "replicate r, best iteration i").
    """
    terms = list(history) if terms is None else list(terms)
    missing = [t for t in terms if t not in history]
    if missing or not terms:
        raise ValueError(f"terms {missing or terms} not in history; expected some of {list(history)}")
    shapes = {np.shape(history[t]) for t in terms}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"history arrays have shapes {sorted(shapes)}; expected one shape "
                         "(n_batches, n_replicates)")
    n_batches, n_rep = next(iter(shapes))
    best, inc = np.asarray(best_iteration, int), np.asarray(included, bool)
    if best.shape != (n_rep,) or inc.shape != (n_rep,):
        raise ValueError(f"best_iteration {best.shape} and included {inc.shape}; expected ({n_rep},) each")
    if ((best < 0) | (best >= n_batches)).any():
        raise ValueError(f"best_iteration {best.tolist()}; expected iterations in [0, {n_batches})")
    cols = max(1, min(cols, len(terms)))
    rows = -(-len(terms) // cols)
    colors = group_colors(range(n_rep), "d3")
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=terms)
    x = np.arange(n_batches)
    for n, term in enumerate(terms, start=1):
        losses = np.asarray(history[term], dtype=float)
        for r in range(n_rep):
            name = f"replicate {r}" + ("" if inc[r] else " (excluded)")
            fig.add_trace(go.Scattergl(
                x=x, y=losses[:, r], mode="lines", name=name, legendgroup=str(r), showlegend=n == 1,
                line={"color": colors[r], "width": 1.2, "dash": "solid" if inc[r] else "dash"},
                **axis_refs(n)))
            fig.add_trace(go.Scatter(
                x=[best[r]], y=[losses[best[r], r]], mode="markers", legendgroup=str(r),
                showlegend=False, name=name,
                marker={"symbol": "star", "size": 11, "color": colors[r] if inc[r] else "lightgrey",
                        "line": {"width": 1, "color": "black"}},
                hovertemplate=f"{name}<br>best iteration {best[r]}<br>{term} %{{y:.4g}}<extra></extra>",
                **axis_refs(n)))
    fig.update_yaxes(type="log")
    fig.update_xaxes(title_text="Training iteration", row=rows)
    fig.update_layout(template=TEMPLATE, title=title, width=width or 450 * cols,
                      height=height or 150 + 300 * rows, legend_title_text="Replicate (★ kept iteration)")
    return fig
