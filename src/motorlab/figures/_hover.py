"""Many trial curves as one plotly trace that still tells, on hover, which trial a point is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def joined_curves(
    curves: np.ndarray, meta: pd.DataFrame, columns: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, str]:
    """Join curves (k, time, 2) into one NaN-separated polyline with per-point hover data.

    Arguments:
        curves: k curves, shape (k, time, 2).
        meta: k rows, one per curve (e.g. the trial's eval, replicate, condition, trial).
        columns: columns of `meta` shown on hover (those missing from `meta` are skipped).

    Returns:
        `(xy, customdata, hovertemplate)`: xy (k·(time+1), 2) with a NaN row after each curve,
        customdata (k·(time+1), len(shown)) repeating each curve's values, and the template
        "column value" per line.
    """
    k, steps, _ = curves.shape
    shown = [c for c in columns if c in meta.columns]
    gap = np.full((k, 1, 2), np.nan)
    xy = np.concatenate([curves, gap], axis=1).reshape(-1, 2)
    data = meta[shown].to_numpy(dtype=object) if shown else np.zeros((k, 0), dtype=object)
    customdata = np.repeat(data, steps + 1, axis=0)
    lines = [f"{c} %{{customdata[{i}]}}" for i, c in enumerate(shown)]
    template = "<br>".join([*lines, "(%{x:.3g}, %{y:.3g})"]) + "<extra>%{fullData.name}</extra>"
    return xy, customdata, template


def evenly_spaced(index: np.ndarray, k: int) -> np.ndarray:
    """At most k entries of `index`, evenly spread and reproducible."""
    if index.size <= k:
        return index
    return index[np.unique(np.linspace(0, index.size - 1, k).round().astype(int))]


def axis_refs(n: int) -> dict[str, str]:
    """The `xaxis`/`yaxis` references of subplot n (1-based) of `make_subplots`."""
    suffix = str(n) if n > 1 else ""
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
