"""The `unit_prefs` figure set (SPEC §2.5): distributions of the units' preferred directions per
epoch and training field std, one figure per feature × field amplitude (best replicates)."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._sets import best_replicate, compare_column, tag
from ._style import colors_for, finish_layout, format_value

BINS = 24


def preferred_histograms(p: pd.DataFrame, column: str, title: str) -> go.Figure:
    """Polar histograms of preferred angles, one panel per epoch, one colour per model."""
    epochs = list(dict.fromkeys(p["epoch"]))
    fig = make_subplots(rows=1, cols=len(epochs), specs=[[{"type": "polar"}] * len(epochs)], subplot_titles=epochs)
    colors = colors_for(column, p[column].unique())
    edges = np.linspace(-180, 180, BINS + 1)
    for j, epoch in enumerate(epochs):
        for value, g in p[p["epoch"] == epoch].groupby(column):
            counts, _ = np.histogram(np.degrees(g["angle"]), edges)
            fig.add_trace(go.Barpolar(r=counts, theta=(edges[:-1] + edges[1:]) / 2, width=360 / BINS, opacity=0.6,
                                      marker_color=colors[value], name=format_value(value), legendgroup=str(value),
                                      showlegend=j == 0), row=1, col=j + 1)
    return finish_layout(fig, title=title, width=420 * len(epochs), height=420, legend_title=column)


def unit_prefs_figures(tables: Mapping[str, Sequence[pd.DataFrame]], models: Sequence[Mapping],
                       group: Mapping) -> dict[str, go.Figure]:
    """Preferred-direction distributions of each feature × field amplitude (best replicates)."""
    hps = [m["hps"] for m in models]
    compare = list(group["compare"])
    best = [best_replicate(m["replicates"]) for m in models]
    column = compare_column(compare[0]) if compare else "model"
    p = tag(list(tables["preferences"]), hps, compare, best)
    if not compare:
        p[column] = 0
    p = p[p["best_replicate"]]
    return {f"preferred__{feature}__amp-{format_value(amp)}":
            preferred_histograms(g, column, f"Preferred direction ({feature}), field {format_value(amp)}")
            for (feature, amp), g in p.groupby(["feature", "pert_amp"])}
