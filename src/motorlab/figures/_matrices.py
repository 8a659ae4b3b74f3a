"""Train × test matrices of a measure (cross-condition evaluation, SPEC §2.2).

Rows are training conditions (e.g. train noise {0.01, 0.1}), columns test conditions (e.g. the
feedback delay {0, 2, 4} of the evaluation); each cell shows the mean (or median) of the measure
over all its rows (evals × replicates × trials), written in the cell.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..analysis import MEASURES
from ._groups import check_column, only_included
from ._style import TEMPLATE, format_value, label, ordered_values, wrap_label


def matrix_values(measures: pd.DataFrame, measure: str, *, rows: str, cols: str,
                  stat: Literal["mean", "median"] = "mean",
                  included_only: bool = True) -> pd.DataFrame:
    """The rows × cols table of `stat` of `measure` (NaN where a pair has no data).

    Returns:
        A DataFrame indexed by the sorted values of `rows`, with the sorted values of `cols` as
        columns.
    """
    for role, column in (("rows", rows), ("cols", cols), ("measure column", "measure")):
        check_column(measures, column, role)
    if stat not in ("mean", "median"):
        raise ValueError(f"stat={stat!r}; expected 'mean' or 'median'")
    sel = measures[measures["measure"] == measure]
    if included_only:
        sel = only_included(sel)
    if sel.empty:
        raise ValueError(f"no rows of measure {measure!r}; expected one of "
                         f"{sorted(set(measures['measure']))}")
    table = sel.groupby([rows, cols], observed=True)["value"].agg(stat).unstack(cols)
    return table.reindex(index=ordered_values(sel[rows].tolist()),
                         columns=ordered_values(sel[cols].tolist()))


def train_test_matrix(
    measures: pd.DataFrame,
    measure: str,
    *,
    rows: str,
    cols: str,
    stat: Literal["mean", "median"] = "mean",
    included_only: bool = True,
    colorscale: str = "viridis",
    digits: int = 3,
    title: str | None = None,
    width: int = 500,
    height: int = 400,
) -> go.Figure:
    """A heatmap of a measure, rows = train condition, columns = test condition, values written.

    Arguments:
        measures: a Measures table tagged with the train column (`figures._sets.tag`) and
            holding the test column (e.g. an evaluation column such as `pert_amp`, or one added
            when concatenating evaluations).
        measure: the measure shown.
        rows: the train-condition column (y axis, top row = smallest value).
        cols: the test-condition column (x axis).
        stat: "mean" or "median" over each cell's rows.
        included_only: leave out replicates excluded by post-training selection.
        colorscale: plotly colour scale of the cells.
        digits: significant digits of the cell text.
        title, width, height: figure title and size in px.

    Returns:
        A figure with one `go.Heatmap` whose `z` is `matrix_values(...)` and whose `text` shows
        each value.
    """
    table = matrix_values(measures, measure, rows=rows, cols=cols, stat=stat,
                          included_only=included_only)
    z = table.to_numpy(dtype=float)
    text = np.where(np.isfinite(z), np.vectorize(lambda v: f"{v:.{digits}g}")(z), "")
    info = MEASURES.get(measure)
    fig = go.Figure(go.Heatmap(
        z=z, x=[format_value(v) for v in table.columns], y=[format_value(v) for v in table.index],
        text=text, texttemplate="%{text}", colorscale=colorscale,
        colorbar={"title": {"text": wrap_label(info.label if info else measure, 16)}},
        hovertemplate=f"{rows} %{{y}}<br>{cols} %{{x}}<br>{stat} %{{z:.4g}}<extra></extra>"))
    fig.update_xaxes(title_text=label(cols), type="category", side="bottom")
    fig.update_yaxes(title_text=label(rows), type="category", autorange="reversed")
    fig.update_layout(template=TEMPLATE, title=title, width=width, height=height,
                      margin={"l": 80, "r": 20, "b": 55, "t": 80 if title else 40})
    return fig
