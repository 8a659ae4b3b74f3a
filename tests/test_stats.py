"""Two-group statistics of a measures table against scipy.stats on fixed samples."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from motorlab.analysis import cohens_d, cohens_d_ci, compare_groups, holm


def measures_table():
    rng = np.random.default_rng(1)
    rows = []
    for std, shift, scale in ((0.0, 0.0, 1.0), (1.5, 1.0, 2.0)):
        for measure, factor in (("max_net_force", 1.0), ("end_position_error", 0.0)):
            values = rng.normal(shift * factor, scale if factor else 1.0, 40)
            rows.append(pd.DataFrame({"train_std": np.float32(std), "measure": measure, "value": values,
                                      "included": np.arange(40) != 0, "replicate": np.arange(40) % 4}))
    return pd.concat(rows, ignore_index=True)


def test_holm_matches_the_step_down_definition():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.005])
    # sorted 0.005, 0.01, 0.03, 0.04 × (4, 3, 2, 1) = 0.02, 0.03, 0.06, 0.04 → running max
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, np.nan, 0.02])
    assert np.all(holm([0.5, 0.6]) == [1.0, 1.0])


def test_cohens_d_and_its_bootstrap_interval():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0])
    assert cohens_d(a, b) == pytest.approx(2.0 / np.sqrt(5 / 3))
    low, high = cohens_d_ci(a, b, n_boot=500, seed=3)
    assert low < cohens_d(a, b) < high
    assert (low, high) == cohens_d_ci(a, b, n_boot=500, seed=3)  # fixed seed → reproducible
    assert np.isnan(cohens_d([1.0], b))


def test_compare_groups_matches_scipy():
    table = measures_table()
    out = compare_groups(table, "train_std", 0.0, 1.5, n_boot=200)
    assert list(out["measure"]) == ["max_net_force", "end_position_error"]
    kept = table[table["included"]]
    for _, row in out.iterrows():
        of = kept[kept["measure"] == row["measure"]]
        a = of.loc[of["train_std"] == 0, "value"].to_numpy()
        b = of.loc[of["train_std"] == np.float32(1.5), "value"].to_numpy()
        assert (row["n_a"], row["n_b"]) == (39, 39)
        u = stats.mannwhitneyu(a, b, alternative="two-sided")
        ks = stats.ks_2samp(a, b)
        lev = stats.levene(a, b, center="median")
        assert row["ranksum_u"] == pytest.approx(u.statistic) and row["ranksum_p"] == pytest.approx(u.pvalue)
        assert row["ks_d"] == pytest.approx(ks.statistic) and row["ks_p"] == pytest.approx(ks.pvalue)
        assert row["levene_w"] == pytest.approx(lev.statistic) and row["levene_p"] == pytest.approx(lev.pvalue)
        assert row["cohens_d"] == pytest.approx(cohens_d(a, b))
        assert row["cohens_d_low"] <= row["cohens_d"] <= row["cohens_d_high"]
    np.testing.assert_allclose(out["ks_p_holm"], holm(out["ks_p"]))
    shifted = out.set_index("measure")
    assert shifted.loc["max_net_force", "ranksum_p_holm"] < 0.01  # shifted mean and doubled std
    assert shifted.loc["max_net_force", "levene_p_holm"] < 0.01
    assert shifted.loc["end_position_error", "ranksum_p_holm"] > 0.05


def test_missing_groups_and_columns_are_named():
    table = measures_table()
    with pytest.raises(ValueError, match=r"train_std=0\.7.*\[0\.0, 1\.5\]"):
        compare_groups(table, "train_std", 0.0, 0.7)
    with pytest.raises(ValueError, match="by='sisu' is not a column"):
        compare_groups(table, "sisu", 0.0, 1.0)
