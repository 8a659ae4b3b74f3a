"""Tangling Q(t) = max_t' ‖ẋ_t − ẋ_t'‖² / (‖x_t − x_t'‖² + ε) against a hand-computed case."""

import numpy as np
import pandas as pd
import pytest

from motorlab.analysis import finite_difference_flow, point_tangling, tangling, tangling_table

from synthetic_states import states_table


def circle(n_points, radius, turns=1.0):
    """Points θ_k = 2π·turns·k/N, k = 0 … N, of a circle of the given radius, shape (N+1, 2)."""
    theta = 2 * np.pi * turns * np.arange(n_points + 1) / n_points
    return radius * np.stack([np.cos(theta), np.sin(theta)], -1)


def circle_tangling(n_points, radius, dt, eps=1e-6):
    """Tangling of a circle traversed at constant speed, N points per turn (N even).

    With Δ = 2π/N, x_{k+1} = R_Δ x_k, so the forward-difference flow is ẋ_k = (R_Δ − I) x_k / dt,
    and R_Δ − I = 2 sin(Δ/2) · (a rotation). Hence for any two points
        ‖ẋ_i − ẋ_j‖ = c ‖x_i − x_j‖,   c = 2 sin(π/N) / dt,
    and the ratio c² d² / (d² + ε) grows with the distance d = ‖x_i − x_j‖. Its maximum over j is
    at the antipodal point (present for even N), d = 2r, so every point has the same tangling
        Q = c² · 4r² / (4r² + ε),
    which tends to ω² = (2π / (N dt))² (the squared angular speed) as N → ∞.
    """
    c = 2 * np.sin(np.pi / n_points) / dt
    return c**2 * 4 * radius**2 / (4 * radius**2 + eps)


def test_flow_is_the_forward_difference():
    x = np.arange(12, dtype=float).reshape(1, 4, 3) ** 2
    states, flows = finite_difference_flow(x, 0.5)
    assert states.shape == flows.shape == (1, 3, 3)
    np.testing.assert_allclose(flows, np.diff(x, axis=1) / 0.5)
    np.testing.assert_array_equal(states, x[:, :-1])


@pytest.mark.parametrize("method", ["direct", "kdtree"])
def test_circle_has_the_hand_computed_tangling(method):
    n, r, dt = 40, 0.3, 0.05
    q = tangling(circle(n, r)[None], dt, method=method, k=n)
    assert q.shape == (1, n)
    np.testing.assert_allclose(q, circle_tangling(n, r, dt), rtol=1e-9)
    # and close to the squared angular speed
    np.testing.assert_allclose(q, (2 * np.pi / (n * dt)) ** 2, rtol=0.01)


def test_epsilon_bounds_tangling_of_repeated_states():
    x = np.zeros((2, 1))
    dx = np.array([[1.0], [-1.0]])
    np.testing.assert_allclose(point_tangling(x, dx, eps=1e-6), [4e6, 4e6])


def test_direct_and_kdtree_agree_when_k_covers_the_set():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=(6, 30, 3)), axis=1)
    direct = tangling(x, 0.1, method="direct", chunk=7)  # chunking does not change the result
    np.testing.assert_allclose(direct, tangling(x, 0.1, method="direct"))
    np.testing.assert_allclose(tangling(x, 0.1, method="kdtree", k=6 * 29), direct, rtol=1e-10)
    partial = tangling(x, 0.1, method="kdtree", k=10)  # a subset of the candidates t'
    assert np.all(partial <= direct * (1 + 1e-12))
    assert np.mean(np.isclose(partial, direct)) > 0.5


@pytest.mark.no_shape_check(reason="checks the library's own ValueError for a value its annotation already excludes")
def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="method='fast'"):
        point_tangling(np.zeros((3, 2)), np.zeros((3, 2)), method="fast")
    with pytest.raises(ValueError, match="dt=0"):
        tangling(np.zeros((1, 3, 2)), 0)


def test_table_pools_conditions_and_separates_replicates():
    """Two halves of one circle are two conditions of one set: each point still sees its
    antipode in the other trial. A second replicate, twice as large and twice as fast (two turns
    in the same time), forms its own set with its own tangling."""
    n, dt = 20, 0.05
    tables = []
    for replicate, radius in enumerate([0.2, 0.4]):
        points = circle(n, radius, turns=1 + replicate)
        halves = np.stack([points[: n // 2 + 1], points[n // 2:]])  # (2 trials, N/2 + 1, 2)
        table = states_table(halves, np.zeros_like(halves), np.zeros_like(halves), [0, 0], [[0.5, 0], [0, 0.5]])
        table["replicate"] = np.int16(replicate)
        tables.append(table)
    states = pd.concat(tables, ignore_index=True)
    out = tangling_table(states, dt, variables=("pos",))
    assert len(out) == 2 * 2 * (n // 2)
    assert list(out.columns[-2:]) == ["t", "tangling"] and "goal_x" not in out.columns
    for replicate, radius in enumerate([0.2, 0.4]):
        q = out.loc[out["replicate"] == replicate, "tangling"].to_numpy()
        np.testing.assert_allclose(q, circle_tangling(n // (1 + replicate), radius, dt), rtol=1e-5)


def test_opposite_flows_through_the_same_states_are_tangled_only_within_a_set():
    """The same circle traversed anticlockwise (condition 0) and clockwise (condition 1): pooled
    into one set, each state meets itself with the opposite flow, Q ≈ ‖2ẋ‖² / ε; in separate
    sets (different replicates, or nothing pooled) each is a plain circle."""
    n, dt, radius = 20, 0.05, 0.3
    forward = circle(n, radius)
    backward = forward[::-1].copy()
    both = np.stack([forward, backward])
    states = states_table(both, np.zeros_like(both), np.zeros_like(both), [0, 0], [[0.5, 0], [0, 0.5]])
    speed2 = (2 * radius * np.sin(np.pi / n) / dt) ** 2
    pooled = tangling_table(states, dt, variables=("pos",))
    assert pooled["tangling"].min() > 0.9 * 4 * speed2 / 1e-6
    separate = tangling_table(states, dt, variables=("pos",), pool=())
    np.testing.assert_allclose(separate["tangling"], circle_tangling(n, radius, dt), rtol=1e-5)
    states.loc[states["condition"] == 1, "replicate"] = np.int16(1)
    by_replicate = tangling_table(states, dt, variables=("pos",))
    np.testing.assert_allclose(by_replicate["tangling"], circle_tangling(n, radius, dt), rtol=1e-5)


def test_table_takes_hidden_states_in_trial_order():
    n, dt = 16, 0.1
    points = circle(n, 1.0)[None]
    states = states_table(points, points, points, [0, 0], [0.5, 0])
    hidden = np.concatenate([points, np.zeros((1, n + 1, 3))], axis=-1)  # a circle in 5-D
    out = tangling_table(states, dt, hidden=hidden)
    np.testing.assert_allclose(out["tangling"], circle_tangling(n, 1.0, dt), rtol=1e-6)
    with pytest.raises(ValueError, match="hidden has shape"):
        tangling_table(states, dt, hidden=hidden[:, :-1])
