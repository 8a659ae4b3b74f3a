"""Branches through seed points (`continue_branches`, the path of the `fixed_points`
analysis): around both folds of an S-curve with the folds named, every seed on one branch; a
pitchfork's two branches; the branch tables (float64, analytic GRUs of tests/gru_examples.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gru_examples import C_FOLD, H, fold_cell, scalar_roots
from motorlab.analysis.fixed_points._branches import (as_float64, branch_tables,
                                                      continue_branches)


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield


def _s_curve_seeds(lams=(-0.45, 0.05, 0.45)):
    return [(lam, p * np.ones(H)) for lam in lams for p in scalar_roots(lam)]


def test_one_branch_through_every_seed_of_an_s_curve_with_both_folds_named():
    cell = fold_cell(0.0, jnp.float64)
    seeds = _s_curve_seeds()
    assert len(seeds) == 5  # 1 + 3 + 1 roots
    (br,) = continue_branches(cell, np.zeros(2), np.array([1.0, 0.0]), seeds,
                              lam_range=(-0.45, 0.45), ds_max=0.05)
    folds = [b for b in br.bifurcations if b.kind == "fold"]
    np.testing.assert_allclose(sorted(f.param for f in folds), [-C_FOLD, C_FOLD], atol=1e-7)
    assert br.params[0] <= -0.45 and br.params[-1] >= 0.45
    samples, events = branch_tables([br])
    assert list(events["label"]) == ["LP", "LP"] and set(events["kind"]) == {"fold"}
    np.testing.assert_allclose(events["multiplier_re"], 1.0, atol=1e-5)
    assert sorted(samples.loc[samples["bifurcation"] != "", "bifurcation"]) == ["LP", "LP"]
    # the middle stretch is the saddle (one unstable direction), the outer ones stable
    mid = samples[(samples["point"] > events["index"].min()) & (samples["point"] < events["index"].max() - 1)]
    assert (mid["n_unstable"] == 1).all() and not mid["stable"].any()
    assert samples.loc[samples["point"] < events["index"].min() - 1, "stable"].all()
    assert set(events["before"] + events["after"]) == {1}


def test_a_float32_map_is_continued_in_float64():
    cell = as_float64(fold_cell(0.0, jnp.float32))
    assert cell.dtype == jnp.float64
    (br,) = continue_branches(cell, np.zeros(2), np.array([1.0, 0.0]), _s_curve_seeds(),
                              lam_range=(-0.45, 0.45), ds_max=0.05)
    assert [b.kind for b in br.bifurcations] == ["fold", "fold"]


def test_pitchfork_gives_two_branches_and_seeds_on_followed_branches_are_skipped():
    cell = fold_cell(0.0, jnp.float64)
    p = scalar_roots(0.0, 3.0 / (1 + np.exp(-1.0)) * 2).max()  # p = tanh(σ(1) · 3 · p)
    seeds = [(-2.0, np.zeros(H)), (1.0, np.zeros(H)), (1.0, p * np.ones(H)), (1.0, -p * np.ones(H))]
    branches = continue_branches(cell, np.zeros(2), np.array([0.0, 1.0]), seeds,
                                 lam_range=(-2.0, 1.0), ds_max=0.1)
    assert len(branches) == 2
    origin, fork = branches
    assert np.abs(origin.points).max() < 1e-9 and origin.bifurcations[0].kind == "branch_point"
    # the fork's branch goes through both ±p (down to the branch point and back up)
    ends = sorted(fork.points[[0, -1], 0])
    assert ends[0] < -0.9 and ends[1] > 0.9 and np.all(fork.params[[0, -1]] >= 1.0)
    assert fork.params.min() < 0  # down to the branch point at σ(λ) = 1/3, λ = −0.69
    samples, _ = branch_tables(branches)
    assert samples.groupby("branch")["point"].max().tolist() == [len(origin.params) - 1,
                                                                  len(fork.params) - 1]


def test_bad_range_is_named():
    with pytest.raises(ValueError, match="lam_range"):
        continue_branches(fold_cell(0.0, jnp.float64), np.zeros(2), np.array([1.0, 0.0]), [],
                          lam_range=(1.0, 0.0), ds_max=0.1)
