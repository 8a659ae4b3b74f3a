"""Two-parameter fold continuation (`continue_fold`) against a fold curve known analytically.

fold_cell (tests/gru_examples.py): u_0 adds to the input bias (c) and u_1 sets the reset gate
r = σ(u_1), so the fixed points p·1 solve p = tanh(c + r a p). A fold (multiplier +1 on the
1-direction) needs r a (1 − p²) = 1: p_f = ±√(1 − 1/(r a)), c_f = atanh(p_f) − r a p_f. The
two folds meet in a cusp at r a = 1 (u_1 = logit(1/a)), c = 0, p = 0 (float64).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gru_examples import A, C_FOLD, H, P_FOLD, fold_cell
from motorlab.analysis.fixed_points import continue_fold


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_fold_curve_follows_the_analytic_curve_through_the_cusp():
    cell = fold_cell(0.0, jnp.float64)
    curve = continue_fold(cell, np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0]),
                          P_FOLD * np.ones(H), C_FOLD, 0.0, lam_range=(-1.5, 1.5),
                          mu_range=(-2.0, 2.0), orientation=-1.0, ds_max=0.1)
    assert curve.stop == "range" and len(curve.lam) > 20
    p = curve.points[:, 0]
    np.testing.assert_allclose(curve.points, p[:, None] * np.ones(H), atol=1e-10)
    ra = _sigmoid(curve.mu) * A
    np.testing.assert_allclose(ra * (1 - p**2), 1.0, atol=1e-9)  # multiplier +1
    np.testing.assert_allclose(curve.lam, np.arctanh(p) - ra * p, atol=1e-9)  # c_f(μ)
    # from the upper fold (p < 0, c > 0) through the cusp to the lower fold (p > 0, c < 0)
    assert p[0] < 0 and p[-1] > 0 and curve.lam[-1] < 0
    (cusp,) = curve.cusps
    np.testing.assert_allclose([cusp.lam, cusp.mu], [0.0, np.log(1 / (A - 1))], atol=1e-6)
    np.testing.assert_allclose(cusp.h, 0.0, atol=1e-6)
    # the null vector is the 1-direction
    v = curve.vectors / np.linalg.norm(curve.vectors, axis=1, keepdims=True)
    np.testing.assert_allclose(np.abs(v), 1 / np.sqrt(H), atol=1e-9)


def test_a_point_that_is_no_fold_is_a_clear_error():
    cell = fold_cell(0.0, jnp.float64)
    with pytest.raises(ValueError, match="no fold near h0"):
        continue_fold(cell, np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0]),
                      0.9 * np.ones(H), -0.5, 0.0, max_newton=2)


def test_the_analysis_fold_curve_table_and_figure_from_the_folds_of_an_s_curve():
    from gru_examples import scalar_roots
    from motorlab.analysis.fixed_points._branches import continue_branches
    from motorlab.analysis.fixed_points._sisu_branches import _fold_curve_rows
    from motorlab.figures import fold_curve_diagram

    cell = fold_cell(0.0, jnp.float64)
    base, d1, d2 = np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0])
    seeds = [(lam, p * np.ones(H)) for lam in (-0.45, 0.05, 0.45) for p in scalar_roots(lam)]
    (br,) = continue_branches(cell, base, d1, seeds, lam_range=(-0.45, 0.45), ds_max=0.05)
    folds = [(0, b.h, b.param) for b in br.bifurcations if b.kind == "fold"]
    rows = _fold_curve_rows(cell, base, d1, d2, folds, (-1.5, 1.5), (-2.0, 2.0), 0.1)
    # one curve: the first fold's, through the cusp (side of decreasing reset gate, u_1 < 0)
    # to the second fold, which is therefore not followed again
    assert set(rows["fold"]) == {0} and set(rows["side"]) == {-1, 1}
    cusps = rows[rows["cusp"]]
    assert len(cusps) == 1 and (cusps["side"] == -1).all()
    np.testing.assert_allclose(cusps["offset"], np.log(1 / (A - 1)), atol=0.2)  # the sample after it
    p = np.stack(rows["h"].to_numpy())[:, 0].astype(float)
    ra = _sigmoid(rows["offset"].to_numpy(float)) * A
    np.testing.assert_allclose(ra * (1 - p**2), 1.0, atol=1e-5)
    fig = fold_curve_diagram(rows)
    assert [tr.name for tr in fig.data if tr.mode == "lines"] == ["fold 0"]
    assert any(tr.name == "cusp" for tr in fig.data)


def test_bad_fold_curve_settings_are_named():
    from motorlab.analysis.fixed_points._sisu_branches import second_direction

    assert second_direction(None, 9) is None and second_direction({"block": None}, 9) is None
    d = second_direction({"block": "fb_vel", "index": 1, "range": [-0.4, 0.4]}, 9)
    assert d.sum() == 1.0 and d[7] == 1.0  # target_pos 0-1, target_vel 2-3, fb_pos 4-5, fb_vel 6-7
    with pytest.raises(ValueError, match="fold_curves.block: got 'sisu'"):
        second_direction({"block": "sisu", "index": 0, "range": [-0.4, 0.4]}, 9)
    with pytest.raises(ValueError, match="fold_curves.index: got 2"):
        second_direction({"block": "fb_vel", "index": 2, "range": [-0.4, 0.4]}, 9)
    with pytest.raises(ValueError, match="fold_curves.range"):
        second_direction({"block": "fb_vel", "index": 0, "range": [0.4, -0.4]}, 9)
