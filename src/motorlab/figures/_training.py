"""Training-loss histories, annotated with each replicate's best iteration (SPEC §1.5)."""

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from ._style import TEMPLATE, group_colors


def member_histories(models: Sequence[Mapping]) -> Iterator[tuple[Mapping, dict[str, np.ndarray]]]:
    """`(model sidecar, {term: (n_batches, n_replicates) loss})` for each member model whose
    `_history.npz` (`history_path`) exists; members without one are skipped."""
    for m in models:
        path = m.get("history_path")
        if not path or not Path(path).exists():
            continue
        with np.load(path) as f:
            yield m, {k.removeprefix("loss/"): f[k] for k in f.files if k.startswith("loss/")}


def member_validation(model: Mapping) -> dict[str, np.ndarray]:
    """The validation loss a member model recorded during training (`train.validation_loss_every`):
    `{"iterations": (V,), term: (V, n_replicates)}` from its `_history.npz`; {} if none."""
    path = model.get("history_path")
    if not path or not Path(path).exists():
        return {}
    with np.load(path) as f:
        return {k.removeprefix("validation/"): f[k] for k in f.files if k.startswith("validation/")}


def loss_history(history: Mapping[str, np.ndarray], best_iteration: Sequence[int],
                 included: Sequence[bool], *, terms: Sequence[str] = ("total",), title: str | None = None,
                 width: int = 600, height: int = 400,
                 validation: Mapping[str, np.ndarray] | None = None) -> go.Figure:
    """Loss against iteration (log y), one line per replicate, a marker at its best iteration.

    Arguments:
        history: `term -> (n_batches, n_replicates)` losses (NaN after a replicate diverged).
        best_iteration: per replicate, the iteration whose parameters were kept.
        included: per replicate, whether post-training selection kept it (excluded: dashed).
        terms: which loss terms to draw (dotted lines for terms other than the first).
        title: figure title.
        validation: optional validation loss, `{"iterations": (V,), "total": (V, n_replicates)}`:
            drawn per replicate as markers joined by a thin line, in the replicate's colour.
    """
    n_rep = history[terms[0]].shape[1]
    colors = group_colors(range(n_rep), "d3")  # distinct lines; twilight makes some replicates white
    fig = go.Figure()
    for r in range(n_rep):
        for j, term in enumerate(terms):
            y = history[term][:, r]
            fig.add_trace(go.Scattergl(
                x=np.arange(y.size), y=y, mode="lines", name=f"replicate {r}" + ("" if j == 0 else f" {term}"),
                legendgroup=str(r), showlegend=j == 0,
                line={"color": colors[r], "width": 1.5 if j == 0 else 1,
                      "dash": "solid" if included[r] else "dash"} | ({"dash": "dot"} if j else {})))
        best = int(best_iteration[r])
        fig.add_trace(go.Scatter(
            x=[best], y=[history[terms[0]][best, r]], mode="markers", legendgroup=str(r), showlegend=False,
            marker={"color": colors[r], "size": 10, "symbol": "star", "line": {"width": 1, "color": "black"}},
            hovertemplate=f"replicate {r}<br>best iteration {best}<br>loss %{{y:.4g}}<extra></extra>"))
        if validation and "total" in validation:
            fig.add_trace(go.Scatter(
                x=np.asarray(validation["iterations"]), y=np.asarray(validation["total"])[:, r],
                mode="lines+markers", name=f"replicate {r} validation", legendgroup=str(r), showlegend=False,
                line={"color": colors[r], "width": 1, "dash": "dot"},
                marker={"color": colors[r], "size": 6, "symbol": "diamond"},
                hovertemplate=f"replicate {r} validation<br>iteration %{{x}}<br>loss %{{y:.4g}}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title=title, width=width, height=height,
                      xaxis_title="Training iteration", yaxis_title="Loss", yaxis_type="log",
                      legend_title_text="Replicate (★ best iteration"
                      + (", ◆ validation)" if validation and "total" in validation else ")"))
    return fig
