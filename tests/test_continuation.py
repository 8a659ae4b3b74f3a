"""Continuation of fixed points along an input sweep: branches, folds, stability changes."""

import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gru_examples import C_FOLD, H, P_FOLD, fold_cell, scalar_roots
from motorlab.analysis.fixed_points import continue_fixed_points
from motorlab.analysis.fixed_points import default_tolerances


def _sweep_inputs(u0=None, u1=None):
    u0 = np.zeros_like(u1) if u0 is None else u0
    u1 = np.zeros_like(u0) if u1 is None else u1
    return np.stack([u0, u1], axis=1).astype(np.float32)


def test_fold_ends_two_branches_and_keeps_labels(getkey):
    cell = fold_cell(0.0, jnp.float32)
    params = np.linspace(-0.1, 0.4, 11)  # c_eff = params; the fold is at C_FOLD ≈ 0.2076
    starts = np.linspace(-0.95, 0.95, 12)[:, None] * np.ones((1, H), np.float32)
    br = continue_fixed_points(cell, _sweep_inputs(u0=params), params, starts.astype(np.float32),
                               key=getkey())
    assert br.points.shape[:2] == (11, 3)
    before = params < C_FOLD
    assert np.all(br.present[before].sum(1) == 3) and np.all(br.present[~before].sum(1) == 1)
    # the branch that survives is the upper stable one, with one label throughout
    (upper,) = np.flatnonzero(br.present.all(0))
    for j, c in enumerate(params):
        np.testing.assert_allclose(br.points[j, upper], scalar_roots(c).max(), atol=1e-5)
    assert np.all(br.n_unstable[:, upper] == 0)
    # the two that vanish are a node (0 unstable) and a saddle (1), and both end at the fold
    ending = [b for b in range(3) if b != upper]
    assert sorted(br.n_unstable[0, ending].tolist()) == [0, 1]
    folds = br.folds
    assert sorted(e.branch for e in folds) == sorted(ending)
    spacing = params[1] - params[0]
    for e in folds:
        assert abs(e.param - C_FOLD) < 0.3 * spacing
        assert params[e.index - 1] < C_FOLD <= params[e.index]
    ends = [e for e in br.events if e.kind == "end"]
    assert sorted(e.branch for e in ends) == sorted(ending)
    # σ_min falls towards the fold on both vanishing branches
    for b in ending:
        s = br.sigma_min[before, b][-3:]
        assert np.all(np.diff(s) < 0) and s[-1] < 0.1


def test_fold_is_found_when_branches_appear_mid_sweep(getkey):
    cell = fold_cell(0.0, jnp.float32)
    params = np.linspace(0.4, -0.1, 11)  # reversed: the pair is born at the fold
    starts = np.linspace(-0.95, 0.95, 12)[:, None] * np.ones((1, H), np.float32)
    br = continue_fixed_points(cell, _sweep_inputs(u0=params), params, starts.astype(np.float32),
                               key=getkey())
    born = [e for e in br.events if e.kind == "start"]
    assert len(born) == 2
    folds = br.folds
    assert len(folds) == 2
    spacing = abs(params[1] - params[0])
    assert all(abs(e.param - C_FOLD) < 0.3 * spacing for e in folds)


def test_stability_change_at_a_pitchfork(getkey):
    # c_eff = 0, r = σ(u_1): the origin is a fixed point for all u_1 and loses stability at
    # r a = 1, i.e. u_1 = logit(1/3)
    cell = fold_cell(0.0, jnp.float32)
    params = np.linspace(-2.0, 0.0, 9)
    starts = np.concatenate([np.zeros((1, H)),
                             np.linspace(-0.9, 0.9, 8)[:, None] * np.ones((1, H))])
    br = continue_fixed_points(cell, _sweep_inputs(u1=params), params, starts.astype(np.float32),
                               key=getkey())
    (origin,) = [b for b in range(br.points.shape[1]) if np.allclose(br.points[0, b], 0.0)]
    assert br.present[:, origin].all()
    changes = [e for e in br.events if e.kind == "stability"]
    assert [(e.branch, e.before, e.after) for e in changes] == [(origin, 0, 1)]
    assert params[changes[0].index - 1] < np.log(0.5) < params[changes[0].index]
    # the two branches born at the pitchfork are found by discovery, stable
    new = [e.branch for e in br.events if e.kind == "start"]
    assert len(new) == 2 and np.all(br.n_unstable[-1, new] == 0)


def test_validation(getkey):
    cell = fold_cell(0.0, jnp.float32)
    with pytest.raises(ValueError, match="P >= 2"):
        continue_fixed_points(cell, np.zeros((1, 2), np.float32), key=getkey(), n_box=4)
    with pytest.raises(ValueError, match="monotonic"):
        continue_fixed_points(cell, np.zeros((3, 2), np.float32), [0.0, 1.0, 0.5],
                              key=getkey(), n_box=4)


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_branches_close_to_a_fold_stay_apart_until_it(precision, getkey):
    # Samples approach the fold so closely that at the last one before it the two vanishing
    # branches are only a few times `tol.unique` apart (∞-norm): they must stay two branches
    # there (the finder's own de-duplication rule), so that both end at the right sample.
    ctx = jax.enable_x64(True) if precision == "float64" else contextlib.nullcontext()
    with ctx:
        dtype = jnp.dtype(precision)
        step = 4e-6 if precision == "float32" else 6.4e-15  # gap ≈ 2.5e-3 resp. 1e-7 at j = 4
        params = C_FOLD - step / 2 + step * np.arange(-4, 2)  # the fold between j = 4 and 5
        starts = P_FOLD + np.linspace(-0.02, 0.02, 12)[:, None] * np.ones((1, H))
        starts = np.concatenate([starts, np.full((2, H), 0.9)]).astype(dtype)
        inputs = np.stack([params, np.zeros_like(params)], axis=1).astype(dtype)
        br = continue_fixed_points(fold_cell(0.0, dtype), inputs, params, starts, key=getkey(),
                                   noise_scales=())
        tol = default_tolerances(dtype)
        ending = [b for b in range(br.points.shape[1]) if not br.present[-1, b]]
        assert len(ending) == 2
        assert br.present[:5, ending].all() and not br.present[5, ending].any()
        gap = np.max(np.abs(br.points[4, ending[0]] - br.points[4, ending[1]]))
        assert tol.unique < gap < 10 * tol.unique  # the old merge distance, 10 tol.unique
        folds = br.folds
        assert sorted(e.branch for e in folds) == ending
        for e in folds:
            assert e.index == 5 and params[4] < e.param < params[5]
            assert abs(e.param - C_FOLD) < 0.25 * step


def test_close_roots_with_large_round_off_steps_stay_apart():
    # The CI failure of the test above, made deterministic: at the last sample before the fold
    # (float64) the two vanishing roots are ~1.1e-7 apart, and each verified root's final Newton
    # step is round-off amplified by 1/σ_min, anywhere from 0 to ~1.4e-8. With the old margin,
    # 10 (e₁ + e₂) reached the gap when both steps came out large, and the branches merged.
    from motorlab.analysis.fixed_points._continuation import _new_points
    from motorlab.analysis.fixed_points._solve import merge_distance

    tol = default_tolerances(np.float64)
    a = np.full((1, H), -0.57735032)
    b = a + 1.15e-7
    assert _new_points(b, [1.4e-8], list(a), [1.4e-8], tol) == [0]
    # one root's verified iterates scatter over about tol.unique: still one point
    assert _new_points(a + 0.9 * tol.unique, [0.0], list(a), [0.0], tol) == []
    assert merge_distance(0.0, 0.0, tol) == tol.unique
