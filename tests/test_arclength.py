"""Pseudo-arclength continuation: around folds, and each bifurcation kind named where it is
known analytically (float64).

fold_cell (tests/gru_examples.py): roots p·1 with atanh(p) − a p / 2 = c; for a = 3 an S-curve
with folds at c = ±C_FOLD, p = ∓1/√3. With c = 0 and the reset gate r = σ(u_1) the origin is a
root for every u_1 with multiplier ½ + ½ r a on the 1-direction: a branch point (pitchfork) at
r a = 1, a flip at r a = −3 (a = −8), and with a block rotation of frequency ω a
Neimark–Sacker pair ½ ± ½ i r ω on the unit circle at r ω = √3.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gru_examples import C_FOLD, H, P_FOLD, _cell, fold_cell, scalar_roots
from motorlab.analysis.fixed_points import arclength_continuation


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield


def _logit(r):
    return float(np.log(r / (1 - r)))


def test_continuation_goes_around_both_folds_of_an_s_curve_and_names_them():
    cell = fold_cell(0.0, jnp.float64)
    lower = scalar_roots(-0.45).min()
    (br,) = arclength_continuation(cell, np.zeros(2), np.array([1.0, 0.0]), lower * np.ones(H),
                                   lam0=-0.45, lam_range=(-0.45, 0.45))
    folds = [b for b in br.bifurcations if b.kind == "fold"]
    assert [b.kind for b in br.bifurcations] == ["fold", "fold"]
    np.testing.assert_allclose([f.param for f in folds], [C_FOLD, -C_FOLD], atol=1e-7)
    np.testing.assert_allclose(folds[0].h, P_FOLD, atol=1e-6)
    np.testing.assert_allclose(folds[1].h, -P_FOLD, atol=1e-6)
    np.testing.assert_allclose([f.multiplier.real for f in folds], 1.0, atol=1e-6)
    # down the other side: the middle (saddle) stretch between the folds, the upper branch after
    assert br.stop == "range" and br.params[-1] > 0.45
    np.testing.assert_allclose(br.points[-1], scalar_roots(br.params[-1]).max(), atol=1e-8)
    i0, i1 = folds[0].index, folds[1].index
    assert np.all(br.n_unstable[i0 + 1:i1 - 1] == 1)
    assert np.all(br.n_unstable[:i0 - 1] == 0) and np.all(br.n_unstable[i1 + 1:] == 0)


def test_flip_is_named_at_the_analytic_parameter():
    cell = fold_cell(0.0, jnp.float64, a=-8.0)
    (br,) = arclength_continuation(cell, np.zeros(2), np.array([0.0, 1.0]), np.zeros(H),
                                   lam0=-2.0, lam_range=(-2.0, 1.0))
    (bif,) = br.bifurcations
    assert bif.kind == "flip"
    np.testing.assert_allclose(bif.param, _logit(3 / 8), atol=1e-7)
    np.testing.assert_allclose(bif.multiplier, -1.0, atol=1e-6)


def test_branch_point_is_named_and_the_crossing_branches_followed():
    cell = fold_cell(0.0, jnp.float64, a=3.0)
    first, *switched = arclength_continuation(cell, np.zeros(2), np.array([0.0, 1.0]),
                                              np.zeros(H), lam0=-2.0, lam_range=(-2.0, 1.0),
                                              switch=True)
    (bif,) = first.bifurcations
    assert bif.kind == "branch_point"
    np.testing.assert_allclose(bif.param, _logit(1 / 3), atol=1e-7)
    assert len(switched) == 2 and all(b.parent == 0 for b in switched)
    ends = sorted(b.points[-1, 0] for b in switched)
    assert ends[0] < -0.5 and ends[1] > 0.5  # the two halves of the pitchfork
    for b in switched:  # they are roots p·1 with p = tanh(σ(u_1) a p)
        r = 1 / (1 + np.exp(-b.params[-1]))
        np.testing.assert_allclose(b.points[-1], np.tanh(r * 3.0 * b.points[-1]), atol=1e-8)


def test_neimark_sacker_pair_is_named():
    w = np.zeros((H, H))
    half, omega = H // 2, 4.0
    w[:half, half:], w[half:, :half] = -omega / half, omega / half
    cell = _cell(w, 0.0, jnp.float64)
    w_ih = np.zeros((3 * H, 2))
    w_ih[:H, 1] = 1.0
    cell = eqx.tree_at(lambda c: c.cell.weight_ih, cell, jnp.asarray(w_ih))
    (br,) = arclength_continuation(cell, np.zeros(2), np.array([0.0, 1.0]), np.zeros(H),
                                   lam0=-2.0, lam_range=(-2.0, 1.0))
    (bif,) = br.bifurcations
    assert bif.kind == "neimark_sacker"
    np.testing.assert_allclose(bif.param, _logit(np.sqrt(3) / 4), atol=1e-7)
    np.testing.assert_allclose(abs(bif.multiplier), 1.0, atol=1e-6)
    assert abs(bif.multiplier.imag) > 0.5


def test_no_fixed_point_at_the_start_is_a_clear_error():
    cell = fold_cell(0.0, jnp.float64)
    with pytest.raises(ValueError, match="no fixed point near h0"):
        arclength_continuation(cell, np.zeros(2), np.array([1.0, 0.0]), 0.999 * np.ones(H),
                               lam0=-0.45, max_newton=1)
