"""Completeness of the fixed-point finder: every root of maps with known root sets is found
(deflation, neighbour warm starts), and no slow point is reported as a fixed point.

Oracles (tests/fp_oracles.py): a Hopfield-like rank-3 GRU with a 3 × 3 × 3 grid of roots
(8 stable nodes, 19 saddles), planted roots, a context sweep up to 1e-3 of a saddle-node, and
scipy.optimize.root from 1000 structured seeds on an independent NumPy map. All in float64.
"""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from fp_oracles import (grid_cell, grid_roots, matched, numpy_step, planted_cell, scipy_roots)
from gru_examples import C_FOLD, fold_cell, random_cell, scalar_roots
from motorlab.analysis.fixed_points import FIXED_POINT, find_fixed_points


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield


def _verified(cell, u, fps, k=0):
    """The reported fixed points of input k; each checked on the independent NumPy map."""
    pts = fps.points[k][fps.status[k] == FIXED_POINT]
    for h in pts:
        assert np.max(np.abs(numpy_step(cell, np.asarray(u, np.float64), h) - h)) < 1e-9
    return pts


def test_grid_of_27_roots_is_completed_by_deflation():
    cell = grid_cell(jnp.float64, d=3)
    known, unstable = grid_roots(d=3)
    u = np.zeros((1, 2))
    plain = find_fixed_points(cell, u, key=jr.PRNGKey(0), n_box=64, deflation=False)
    full = find_fixed_points(cell, u, key=jr.PRNGKey(0), n_box=64)
    before = matched(_verified(cell, u[0], plain), known, 1e-8).sum()
    pts = _verified(cell, u[0], full)
    assert before < 27 and matched(pts, known, 1e-8).all() and len(pts) == 27
    assert full.n_deflated[0] == 27 - before
    assert set(full.found_by[0][full.status[0] == FIXED_POINT]) <= {0, 2}
    # stability as the analysis says: unstable directions = zero blocks
    fixed = full.status[0] == FIXED_POINT
    order = np.argmin(np.max(np.abs(known[:, None] - pts[None]), -1), axis=0)
    np.testing.assert_array_equal(full.n_unstable[0][fixed], unstable[order])


def test_planted_roots_and_every_scipy_root_are_found():
    planted = np.random.default_rng(5).uniform(-0.8, 0.8, (6, 8))
    cell = planted_cell(planted, jnp.float64)
    u = np.zeros((1, 2))
    reference = scipy_roots(cell, u[0], n_seeds=1000)
    fps = find_fixed_points(cell, u, key=jr.PRNGKey(0), n_box=64, eigenvalues=False)
    pts = _verified(cell, u[0], fps)
    assert matched(pts, planted, 1e-8).all()
    assert matched(pts, reference, 1e-8).all(), "a root scipy finds was missed"
    assert fps.n_deflated[0] > 0


def test_context_sweep_up_to_a_saddle_node_finds_all_three_branches():
    cell = fold_cell(0.0, jnp.float64)
    cs = np.r_[np.linspace(C_FOLD - 0.3, C_FOLD - 0.02, 5), C_FOLD - 1e-3]
    u = np.stack([cs, np.zeros_like(cs)], axis=1)
    fps = find_fixed_points(cell, u, key=jr.PRNGKey(1), n_box=16, neighbours="sweep",
                            eigenvalues=False)
    for k, c in enumerate(cs):
        known = scalar_roots(c)[:, None] * np.ones((1, cell.hidden_size))
        pts = _verified(cell, u[k], fps, k)
        assert len(known) == 3 and len(pts) == 3 and matched(pts, known, 1e-6).all(), k
    # past the fold only the upper root is left, and the ghost is not called a fixed point
    past = find_fixed_points(cell, np.array([[C_FOLD + 1e-3, 0.0]]), key=jr.PRNGKey(2),
                             n_box=16, eigenvalues=False)
    assert past.n_fixed.tolist() == [1]


def test_random_gru_roots_match_scipy():
    cell = random_cell(jnp.float64, size=8, n_inputs=3, key=jr.PRNGKey(11), gain=4.0)
    u = np.zeros((1, 3))
    reference = scipy_roots(cell, u[0], n_seeds=1000)
    fps = find_fixed_points(cell, u, key=jr.PRNGKey(0), n_box=64, eigenvalues=False)
    pts = _verified(cell, u[0], fps)
    assert len(reference) >= 3 and matched(pts, reference, 1e-8).all()
    assert len(pts) == len(reference)


def test_bad_neighbours_and_deflation_options_are_named():
    cell = grid_cell(jnp.float64, d=2)
    with pytest.raises(ValueError, match="neighbours"):
        find_fixed_points(cell, np.zeros((2, 2)), key=jr.PRNGKey(0), n_box=4, neighbours="grid")
    with pytest.raises(ValueError, match="neighbours"):
        find_fixed_points(cell, np.zeros((2, 2)), key=jr.PRNGKey(0), n_box=4,
                          neighbours=[[1], [5]])
