"""The verified fixed-point finder on GRUs whose fixed points are known analytically."""

import contextlib

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from motorlab.sim import FunctionMap
from gru_examples import (C_FOLD, H, P_FOLD, block_cell, block_fixed_points, fold_cell,
                          random_cell, scalar_roots)
from shape_checking import unchecked
from motorlab.analysis.fixed_points import (
    DIVERGED,
    FIXED_POINT,
    SLOW_POINT,
    UNCONVERGED,
    default_tolerances,
    find_fixed_points,
    make_starts,
)


@pytest.fixture(params=["float32", "float64"])
def dtype(request):
    """Run the test in float32, or in float64 with x64 switched on only inside the test."""
    ctx = jax.enable_x64(True) if request.param == "float64" else contextlib.nullcontext()
    with ctx:
        yield jnp.dtype(request.param)


def _settled_states(cell, key, n=64, steps=30):
    """Hidden states of the cell run from random states (as an evaluation would give)."""
    h0 = jr.uniform(key, (n, cell.hidden_size), minval=-1, maxval=1,
                    dtype=cell.dtype)
    u = jnp.zeros(cell.input_size, cell.dtype)

    def run(h):
        return jax.lax.scan(lambda x, _: (cell.step(u, x), x), h, None, length=steps)[1]

    return np.asarray(jax.vmap(run)(h0))  # (n, steps, H)


def test_zero_input_and_biases_gives_origin_with_known_jacobian(dtype, getkey):
    cell = random_cell(dtype, size=H, n_inputs=2)
    cell = eqx.tree_at(lambda c: (c.cell.bias, c.cell.bias_n), cell,
                       (jnp.zeros_like(cell.cell.bias), jnp.zeros_like(cell.cell.bias_n)))
    fps = find_fixed_points(cell, np.zeros((1, 2), dtype), key=getkey(), n_box=32)
    assert fps.n_fixed.tolist() == [1]
    assert fps.status[0, 0] == FIXED_POINT and fps.support[0, 0] == 32
    np.testing.assert_allclose(fps.points[0, 0], 0.0, atol=10 * np.finfo(dtype).eps)
    w_hn = np.asarray(cell.cell.weight_hh[2 * H:], dtype=np.float64)
    expected = np.linalg.eigvals(0.5 * np.eye(H) + 0.25 * w_hn)
    got = fps.eigenvalues[0, 0]
    np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(expected),
                               atol=100 * np.finfo(dtype).eps)
    assert fps.n_unstable[0, 0] == 0 and fps.stable[0, 0]


def test_rank2_network_has_nine_fixed_points_five_saddles(dtype, getkey):
    cell = block_cell(dtype)
    states = _settled_states(cell, getkey())
    fps = find_fixed_points(cell, np.zeros((1, 2), dtype), key=getkey(), states=states,
                            stride=4, noise_scales=(0.05, 0.3), n_box=128)
    expected, n_unstable = block_fixed_points()
    assert fps.n_fixed.tolist() == [9]
    assert fps.points.dtype == dtype
    found = fps.points[0, :9].astype(np.float64)
    dist = np.max(np.abs(found[:, None] - expected[None]), axis=-1)
    match = np.argmin(dist, axis=1)
    assert sorted(match.tolist()) == list(range(9)), "each analytic fixed point found once"
    tol = 50 * np.finfo(dtype).eps
    assert np.all(dist[np.arange(9), match] < tol)
    np.testing.assert_array_equal(fps.n_unstable[0, :9], n_unstable[match])
    assert np.sum(fps.n_unstable[0, :9] > 0) == 5
    # spectrum: ½ + a(1 − p²)/4 on the two half-indicator directions, ½ on the rest
    for m, k in enumerate(match):
        halves = expected[k, [0, -1]]
        want = np.sort(np.r_[0.5 + 3.0 * (1 - halves**2) / 4, np.full(H - 2, 0.5)])
        np.testing.assert_allclose(np.sort(fps.eigenvalues[0, m].real), want, atol=1e3 * tol)
    # every start is accounted for
    assert np.all(np.isin(fps.start_status, [FIXED_POINT, SLOW_POINT, UNCONVERGED, DIVERGED]))
    assert fps.support[0, :9].sum() == np.sum(fps.start_status == FIXED_POINT)


def test_ghost_past_saddle_node_is_a_slow_point_not_a_fixed_point(dtype, getkey):
    cell = fold_cell(C_FOLD + 4e-4, dtype)
    near_ghost = P_FOLD + np.linspace(-0.05, 0.05, 8)[:, None] * np.ones((1, H))
    fps = find_fixed_points(cell, np.zeros((1, 2), dtype), near_ghost.astype(dtype),
                            key=getkey(), n_box=56)
    (root,) = scalar_roots(C_FOLD + 4e-4)
    fixed = fps.points[0][fps.status[0] == FIXED_POINT]
    assert len(fixed) == 1
    np.testing.assert_allclose(fixed[0], root, atol=1e-5)
    slow = fps.status[0] == SLOW_POINT
    assert slow.sum() == 1, "the ghost is reported once, as a slow point"
    ghost_q = fps.q[0][slow][0]
    assert 1e-9 < ghost_q < 1e-6, "a q < 1e-6 criterion alone would have accepted it"
    np.testing.assert_allclose(fps.points[0][slow][0], P_FOLD, atol=0.02)
    assert not np.any(np.abs(fps.finals[0][fps.start_status[0] == FIXED_POINT] - P_FOLD) < 0.1)


def test_close_fixed_points_before_a_fold_stay_apart(dtype, getkey):
    # choose c so that the two negative roots are 0.02 apart (Euclidean, over H units)
    half_gap = 0.01 / np.sqrt(H)
    c = float(np.arctanh(P_FOLD + half_gap) - 1.5 * (P_FOLD + half_gap))
    roots = scalar_roots(c)
    assert len(roots) == 3
    cell = fold_cell(c, dtype)
    starts = (P_FOLD + np.linspace(-0.1, 0.1, 24)[:, None] * np.ones((1, H))).astype(dtype)
    fps = find_fixed_points(cell, np.zeros((1, 2), dtype), starts, key=getkey(), n_box=40)
    fixed = np.sort(fps.points[0][fps.status[0] == FIXED_POINT][:, 0].astype(np.float64))
    assert len(fixed) == 3
    np.testing.assert_allclose(fixed, np.sort(roots), atol=2e-4)
    near = fixed[:2]
    assert 0.015 < np.sqrt(H) * (near[1] - near[0]) < 0.025


def test_generic_callable_matches_gru_closed_form(getkey):
    cell = random_cell(jnp.float32, size=6, n_inputs=3, gain=2.0)
    inputs = np.array([[0.3, -0.2, 0.5], [0.0, 0.0, 0.0]], np.float32)
    as_gru = find_fixed_points(cell, inputs, key=jr.PRNGKey(0), n_box=32)
    as_fn = find_fixed_points(FunctionMap(cell.step), inputs, key=jr.PRNGKey(0),
                              starts=as_gru.starts[:, :0], n_box=32, bound=1.0)
    np.testing.assert_array_equal(as_gru.n_fixed, as_fn.n_fixed)
    np.testing.assert_allclose(as_gru.points, as_fn.points, atol=1e-5)
    np.testing.assert_allclose(as_gru.eigenvalues, as_fn.eigenvalues, atol=1e-4)
    for k in range(2):  # and they are roots
        h = as_gru.points[k, 0]
        np.testing.assert_allclose(np.asarray(cell.step(jnp.asarray(inputs[k]), h)), h, atol=1e-5)


def test_no_root_diverges_and_iteration_limit_is_unconverged(getkey):
    drift = FunctionMap(lambda u, h: h + jnp.exp(-h) + 0.0 * u[0])  # q -> 0 only as h -> inf
    fps = find_fixed_points(drift, np.zeros((1, 1), np.float32), np.zeros((4, 3), np.float32),
                            key=getkey(), bound=10.0)
    assert np.all(fps.start_status == DIVERGED)
    assert fps.n_points.tolist() == [0]
    assert np.all(np.isnan(fps.points))
    cell = block_cell(jnp.float32)
    far = np.full((1, H), 0.3, np.float32)
    limited = find_fixed_points(cell, np.zeros((1, 2), np.float32), far, key=getkey(),
                                max_steps=1)
    assert limited.start_status[0, 0] == UNCONVERGED
    assert limited.start_steps[0, 0] == 1


def test_isolated_single_start_point_is_flagged_not_dropped(getkey):
    cell = block_cell(jnp.float32)
    expected, _ = block_fixed_points()
    starts = np.concatenate([np.zeros((6, H)), expected[-1:] + 0.01]).astype(np.float32)
    fps = find_fixed_points(cell, np.zeros((1, 2), np.float32), starts, key=getkey(),
                            deflation=False)  # the Newton pass's own outcome
    assert fps.n_fixed.tolist() == [2]
    assert fps.support[0, :2].tolist() == [6, 1]
    assert fps.outlier[0, :2].tolist() == [False, True]
    np.testing.assert_allclose(fps.points[0, 1], expected[-1], atol=1e-5)


def test_per_input_starts_states_and_adam_warmup(getkey):
    cell = fold_cell(C_FOLD - 0.1, jnp.float32)
    inputs = np.array([[0.0, 0.0], [0.3, 0.0]], np.float32)  # second: past the fold
    states = [np.full((10, H), v, np.float32) for v in (-0.5, 0.9)]
    fps = find_fixed_points(cell, inputs, key=getkey(), states=states, stride=5,
                            noise_scales=(0.01,), adam_steps=20, adam_lr=0.01)
    assert fps.starts.shape == (2, 4, H)
    assert fps.n_fixed[1] == 1  # past the fold: one root left
    for k, c in enumerate([C_FOLD - 0.1, C_FOLD + 0.2]):
        roots = scalar_roots(c)
        target = roots[np.argmin(np.abs(roots - states[k][0, 0]))]
        found = fps.points[k][fps.status[k] == FIXED_POINT]
        assert np.min(np.max(np.abs(found - target), axis=1)) < 1e-5


def test_make_starts_layout_and_validation(getkey):
    states = np.arange(40 * 3, dtype=np.float32).reshape(2, 20, 3)
    starts = make_starts(states, key=getkey(), stride=8, noise_scales=(0.0, 1.0), n_box=5,
                         box=(-2.0, 2.0))
    assert starts.shape == (20, 3)
    np.testing.assert_array_equal(starts[:5], states.reshape(-1, 3)[::8])
    np.testing.assert_array_equal(starts[5:10], starts[:5])  # noise scale 0
    assert not np.allclose(starts[10:15], starts[:5])
    assert np.all(np.abs(starts[15:]) <= 2.0)
    with pytest.raises(ValueError, match="stride"):
        make_starts(states, key=getkey(), stride=0)
    with pytest.raises(ValueError, match="noise_scales"):
        make_starts(states, key=getkey(), noise_scales=(-1.0,))
    cell = block_cell(jnp.float32)
    with pytest.raises(ValueError, match="inputs must have shape"), unchecked("tests the library's own error for a shape its annotation excludes"):
        find_fixed_points(cell, np.zeros(2, np.float32), key=getkey(), n_box=4)
    with pytest.raises(ValueError, match="cell expects 2"):
        find_fixed_points(cell, np.zeros((1, 3), np.float32), key=getkey(), n_box=4)
    with pytest.raises(ValueError, match="no starts"):
        find_fixed_points(cell, np.zeros((1, 2), np.float32), key=getkey())
    with pytest.raises(ValueError, match="starts must have shape"):
        find_fixed_points(cell, np.zeros((1, 2), np.float32), np.zeros((3, 5)), key=getkey())


def test_tolerances_follow_precision():
    t32, t64 = default_tolerances(jnp.float32), default_tolerances(jnp.float64)
    assert t32.residual == pytest.approx(64 * 2.0**-23)
    assert t64.residual == pytest.approx(64 * 2.0**-52)
    assert t64.unique < 1e-7 < t32.unique < 1e-3


def test_solver_compiles_once_per_shape(trace_counter, getkey):
    import motorlab.analysis.fixed_points._solve as fp_solve  # monkeypatch target, where _solve is looked up

    n_traces = trace_counter(fp_solve, "_solve")
    inputs = np.zeros((2, 2), np.float32)
    for gain in (1.0, 1.5, 2.0):  # new weights and starts, same shapes and types
        cell = random_cell(jnp.float32, size=5, n_inputs=2, gain=gain)
        # the Newton pass alone: deflation solves the deflated map, a second compiled solver
        fps = find_fixed_points(cell, inputs, key=getkey(), n_box=12, deflation=False)
        assert np.all(fps.n_fixed >= 1)
    assert n_traces() == 1


def test_gru_box_starts_pinned_on_the_boundary_are_not_diverged(getkey):
    # gain 3: some uniform box starts run into |h_i| = 1 and stay there for a while. Every
    # fixed point of a GRU lies strictly inside (−1, 1)^H, so those starts have not run away.
    cell = random_cell(jnp.float32, size=32, n_inputs=3, key=jr.PRNGKey(1), gain=3.0)
    inputs = np.zeros((1, 3), np.float32)
    default = find_fixed_points(cell, inputs, key=jr.PRNGKey(0), n_box=128)
    as_runaway = find_fixed_points(cell, inputs, key=jr.PRNGKey(0), n_box=128,
                                   bound_holds_roots=False)
    assert np.sum(as_runaway.start_status == DIVERGED) > 0  # pinned for 5 iterations
    assert not np.any(default.start_status == DIVERGED)
    assert set(np.unique(default.start_status)) <= {FIXED_POINT, SLOW_POINT, UNCONVERGED}
    # they keep iterating, and some of them still reach the fixed point
    assert np.sum(default.start_status == FIXED_POINT) > np.sum(
        as_runaway.start_status == FIXED_POINT)
    # a non-finite residual is a runaway even in a box that holds every root
    log_map = FunctionMap(lambda u, h: jnp.log(h) + 0.0 * u[0])
    bad = find_fixed_points(log_map, np.zeros((1, 1), np.float32),
                            np.full((2, 3), -0.5, np.float32), key=getkey(), bound=1.0,
                            bound_holds_roots=True)
    assert np.all(bad.start_status == DIVERGED)


def test_stationary_point_when_steps_run_out_is_a_slow_point(getkey):
    # the ghost past the saddle-node: found first, then restarted with one iteration only
    cell = fold_cell(C_FOLD + 4e-4, jnp.float32)
    near_ghost = (P_FOLD + np.linspace(-0.05, 0.05, 8)[:, None] * np.ones((1, H)))
    fps = find_fixed_points(cell, np.zeros((1, 2), np.float32), near_ghost.astype(np.float32),
                            key=getkey(), noise_scales=())
    ghost = fps.points[0][fps.status[0] == SLOW_POINT][:1]
    assert len(ghost) == 1
    again = find_fixed_points(cell, np.zeros((1, 2), np.float32), ghost, key=getkey(),
                              max_steps=1, deflation=False)  # the start's own outcome
    assert again.start_steps[0, 0] == 1  # ran out of steps, not stalled
    assert again.start_status[0, 0] == SLOW_POINT
    assert again.status[0, 0] == SLOW_POINT and again.n_fixed.tolist() == [0]
