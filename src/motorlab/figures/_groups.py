"""Split trials (or measure rows) into colour groups by the value of one column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis._align import AlignedTrials, aligned_trials
from ._style import ordered_values


def check_column(table: pd.DataFrame, column: str, what: str) -> None:
    """Raise a ValueError naming `column` if `table` lacks it."""
    if column not in table.columns:
        raise ValueError(
            f"{what}={column!r} is not a column of the table; expected one of {list(table.columns)}"
        )


def group_indices(values: pd.Series) -> list[tuple[object, np.ndarray]]:
    """(value, row indices) for each distinct value, in sorted order; NaN forms its own group."""
    array = values.to_numpy()
    groups = []
    for value in ordered_values(values.tolist()):
        if isinstance(value, float) and np.isnan(value):
            mask = pd.isna(values).to_numpy()
        else:
            mask = array == value
        groups.append((value, np.flatnonzero(mask)))
    return groups


def only_included(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of replicates kept by post-training selection (all rows without an `included`)."""
    if "included" not in table.columns:
        return table
    return table[table["included"].to_numpy(dtype=bool)]


def trial_groups(
    states: pd.DataFrame, color_by: str, *, included_only: bool
) -> tuple[AlignedTrials, list[tuple[object, np.ndarray]]]:
    """Align the trials of a states table and group them by the column `color_by`.

    Arguments:
        states: a states table (docs/architecture.md), possibly with extra per-trial columns.
        color_by: a per-trial column (condition or hyperparameter, e.g. "train_std").
        included_only: drop trials of replicates excluded by post-training selection.

    Returns:
        `(aligned, groups)`: the aligned trials and, per distinct value in sorted order, the
        indices of its trials.
    """
    check_column(states, color_by, "color_by")
    aligned, conditions = aligned_trials(states)
    if included_only and "included" in conditions.columns:
        keep = conditions["included"].to_numpy(dtype=bool)
    else:
        keep = np.ones(len(conditions), dtype=bool)
    groups = [
        (value, index[keep[index]])
        for value, index in group_indices(conditions[color_by])
    ]
    groups = [(value, index) for value, index in groups if index.size]
    if not groups:
        raise ValueError("no trials left to plot; expected at least one included trial")
    return aligned, groups
