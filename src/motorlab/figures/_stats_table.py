"""A statistics table (`motorlab.analysis.compare_groups`) as a plotly Table figure, to place
beside the measure figure it describes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._style import TEMPLATE

DEFAULT_COLUMNS: Final = ("measure", "n_a", "n_b", "mean_a", "mean_b", "ranksum_p_holm",
                          "ks_p_holm", "levene_p_holm", "cohens_d", "cohens_d_low", "cohens_d_high")
HEADERS: Final = {
    "measure": "Measure", "n_a": "n A", "n_b": "n B", "mean_a": "Mean A", "mean_b": "Mean B",
    "median_a": "Median A", "median_b": "Median B", "ranksum_p": "Rank-sum p",
    "ranksum_p_holm": "Rank-sum p (Holm)", "ks_p": "KS p", "ks_p_holm": "KS p (Holm)",
    "levene_p": "Levene p", "levene_p_holm": "Levene p (Holm)", "cohens_d": "Cohen's d",
    "cohens_d_low": "d low", "cohens_d_high": "d high",
}
SIGNIFICANT_FILL: Final = "rgb(255, 236, 179)"


def _cell(value: object, digits: int) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{float(value):.{digits}g}"
    return str(value)


def stats_table(
    table: pd.DataFrame,
    *,
    columns: Sequence[str] = DEFAULT_COLUMNS,
    digits: int = 3,
    alpha: float = 0.05,
    title: str | None = None,
    width: int = 900,
    height: int | None = None,
) -> go.Figure:
    """A `go.Table` of a statistics table; Holm-adjusted p-values below `alpha` are highlighted.

    Arguments:
        table: the output of `compare_groups` (or any table with these columns).
        columns: the columns shown, in order (those missing from `table` raise).
        digits: significant digits of numbers.
        alpha: significance level of the highlighting of `*_p_holm` cells.
        title: default "<by>: <a> vs <b>" from the table's `by`, `a`, `b` columns.
        width, height: size in px (height default: 80 + 28 per row).

    Returns:
        A figure with one `go.Table`.
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the table; expected some of {list(table.columns)}")
    if title is None and {"by", "a", "b"} <= set(table.columns) and len(table):
        first = table.iloc[0]
        title = f"{first['by']}: {_cell(first['a'], digits)} (A) vs {_cell(first['b'], digits)} (B)"
    cells, fills = [], []
    for column in columns:
        values = table[column].tolist()
        cells.append([_cell(v, digits) for v in values])
        if column.endswith("_p_holm"):
            fills.append([SIGNIFICANT_FILL if np.isfinite(v) and v < alpha else "white" for v in values])
        else:
            fills.append(["white"] * len(values))
    fig = go.Figure(go.Table(
        columnwidth=[3 if column == "measure" else 1 for column in columns],
        header={"values": [f"<b>{HEADERS.get(c, c)}</b>" for c in columns], "align": "left",
                "fill_color": "rgb(235, 235, 235)"},
        cells={"values": cells, "align": "left", "fill_color": fills}))
    fig.update_layout(template=TEMPLATE, title=title, width=width,
                      height=height or 60 + 30 * (len(table) + 2) + (40 if title else 0),
                      margin={"l": 10, "r": 10, "b": 10, "t": 50 if title else 10})
    return fig
