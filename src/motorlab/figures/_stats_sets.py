"""Two-group statistics tables of a figure set (SPEC §2.12 "Statistics").

A figure set that draws measure violins also compares two groups per measure (lowest vs highest
train std; SISU −3 vs +3 in part 2) with `motorlab.analysis.compare_groups`. All the tables of
one figure set form one family of comparisons: the Holm correction is applied across every row
of every table of the set (not per table), so the adjusted p-values of a set can be read together.

Each table is returned as a `TableFigure`: the plotly table to place beside its measure figure,
and the table itself, which the figure stage writes as CSV next to the figure.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..analysis import compare_groups, holm
from ..analysis._stats import TESTS
from ._groups import check_column
from ._stats_table import stats_table
from ._style import format_value, label, ordered_values


@dataclasses.dataclass(frozen=True)
class TableFigure:
    """A figure (a `go.Table`) with the table it shows; figure sets return it where a table
    product belongs beside the figures (written as `<name>.csv`)."""

    figure: go.Figure
    table: pd.DataFrame


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Group A (`by` = a) against group B (`by` = b), once per combination of the `per` columns.

    Fields:
        by: the column defining the groups (e.g. "train_std", "sisu").
        a, b: its two values.
        per: columns whose values each get their own table (e.g. ("pert_amp",)).
        key: where the comparison was configured (a config key path), named in errors.
    """

    by: str
    a: object
    b: object
    per: tuple[str, ...] = ()
    key: str = ""


def _has(values: pd.Series, value: object) -> bool:
    array = values.to_numpy()
    if array.dtype.kind == "f" and isinstance(value, (int, float, np.number)):
        return bool(np.isclose(array, float(value), rtol=1e-6, atol=0.0).any())
    return bool((array == value).any())


def check_comparison(measures: pd.DataFrame, comparison: Comparison) -> None:
    """Raise a ValueError naming the comparison's key when a group or column does not exist."""
    where = comparison.key or f"comparison by {comparison.by!r}"
    for column in (comparison.by, *comparison.per):
        check_column(measures, column, f"{where}: column")
    missing = [v for v in (comparison.a, comparison.b) if not _has(measures[comparison.by], v)]
    if missing:
        available = [format_value(v) for v in ordered_values(measures[comparison.by].tolist())]
        raise ValueError(f"{where}: no rows with {comparison.by} = {', '.join(map(format_value, missing))}; "
                         f"expected two of the values present: {', '.join(available)}")


def comparison_tables(measures: pd.DataFrame, comparisons: Sequence[Comparison], names: Sequence[str], *,
                      prefix: str = "stats", n_boot: int = 2000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The statistics tables of a figure set, Holm-adjusted across all of them.

    Arguments:
        measures: a Measures table (tagged with train columns).
        comparisons: the two-group comparisons (each checked with `check_comparison`).
        names: the measures compared (those absent from the table are skipped).
        prefix: first part of the table names.
        n_boot, seed: Cohen's d bootstrap (see `motorlab.analysis.cohens_d_ci`).

    Returns:
        name → table, names `<prefix>__by-<by>__<col>-<v>…` (`pert_amp` written `amp`), each the
        `compare_groups` table with one column per `per` value, and `*_p_holm` over the family.
        Combinations in which either group has no rows are left out.
    """
    rows = measures[measures["measure"].isin(list(names))]
    tables: dict[str, pd.DataFrame] = {}
    for comparison in comparisons:
        check_comparison(rows, comparison)
        values = [ordered_values(rows[c].tolist()) for c in comparison.per]
        for combo in itertools.product(*values):
            sel = rows
            for column, value in zip(comparison.per, combo):
                sel = sel[sel[column].to_numpy() == value]
            if not (_has(sel[comparison.by], comparison.a) and _has(sel[comparison.by], comparison.b)):
                continue
            table = compare_groups(sel, comparison.by, comparison.a, comparison.b, n_boot=n_boot, seed=seed)
            for column, value in zip(comparison.per, combo):
                table.insert(1, column, value)
            parts = [f"{'amp' if c == 'pert_amp' else c}-{format_value(v)}" for c, v in zip(comparison.per, combo)]
            tables["__".join([prefix, f"by-{comparison.by}", *parts])] = table
    if tables:
        family = pd.concat(tables.values(), ignore_index=True)
        sizes = np.cumsum([0] + [len(t) for t in tables.values()])
        for test in TESTS:
            adjusted = holm(family[f"{test}_p"].to_numpy())
            for (name, table), lo, hi in zip(tables.items(), sizes[:-1], sizes[1:]):
                table[f"{test}_p_holm"] = adjusted[lo:hi]
    return tables


def stats_figures(measures: pd.DataFrame, comparisons: Sequence[Comparison], names: Sequence[str],
                  **kwargs) -> dict[str, TableFigure]:
    """`comparison_tables` with each table drawn by `stats_table` (titled by its groups and
    `per` values); the Holm family is the whole set."""
    out = {}
    for name, table in comparison_tables(measures, comparisons, names, **kwargs).items():
        first = table.iloc[0]
        title = f"{label(first['by']).replace('<br>', ' ')}: {format_value(first['a'])} (A) vs " \
                f"{format_value(first['b'])} (B)"
        extra = [c for c in table.columns[1:] if c not in ("by", "a", "b") and c in measures.columns]
        if extra:
            title += " — " + ", ".join(f"{label(c).replace('<br>', ' ')} {format_value(first[c])}" for c in extra)
        out[name] = TableFigure(stats_table(table, title=title + " (Holm across the figure set)"), table)
    return out


def figure_and_tables(figs: Mapping[str, object]) -> tuple[dict[str, go.Figure], dict[str, pd.DataFrame]]:
    """Split a figure set's output into figures and the tables to write beside them."""
    figures, tables = {}, {}
    for name, value in figs.items():
        if isinstance(value, TableFigure):
            figures[name], tables[name] = value.figure, value.table
        else:
            figures[name] = value
    return figures, tables
