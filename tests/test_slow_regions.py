"""Slow regions along trajectories (issue 14, item 4): a hand-built map just past a saddle-node
has a ghost (no fixed point, q with a positive minimum) that a passing trajectory lingers in; it
is reported with its dwell time and an eigenvalue near 1, while the fixed point where the
trajectory comes to rest is not; just before the fold, no slow region is reported."""

import jax.numpy as jnp
import numpy as np
import pytest

from motorlab.analysis.fixed_points._slow_regions import SLOW_REGION_COLUMNS, slow_regions, trajectory_q
from motorlab.sim import FunctionMap

DT = 0.1


def _fn(u, h):
    """h1 ↦ h1 + dt (μ + h1²)(1 − h1²), h2 ↦ h2 / 2; μ = u[0]. For μ > 0 the only roots are
    h1 = ±1 (+1 stable): the pair at h1 = ±√−μ has vanished and left a ghost at h1 = 0."""
    x = h[0] + DT * (u[0] + h[0] ** 2) * (1.0 - h[0] ** 2)
    return jnp.stack([x, 0.5 * h[1]])


def _trajectory(mu, steps=800):
    h = np.zeros((steps, 2))
    h[0] = [-0.9, 0.3]
    for t in range(1, steps):
        h[t] = np.asarray(_fn(jnp.asarray([mu]), jnp.asarray(h[t - 1])))
    return h[None].astype(np.float32)


def test_the_ghost_past_a_saddle_node_is_a_slow_region_and_the_resting_point_is_not():
    mu = 0.01
    h = _trajectory(mu)
    u = np.full((1, 1), mu, np.float32)
    cell = FunctionMap(fn=_fn)
    q = trajectory_q(cell, np.broadcast_to(u[:, None], (1, h.shape[1], 1)), h)
    assert q.shape == (1, 800) and q[0, -1] < 1e-10  # at rest on h1 = 1 at the end
    regions = slow_regions(cell, u, h, q_threshold=1e-5, fp_radius=0.05)
    assert list(regions.columns) == list(SLOW_REGION_COLUMNS)
    assert len(regions) == 1  # the run that ends on the fixed point h1 = 1 is dropped
    ghost = regions.iloc[0]
    assert abs(ghost["h"][0]) < 0.02  # the minimum of q in time lies at the ghost, h1 ≈ 0
    expected_q = 0.5 * (DT * mu) ** 2  # q at the ghost: ½ (dt μ)², positive
    assert ghost["q"] == pytest.approx(expected_q, rel=0.05)
    # Newton from the ghost finds nothing near it: it stalls (slow point) or runs to a far root
    assert (ghost["status"] == "fixed_point") == (ghost["fp_distance"] > 0.05)
    assert ghost["near_one"] < 1e-3 and ghost["top_real"] == pytest.approx(1.0, abs=1e-3)
    # dwell ≈ the steps spent where dt (μ + h²) ≤ √(2 q_threshold): ∫ dh / (dt (μ + h²)) over that range
    edge = np.sqrt(np.sqrt(2e-5) / DT - mu)
    dwell = 2 * np.arctan(edge / np.sqrt(mu)) / np.sqrt(mu) / DT
    assert ghost["dwell"] == pytest.approx(dwell, rel=0.1)


def test_before_the_fold_the_trajectory_rests_on_a_fixed_point_and_no_slow_region_is_reported():
    mu = -0.01
    h = _trajectory(mu, steps=400)
    assert abs(h[0, -1, 0] + 0.1) < 1e-3  # resting on the stable root −√−μ
    regions = slow_regions(FunctionMap(fn=_fn), np.full((1, 1), mu, np.float32), h, q_threshold=1e-5,
                           fp_radius=0.05)
    assert regions.empty and list(regions.columns) == list(SLOW_REGION_COLUMNS)


def test_bad_settings_name_the_value():
    with pytest.raises(ValueError, match="q_threshold and fp_radius must be > 0, got 0"):
        slow_regions(FunctionMap(fn=_fn), np.zeros((1, 1)), np.zeros((1, 3, 2)), q_threshold=0, fp_radius=1.0)


def test_solver_curves_record_q_per_iteration_down_to_the_verified_root():
    from motorlab.analysis.fixed_points import find_fixed_points
    from motorlab.analysis.fixed_points._curves import solver_curves

    cell = FunctionMap(fn=_fn)
    u = np.full((3, 1), -0.01, np.float32)
    starts = np.array([[-0.5, 0.2], [-0.05, -0.1], [0.5, 0.3]], np.float32)
    curves = solver_curves(cell, u, starts, max_steps=50)
    assert set(curves["start"]) == {0, 1, 2} and set(curves["status"]) == {"fixed_point"}
    for j, c in curves.groupby("start"):
        assert c["iteration"].tolist() == list(range(c["steps"].iloc[0] + 1))
        assert c["q"].iloc[-1] < 1e-10 < c["q"].iloc[0]  # from the start's q down to the root (float32)
        assert (np.diff(c["q"]) <= 1e-12).all()  # the trust region accepts only decreasing steps
    # the same outcome as the finder's solver from the same starts
    fps = find_fixed_points(cell, u[:1], starts, key=__import__("jax").random.PRNGKey(0), noise_scales=(),
                            deflation=False, eigenvalues=False)
    assert (fps.start_steps[0] == curves.groupby("start")["steps"].first().to_numpy()).all()
