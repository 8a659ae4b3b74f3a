"""Violin arrangements of measures (2025 layouts, SPEC §2.6) and of tangling (SPEC §2.12).

Part 2's basic arrangement is x = SISU, legend = train std, one figure per (measure, amplitude)
(`figures._sets.measure_figures`). The transposed arrangements add:

* by perturbation amplitude: x = SISU, legend = evaluation amplitude, one figure per
  (measure, train condition); in part 1 (no SISU): x = amplitude, legend = train condition;
* by train condition: x = train condition, legend = SISU, one figure per (measure, amplitude);
  in part 1: legend = amplitude, one figure per measure.

Every measure violin gets a grey zero line (unsigned measures also keep their axis from 0).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..analysis import MEASURES
from ._groups import check_column
from ._style import format_value, label, ordered_values
from ._violins import measure_violins


def zero_lined_violins(measures: pd.DataFrame, measure: str, **kwargs) -> go.Figure:
    """`measure_violins` with a zero line always drawn (and y from 0 for unsigned measures)."""
    info = MEASURES.get(measure)
    signed = kwargs.pop("signed", None)
    signed = signed if signed is not None else (info.signed if info else False)
    fig = measure_violins(measures, measure, signed=True, **kwargs)
    if not signed:
        fig.update_yaxes(rangemode="tozero")
    return fig


def violin_arrangement(
    measures: pd.DataFrame,
    names: Sequence[str],
    *,
    x: str,
    color: str,
    per: Sequence[str] = (),
    prefix: str,
    **kwargs,
) -> dict[str, go.Figure]:
    """One zero-lined violin figure per measure × combination of the `per` columns' values.

    Arguments:
        measures: a Measures table (tagged with train columns where compared).
        names: the measures to draw.
        x, color: columns of the x categories and of the legend groups.
        per: columns whose values each get their own figure.
        prefix: figure-name prefix; names are `<prefix>__<measure>[__<col>-<v>…]` (`pert_amp`
            is written `amp`, as in figures._sets).
        **kwargs: passed to `measure_violins` (sizes, points, colorscale, …).

    Returns:
        name → figure.
    """
    for role, column in (("x", x), ("color", color), *(("per", c) for c in per)):
        check_column(measures, column, role)
    figs = {}
    values = [ordered_values(measures[c].tolist()) for c in per]
    for combo in itertools.product(*values):
        rows = measures
        for column, value in zip(per, combo):
            same = rows[column].to_numpy() == value
            if isinstance(value, float) and np.isnan(value):
                same = pd.isna(rows[column]).to_numpy()
            rows = rows[same]
        parts = [f"{'amp' if c == 'pert_amp' else c}-{format_value(v)}" for c, v in zip(per, combo)]
        title = ", ".join(f"{label(c).replace('<br>', ' ')} {format_value(v)}"
                          for c, v in zip(per, combo)) or None
        for measure in names:
            if not (rows["measure"] == measure).any():
                continue
            name = "__".join([prefix, measure, *parts])
            figs[name] = zero_lined_violins(rows, measure, x=x, color=color, title=title, **kwargs)
    return figs


def _has_sisu(measures: pd.DataFrame) -> bool:
    return "sisu" in measures.columns and bool(np.isfinite(measures["sisu"].to_numpy(float)).any())


def violins_by_pert_amp(measures: pd.DataFrame, names: Sequence[str], *,
                        train_column: str = "train_std", **kwargs) -> dict[str, go.Figure]:
    """Legend = evaluation amplitude: part 2 x = SISU per train condition; part 1 x = amplitude
    with legend = train condition. Names `measures_by_pert_amp__<measure>[__<train>-<v>]`."""
    if _has_sisu(measures):
        return violin_arrangement(measures, names, x="sisu", color="pert_amp", per=(train_column,),
                                  prefix="measures_by_pert_amp", width=700, height=500, **kwargs)
    return violin_arrangement(measures, names, x="pert_amp", color=train_column,
                              prefix="measures_by_pert_amp", **kwargs)


def violins_by_train(measures: pd.DataFrame, names: Sequence[str], *,
                     train_column: str = "train_std", **kwargs) -> dict[str, go.Figure]:
    """x = train condition: part 2 legend = SISU per amplitude; part 1 legend = amplitude.
    Names `measures_by_train__<measure>[__amp-<a>]`."""
    if _has_sisu(measures):
        return violin_arrangement(measures, names, x=train_column, color="sisu", per=("pert_amp",),
                                  prefix="measures_by_train", width=700, height=500, **kwargs)
    return violin_arrangement(measures, names, x=train_column, color="pert_amp",
                              prefix="measures_by_train", **kwargs)


def tangling_violins(
    table: pd.DataFrame,
    *,
    x: str = "sisu",
    color: str = "train_std",
    value_col: str = "tangling",
    points: str | bool = False,
    **kwargs,
) -> go.Figure:
    """Distributions of tangling Q(t) (pooled over trials and time steps) as violins.

    Arguments:
        table: a tangling table (`motorlab.analysis.tangling_table`), tagged with train columns.
        x, color: columns of the x categories and the legend groups (e.g. SISU and train std,
            or train std and `pert_amp` for the curl amplitude).
        value_col: the column of tangling values.
        points: violin points (off by default: one point per trial × time step is a lot).
        **kwargs: passed to `measure_violins`.
    """
    check_column(table, value_col, "value_col")
    rows = table.assign(measure="tangling", value=table[value_col].to_numpy(dtype=float))
    kwargs.setdefault("label", "Tangling (1 / time²)")
    return measure_violins(rows, "tangling", x=x, color=color, points=points, **kwargs)
