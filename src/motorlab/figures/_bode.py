"""Bode-style figures of the closed-loop frequency response (SPEC §2.4).

Gain in dB (20·log10 |H|, mean ± std of the per-trial values) and phase in rad against frequency
(log axis), one curve per compared value (e.g. train std), one figure per perturbed feedback
variable (pos, vel) × axis (x, y). Plot ids `bode_gain/closed_loop_ss`, `bode_phase/closed_loop_ss`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._groups import check_column, group_indices, only_included
from ._style import ZERO_LINE_COLOR, colors_for, finish_layout, format_value, label, with_alpha

_Y: Final = {"gain_db": "Gain (dB)", "phase": "Phase (rad)"}
_PLOT_IDS: Final = {"gain_db": "bode_gain/closed_loop_ss", "phase": "bode_phase/closed_loop_ss"}


def pool_replicates(table: pd.DataFrame, stat: str, by: list[str]) -> pd.DataFrame:
    """Mean and std of `stat` over the trials of all replicates in each group of `by`.

    Each row of a frequency-response table summarises `n_trials` trials of one replicate; pooled
    mean = Σ n_r m_r / N, pooled variance = Σ n_r (s_r² + m_r²) / N − mean².

    Returns:
        One row per group with the `by` columns, `mean` and `std`.
    """
    n = table["n_trials"].to_numpy(np.float64)
    m = table[f"{stat}_mean"].to_numpy(np.float64)
    s = table[f"{stat}_std"].to_numpy(np.float64)
    parts = pd.DataFrame({"n": n, "nm": n * m, "nq": n * (s**2 + m**2)}, index=table.index)
    sums = parts.join(table[by]).groupby(by, observed=True, dropna=False).sum().reset_index()
    mean = sums["nm"] / sums["n"]
    var = np.maximum(sums["nq"] / sums["n"] - mean**2, 0.0)
    return sums[by].assign(mean=mean, std=np.sqrt(var))


def bode_figure(
    table: pd.DataFrame, stat: str, *, color_by: str = "train_std", colorscale: str | None = None,
    included_only: bool = True, title: str | None = None, width: int = 600, height: int = 400,
) -> go.Figure:
    """One Bode panel: `stat` ("gain_db" or "phase") against frequency, mean ± 1 std band.

    Arguments:
        table: rows of ONE perturbed variable and axis of a frequency-response table
            (`frequency_response_table`, concatenated over models with e.g. `train_std`).
        stat: "gain_db" (y in dB) or "phase" (y in rad).
        color_by: column giving one curve per value.
        colorscale: colour scale; default the convention of `color_by`.
        included_only: leave out replicates excluded by post-training selection.
        title, width, height: layout.

    Returns:
        Per value of `color_by`: a band trace then a mean trace; x axis logarithmic (Hz).
    """
    if stat not in _Y:
        raise ValueError(f"stat={stat!r}; expected one of {list(_Y)}")
    check_column(table, color_by, "color_by")
    for column in ("pert_var", "axis"):
        check_column(table, column, "table column")
        if table[column].nunique() > 1:
            raise ValueError(f"table has several values of {column!r} "
                             f"{sorted(map(str, table[column].unique()))}; expected one (select first)")
    rows = only_included(table) if included_only else table
    if rows.empty:
        raise ValueError("no included rows in the frequency-response table")
    pooled = pool_replicates(rows, stat, [color_by, "frequency"])
    groups = group_indices(pooled[color_by])
    colors = colors_for(color_by, [v for v, _ in groups], colorscale)
    fig = go.Figure()
    for value, index in groups:
        part = pooled.iloc[index].sort_values("frequency")
        f, mean, std = (part[c].to_numpy() for c in ("frequency", "mean", "std"))
        name, color = format_value(value), colors[value]
        fig.add_trace(go.Scatter(
            x=np.concatenate([f, f[::-1]]), y=np.concatenate([mean + std, (mean - std)[::-1]]),
            fill="toself", fillcolor=with_alpha(color, 0.2), line={"width": 0}, mode="lines",
            name=name, legendgroup=name, showlegend=False, hoverinfo="skip",
        ))
        fig.add_trace(go.Scatter(x=f, y=mean, mode="lines", name=name, legendgroup=name,
                                 line={"color": color, "width": 2}))
    fig.add_hline(y=0, line_color=ZERO_LINE_COLOR, line_width=1)
    fig.update_xaxes(type="log", title_text="Frequency (Hz)")
    fig.update_yaxes(title_text=_Y[stat])
    return finish_layout(fig, title=title, width=width, height=height, legend_title=label(color_by))


def bode_figure_set(table: pd.DataFrame, *, color_by: str = "train_std") -> dict[str, go.Figure]:
    """Gain and phase figures for every perturbed variable × axis of a frequency-response table.

    Returns:
        `{"bode_gain/closed_loop_ss__pert_var-<v>__axis-<a>": …, "bode_phase/…": …}`.
    """
    figs = {}
    for stat, plot_id in _PLOT_IDS.items():
        for var in sorted(table["pert_var"].astype(str).unique()):
            for axis in sorted(table["axis"].astype(str).unique()):
                sel = table[(table["pert_var"].astype(str) == var) & (table["axis"].astype(str) == axis)]
                figs[f"{plot_id}__pert_var-{var}__axis-{axis}"] = bode_figure(
                    sel, stat, color_by=color_by,
                    title=f"{var.capitalize()} feedback noise → force, {axis}")
    return figs
