"""Summary lines of a measure against a training hyperparameter (seed notes "Behaviour": how does
robustness depend on the train std at a given SISU; SPEC §2.12 control-cost weight supplement).

The unit of replication is one (evaluation repeat, replicate) pair of a model: the measure is
first averaged over the trials of each unit, then each point is the mean over units with a
Student-t confidence interval (default 95 %) of that mean.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from ..analysis import MEASURES
from ._groups import check_column, only_included
from ._style import COLORSCALES, colors_for, finish_layout, format_value, label, ordered_values, wrap_label

UNIT_COLUMNS = ("eval", "replicate")
EXTRA_LABELS = {"pert_type": "Field type", "control_weight": "Control-cost weight"}


def _label(column: str) -> str:
    return EXTRA_LABELS.get(column) or label(column)


def summary_values(measures: pd.DataFrame, measure: str, *, x: str, line: str,
                   level: float = 0.95, included_only: bool = True) -> pd.DataFrame:
    """Mean and confidence interval over (eval, replicate) units of `measure` per (x, line).

    Returns:
        One row per (x, line) value pair: `x`, `line` (named as the columns), `n` (units),
        `mean`, `low`, `high` (NaN bounds when n < 2).
    """
    for role, column in (("x", x), ("line", line), *(("unit", c) for c in UNIT_COLUMNS)):
        check_column(measures, column, role)
    if not 0 < level < 1:
        raise ValueError(f"level={level!r}; expected 0 < level < 1")
    sel = measures[measures["measure"] == measure]
    if included_only:
        sel = only_included(sel)
    sel = sel[np.isfinite(sel["value"].to_numpy(dtype=float))]
    if sel.empty:
        raise ValueError(f"no finite values of measure {measure!r}; expected one of "
                         f"{sorted(set(measures['measure']))}")
    units = sel.groupby([x, line, *UNIT_COLUMNS], dropna=False, observed=True)["value"].mean()
    out = units.groupby(level=[0, 1], dropna=False).agg(["count", "mean", "std"]).reset_index()
    n = out["count"].to_numpy()
    half = np.where(n > 1, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
                    * out["std"].to_numpy() / np.sqrt(n), np.nan)
    return pd.DataFrame({x: out[x], line: out[line], "n": n, "mean": out["mean"],
                         "low": out["mean"] - half, "high": out["mean"] + half})


def measure_summary(
    measures: pd.DataFrame,
    measure: str,
    *,
    x: str = "train_std",
    line: str = "sisu",
    x_type: Literal["category", "linear", "log"] = "category",
    level: float = 0.95,
    colorscale: str | None = None,
    included_only: bool = True,
    title: str | None = None,
    width: int = 600,
    height: int = 400,
) -> go.Figure:
    """A measure against `x`, one line per value of `line`, with confidence-interval error bars.

    Arguments:
        measures: a Measures table tagged with the `x` column (e.g. `train_std`, or the
            control-cost weight of the models).
        measure: the measure shown.
        x: the hyperparameter on the x axis.
        line: the column giving one line each (e.g. "sisu", or the field type).
        x_type: "category" (values evenly spaced, good for spreads such as [0, 0.01, 0.1, 1]),
            "linear" or "log" (positive values only).
        level: coverage of the interval over (eval, replicate) units.
        colorscale: default: the convention for `line`; D3 for text-valued columns.
        included_only: leave out replicates excluded by post-training selection.
        title, width, height: figure title and size in px.

    Returns:
        One `go.Scatter` (lines+markers, `error_y` = interval) per line value, in sorted order.
    """
    if x_type not in ("category", "linear", "log"):
        raise ValueError(f"x_type={x_type!r}; expected 'category', 'linear' or 'log'")
    table = summary_values(measures, measure, x=x, line=line, level=level,
                           included_only=included_only)
    if x_type == "log" and (table[x].to_numpy(dtype=float) <= 0).any():
        raise ValueError(f"x_type='log' needs positive {x!r} values; got {sorted(set(table[x]))}")
    values = ordered_values(table[line].tolist())
    numeric = all(isinstance(v, (int, float, np.number)) for v in values)
    scale = colorscale or COLORSCALES.get(line) or ("viridis" if numeric else "d3")
    colors = colors_for(line, values, scale)
    fig = go.Figure()
    for value in values:
        rows = table[(table[line] == value) | (table[line].isna() & pd.isna(value))]
        rows = rows.set_index(x).reindex(ordered_values(rows[x].tolist())).reset_index()
        xs = [format_value(v) for v in rows[x]] if x_type == "category" else rows[x].to_numpy(float)
        fig.add_trace(go.Scatter(
            x=xs, y=rows["mean"], mode="lines+markers", name=format_value(value),
            line={"color": colors[value], "width": 2}, marker={"size": 7},
            error_y={"type": "data", "array": rows["high"] - rows["mean"],
                     "arrayminus": rows["mean"] - rows["low"], "color": colors[value]},
            customdata=rows[["n"]].to_numpy(),
            hovertemplate=(f"{x} %{{x}}<br>mean %{{y:.4g}}<br>units %{{customdata[0]}}"
                           "<extra>%{fullData.name}</extra>")))
    info = MEASURES.get(measure)
    fig.update_xaxes(title_text=_label(x), type=x_type,
                     **({"exponentformat": "power", "dtick": 1} if x_type == "log" else {}))
    fig.update_yaxes(title_text=wrap_label(info.label if info else measure))
    return finish_layout(fig, title=title, width=width, height=height, legend_title=_label(line))


def measure_vs_train_sets(
    measures: pd.DataFrame,
    names: Sequence[str],
    *,
    train_column: str = "train_std",
    line: str = "sisu",
    per: Sequence[str] = ("pert_type", "pert_amp"),
    **kwargs,
) -> dict[str, go.Figure]:
    """`measure_summary` against the train condition for each measure × combination of `per`
    (default one figure per field type and evaluation amplitude).

    Returns:
        name → figure, names `summary_vs_train__<measure>__<col>-<v>…` (`pert_amp` as `amp`).
    """
    for column in per:
        check_column(measures, column, "per")
    figs = {}
    for combo in itertools.product(*(ordered_values(measures[c].tolist()) for c in per)):
        rows = measures
        for column, value in zip(per, combo):
            rows = rows[rows[column].to_numpy() == value]
        parts = [f"{'amp' if c == 'pert_amp' else c}-{format_value(v)}" for c, v in zip(per, combo)]
        title = ", ".join(f"{_label(c).replace('<br>', ' ')} {format_value(v)}" for c, v in zip(per, combo))
        for measure in names:
            if (rows["measure"] == measure).any():
                figs["__".join(["summary_vs_train", measure, *parts])] = measure_summary(
                    rows, measure, x=train_column, line=line, title=title or None, **kwargs)
    return figs


def control_weight_summary(measures: pd.DataFrame, measure: str, *,
                           x: str = "control_weight", line: str = "pert_type",
                           **kwargs) -> go.Figure:
    """Robustness against the control-cost weight (log x), one line per field type: the
    `measure_summary` of the "1-4 control-term weight" supplement (SPEC §2.12)."""
    return measure_summary(measures, measure, x=x, line=line, x_type="log", **kwargs)
