"""Violin plots of behavioural measures from a Measures table (SPEC §2.1, §2.2, §2.6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..analysis import MEASURES, circular_mean, unwrap_angles
from ._groups import check_column, group_indices, only_included
from ._style import (
    ZERO_LINE_COLOR,
    colors_for,
    finish_layout,
    format_value,
    label,
    ordered_values,
    with_alpha,
    wrap_label,
)

_HOVER_COLUMNS = ("eval", "replicate", "condition")


def _measure_rows(measures: pd.DataFrame, measure: str, included_only: bool) -> pd.DataFrame:
    check_column(measures, "measure", "measures table")
    rows = measures[measures["measure"] == measure]
    if included_only:
        rows = only_included(rows)
    rows = rows[np.isfinite(rows["value"].to_numpy(dtype=float))]
    if rows.empty:
        raise ValueError(
            f"no finite values of measure {measure!r}; expected one of "
            f"{sorted(set(measures['measure']))} with data"
        )
    return rows


def _unwrapped(rows: pd.DataFrame, measure: str, by: list[str]) -> pd.DataFrame:
    """For an angle measure (`Measure.circular`), each violin's values (rows grouped by `by`)
    within π of the violin's circular mean, that mean taken on the branch nearest the circular
    mean of all the rows, so no violin is split at ±π and the violins stay comparable. Other
    measures are returned as they are."""
    info = MEASURES.get(measure)
    if info is None or not info.circular:
        return rows
    values = rows["value"].to_numpy(dtype=np.float64)
    overall = circular_mean(values)
    out = values.copy()
    for _, index in rows.reset_index(drop=True).groupby(by, dropna=False).indices.items():
        centre = float(unwrap_angles(np.asarray(circular_mean(values[index])), overall))
        out[index] = unwrap_angles(values[index], centre)
    return rows.assign(value=out)


def _violin(rows: pd.DataFrame, x: str, name: str, color: str, points, **kwargs) -> go.Violin:
    hover = [c for c in _HOVER_COLUMNS if c in rows.columns]
    lines = [f"{c} %{{customdata[{i}]}}" for i, c in enumerate(hover)]
    return go.Violin(
        x=[format_value(v) for v in rows[x].tolist()], y=rows["value"].to_numpy(dtype=float),
        name=name, legendgroup=name, line_color=color, fillcolor=with_alpha(color, 0.5),
        meanline_visible=True, spanmode="hard", scalemode="width", points=points,
        pointpos=0, jitter=0.4, marker={"size": 2, "opacity": 0.4}, hoveron="points",
        customdata=rows[hover].to_numpy() if hover else None,
        hovertemplate="<br>".join([*lines, "value %{y:.4g}"]) + "<extra>%{fullData.name}</extra>",
        **kwargs,
    )


def _layout(fig, measure, x, color, categories, *, label_, signed, width, height, title):
    info = MEASURES.get(measure)
    y_title = label_ or (info.label if info else measure)
    is_signed = signed if signed is not None else (info.signed if info else False)
    fig.update_xaxes(
        title_text=label(x), type="category", categoryorder="array", categoryarray=categories
    )
    fig.update_yaxes(title_text=wrap_label(y_title))
    if is_signed:
        fig.add_hline(y=0, line_color=ZERO_LINE_COLOR, line_width=1)
    else:
        fig.update_yaxes(rangemode="tozero")
    return finish_layout(fig, title=title, width=width, height=height, legend_title=label(color))


def measure_violins(
    measures: pd.DataFrame,
    measure: str,
    *,
    x: str = "train_std",
    color: str = "pert_amp",
    colorscale: str | None = None,
    points: str | bool = "all",
    included_only: bool = True,
    label: str | None = None,
    signed: bool | None = None,
    title: str | None = None,
    width: int = 500,
    height: int = 300,
) -> go.Figure:
    """Distribution of one measure: x categories by one column, colours by another.

    Arguments:
        measures: a Measures table (docs/architecture.md), with extra columns such as
            `train_std` for concatenated models.
        measure: the measure to plot (a `MEASURES` name or any `measure` value of the table).
        x: column giving the x categories (e.g. "train_std" or "sisu").
        color: column giving the legend groups / colours (e.g. "pert_amp" or "train_std").
        colorscale: colour scale name; default: the convention for `color`.
        points: violin points ("all", "outliers", False); the points carry the hover text
            (eval, replicate, condition).
        included_only: leave out replicates excluded by post-training selection.
        label: y-axis title; default: the measure's label.
        signed: draw a zero line instead of starting the y axis at 0; default: the measure's
            `signed` flag (False for measures outside the registry).
        title: figure title.
        width, height: figure size in px.

    Angle measures (`Measure.circular`, e.g. `initial_force_direction`) are stored in (−π, π];
    each violin draws its angles within π of its own circular mean (placed on the branch
    nearest the figure's overall circular mean), so a distribution around ±π is not split.

    Returns:
        A figure with one violin trace per colour value (`violinmode="group"`), mean lines shown.
    """
    rows = _measure_rows(measures, measure, included_only)
    check_column(rows, x, "x")
    check_column(rows, color, "color")
    rows = _unwrapped(rows, measure, [x, color])
    groups = group_indices(rows[color])
    colors = colors_for(color, [value for value, _ in groups], colorscale)
    fig = go.Figure([
        _violin(rows.iloc[index], x, format_value(value), colors[value], points)
        for value, index in groups
    ])
    fig.update_layout(violinmode="group")
    categories = [format_value(v) for v in ordered_values(rows[x].tolist())]
    return _layout(fig, measure, x, color, categories, label_=label, signed=signed,
                   width=width, height=height, title=title)


def _match(value: object, values: list[object], column: str) -> object:
    """The entry of `values` equal to `value` (floats to float32 precision, as stored)."""
    for candidate in values:
        if candidate == value:
            return candidate
        if isinstance(candidate, float) and isinstance(value, (int, float)):
            if np.isclose(candidate, value, rtol=1e-6, atol=0.0):
                return candidate
    raise ValueError(f"{value!r} is not a value of {column!r}; expected one of {values}")


def replicate_violins(
    measures: pd.DataFrame,
    measure: str,
    *,
    by: str = "train_std",
    low: object | None = None,
    high: object | None = None,
    colorscale: str | None = None,
    points: str | bool = False,
    label: str | None = None,
    signed: bool | None = None,
    title: str | None = None,
    width: int = 500,
    height: int = 300,
) -> go.Figure:
    """Per-replicate distributions of a measure for the lowest vs highest value of `by`.

    Only replicates included (by post-training selection) for both values are shown. The two
    values are overlaid as the left and right halves of each replicate's violin. Every row of
    `measures` enters the distributions: select one evaluation condition (e.g. one `pert_amp`)
    beforehand rather than pooling conditions.

    Arguments:
        measures: a Measures table with the column `by` (e.g. concatenated models + train_std).
        measure: the measure to plot.
        by: the column compared (default "train_std").
        low, high: the two values; default: the smallest and largest in the table.
        colorscale: colour scale name; default: the convention for `by`, over all its values.
        points, label, signed, title, width, height: as in `measure_violins`.

    Returns:
        A figure with two violin traces (low: negative side, high: positive side), x = replicate.
    """
    rows = _measure_rows(measures, measure, included_only=False)
    check_column(rows, by, "by")
    values = ordered_values(rows[by].tolist())
    low = values[0] if low is None else _match(low, values, by)
    high = values[-1] if high is None else _match(high, values, by)
    colors = colors_for(by, values, colorscale)
    pair = rows[rows[by].isin([low, high])]
    if "included" in pair.columns:
        kept = pair.groupby([by, "replicate"])["included"].all().unstack(by)
        both = kept.index[kept.reindex(columns=[low, high]).eq(True).all(axis=1)]
        pair = pair[pair["replicate"].isin(both)]
    if pair.empty:
        raise ValueError(f"no replicate is included for both {by}={low!r} and {by}={high!r}")
    pair = _unwrapped(pair, measure, ["replicate", by])
    traces = [
        _violin(pair[pair[by] == value], "replicate", format_value(value), colors[value], points,
                side=side)
        for value, side in ((low, "negative"), (high, "positive"))
    ]
    fig = go.Figure(traces)
    fig.update_layout(violinmode="overlay", violingap=0.1)
    categories = [format_value(v) for v in ordered_values(pair["replicate"].tolist())]
    return _layout(fig, measure, "replicate", by, categories, label_=label, signed=signed,
                   width=width, height=height, title=title)


def lowhigh_violins(
    measures: pd.DataFrame,
    measure: str,
    *,
    x: str = "train_std",
    color: str = "pert_amp",
    width: int = 300,
    height: int = 300,
    **kwargs,
) -> go.Figure:
    """2 × 2 summary: lowest vs highest `x` (zero vs max train std) × lowest vs highest `color`
    (zero vs max evaluation amplitude). Other arguments as in `measure_violins`."""
    check_column(measures, x, "x")
    check_column(measures, color, "color")
    rows = measures[measures["measure"] == measure]
    if rows.empty:
        raise ValueError(f"no rows of measure {measure!r} in the measures table")
    ends = {}
    for column in (x, color):
        values = ordered_values(rows[column].tolist())
        ends[column] = [values[0], values[-1]]
    subset = rows[rows[x].isin(ends[x]) & rows[color].isin(ends[color])]
    return measure_violins(subset, measure, x=x, color=color, width=width, height=height, **kwargs)
