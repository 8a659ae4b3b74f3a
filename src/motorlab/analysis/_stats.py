"""Two-group statistics of measures, written as a table (SPEC §2.12, R1 manuscript methods).

For each measure, group A and group B are the rows whose column `by` equals `a` and `b`
(e.g. train std 0 vs 1.5). The table reports:

* Wilcoxon rank-sum / Mann–Whitney U (two-sided), for a shift between the distributions;
* two-sample Kolmogorov–Smirnov (two-sided), for any difference between the distributions;
* Levene's test (centred on the median, i.e. Brown–Forsythe), for equal variances;
* Cohen's d = (mean_B − mean_A) / pooled std, with a percentile bootstrap confidence interval
  (resampling each group with replacement, fixed seed);
* Holm–Bonferroni adjusted p-values of each test across the measures of the table: one table is
  one family of comparisons (e.g. the measures of one figure set).

The rows entering the tests are trials (eval × replicate × condition), so they are not
independent samples of models: read the p-values as descriptive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from jaxtyping import Float
from scipy import stats


TESTS: Final = ("ranksum", "ks", "levene")


def holm(p: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Holm–Bonferroni step-down adjusted p-values (NaN entries are left out and stay NaN).

    With the m finite p-values sorted ascending, p_(i) → max_{j ≤ i} min(1, (m − j + 1) p_(j)),
    returned in the original order.
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def cohens_d(a: Float[np.ndarray, " n"] | Sequence[float], b: Float[np.ndarray, " m"] | Sequence[float]) -> float:
    """Cohen's d of B relative to A: (mean_b − mean_a) / pooled std (ddof 1); NaN if undefined."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = a.size, b.size
    if na < 2 or nb < 2:
        return np.nan
    pooled = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    return float((b.mean() - a.mean()) / pooled) if pooled > 0 else np.nan


def cohens_d_ci(
    a: Float[np.ndarray, " n"], b: Float[np.ndarray, " m"], *, n_boot: int = 2000,
    level: float = 0.95, seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `cohens_d(a, b)`, resampling each group with replacement.

    Arguments:
        a, b: the two samples.
        n_boot: number of bootstrap resamples.
        level: coverage of the interval (0.95 → the 2.5 and 97.5 percentiles).
        seed: seed of the resampling generator (numpy PCG64), so tables are reproducible.

    Returns:
        `(low, high)`; NaN when either sample has fewer than 2 values.
    """
    if n_boot < 1 or not 0 < level < 1:
        raise ValueError(f"n_boot={n_boot!r}, level={level!r}; expected n_boot >= 1 and 0 < level < 1")
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size < 2 or b.size < 2:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    ra = a[rng.integers(0, a.size, (n_boot, a.size))]
    rb = b[rng.integers(0, b.size, (n_boot, b.size))]
    pooled = np.sqrt(((a.size - 1) * ra.var(1, ddof=1) + (b.size - 1) * rb.var(1, ddof=1))
                     / (a.size + b.size - 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (rb.mean(1) - ra.mean(1)) / pooled
    d = d[np.isfinite(d)]
    if d.size == 0:
        return np.nan, np.nan
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(d, [tail, 100 - tail])
    return float(low), float(high)


def _group_mask(values: pd.Series, value: object, by: str) -> np.ndarray:
    """Rows equal to `value` (floats to float32 precision, as tables store them)."""
    array = values.to_numpy()
    if array.dtype.kind == "f" and isinstance(value, (int, float, np.number)):
        mask = np.isclose(array, float(value), rtol=1e-6, atol=0.0)
        mask |= np.isnan(array) & np.isnan(float(value))
    else:
        mask = array == value
    if not mask.any():
        available = sorted(pd.unique(values).tolist(), key=str)
        raise ValueError(f"no rows with {by}={value!r}; expected one of {available}")
    return mask


def two_sample_tests(
    a: Float[np.ndarray, " n"], b: Float[np.ndarray, " m"], *, n_boot: int = 2000,
    level: float = 0.95, seed: int = 0,
) -> dict[str, float]:
    """Every statistic of the table for two samples (NaNs dropped); see the module docstring.

    Returns:
        A dict with n_a, n_b, mean_a, mean_b, median_a, median_b, std_a, std_b, ranksum_u,
        ranksum_p, ks_d, ks_p, levene_w, levene_p, cohens_d, cohens_d_low, cohens_d_high
        (NaN where a test needs more data: two values per group, not all equal for Levene).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    row = {"n_a": a.size, "n_b": b.size}
    for name, x in (("a", a), ("b", b)):
        row[f"mean_{name}"] = float(x.mean()) if x.size else np.nan
        row[f"median_{name}"] = float(np.median(x)) if x.size else np.nan
        row[f"std_{name}"] = float(x.std(ddof=1)) if x.size > 1 else np.nan
    nan2 = (np.nan, np.nan)
    enough = a.size >= 2 and b.size >= 2
    u = stats.mannwhitneyu(a, b, alternative="two-sided") if enough else nan2
    ks = stats.ks_2samp(a, b, alternative="two-sided") if enough else nan2
    spread = enough and (np.ptp(a) > 0 or np.ptp(b) > 0)
    lev = stats.levene(a, b, center="median") if spread else nan2
    low, high = cohens_d_ci(a, b, n_boot=n_boot, level=level, seed=seed)
    row |= {"ranksum_u": float(u[0]), "ranksum_p": float(u[1]), "ks_d": float(ks[0]),
            "ks_p": float(ks[1]), "levene_w": float(lev[0]), "levene_p": float(lev[1]),
            "cohens_d": cohens_d(a, b), "cohens_d_low": low, "cohens_d_high": high}
    return row


def compare_groups(
    measures: pd.DataFrame,
    by: str,
    a: object,
    b: object,
    *,
    measure_col: str = "measure",
    value_col: str = "value",
    included_only: bool = True,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare two groups of rows on every measure of a long table.

    Arguments:
        measures: a long table (e.g. the Measures table, or a tangling table with a measure
            column added), with the columns `by`, `measure_col`, `value_col`.
        by: the column that defines the groups (e.g. "train_std", "sisu", "pert_amp").
        a, b: the values of `by` of group A and group B (floats match to float32 precision).
        measure_col: column naming the measure of each row; each distinct value is one row of
            the result, in order of first appearance.
        value_col: column of the values.
        included_only: leave out replicates excluded by post-training selection (rows whose
            `included` is False, when the column exists).
        n_boot, level, seed: Cohen's d bootstrap interval (see `cohens_d_ci`).

    Returns:
        One row per measure: `measure`, `by`, `a`, `b`, the statistics of `two_sample_tests`, and
        `ranksum_p_holm`, `ks_p_holm`, `levene_p_holm` (Holm-adjusted across the measures).

    Raises:
        ValueError: a column is missing, or no row has `by` equal to `a` (or `b`); the message
            names the column and its available values.
    """
    for role, column in (("by", by), ("measure_col", measure_col), ("value_col", value_col)):
        if column not in measures.columns:
            raise ValueError(f"{role}={column!r} is not a column of the table; "
                             f"expected one of {list(measures.columns)}")
    if included_only and "included" in measures.columns:
        measures = measures[measures["included"].to_numpy(dtype=bool)]
    in_a = _group_mask(measures[by], a, by)
    in_b = _group_mask(measures[by], b, by)
    rows = []
    names = measures[measure_col].to_numpy()
    values = measures[value_col].to_numpy(dtype=np.float64)
    for name in pd.unique(names):
        this = names == name
        rows.append({"measure": name, "by": by, "a": a, "b": b}
                    | two_sample_tests(values[this & in_a], values[this & in_b],
                                       n_boot=n_boot, level=level, seed=seed))
    table = pd.DataFrame(rows)
    for test in TESTS:
        table[f"{test}_p_holm"] = holm(table[f"{test}_p"].to_numpy())
    return table
