"""Every SPEC §2.1 measure on hand-built trajectories with known answers."""

import numpy as np
import pandas as pd
import pytest

from motorlab.analysis import AlignedTrials, aligned_trials
from motorlab.analysis import (
    MEASURES,
    Measure,
    compute_measures,
    impulse_measures,
    initial_force_direction_measure,
    measure_values,
    output_correlation,
)
from shape_checking import unchecked
from synthetic_states import states_table


# One reach straight up (+y) from (0.1, 0.2) to (0.1, 0.7): reach length 0.5. The profiles below
# are written in the aligned frame (forward, left) and rotated into the world frame.
POS = np.array(
    [[0, 0], [0.1, 0.02], [0.2, -0.04], [0.3, 0.1], [0.4, 0.07]] + [[0.5, 0.05]] * 10
)
VEL = np.array([[0, 0], [1, 0.2], [2, -0.5], [1, 0.1], [-0.5, 0]] + [[0.3, -0.4]] * 10)
FORCE = np.array(
    [[0, 0], [1, 0.5], [2, -1], [0.5, 0], [-3, 1]] + [[0, 0]] * 10, dtype=np.float64
)
START, GOAL = np.array([0.1, 0.2]), np.array([0.1, 0.7])
LEFT_OF_UP = np.array([[0.0, -1.0], [1.0, 0.0]])  # columns: forward = +y, left = −x


def to_world(aligned_vectors):
    return aligned_vectors @ LEFT_OF_UP.T


@pytest.fixture(scope="module")
def reach():
    df = states_table(
        (START + to_world(POS))[None], to_world(VEL)[None], to_world(FORCE)[None], START, GOAL
    )
    return df, aligned_trials(df)[0]


def value(reach, name):
    return float(MEASURES[name](reach[1])[0])


EXPECTED = {
    "max_net_force": np.sqrt(10),
    "sum_net_force": np.hypot(1, 0.5) + np.hypot(2, 1) + 0.5 + np.sqrt(10),
    "max_parallel_force_forward": 2.0,
    "max_parallel_force_reverse": 3.0,
    "sum_parallel_force": 6.5,
    "max_orthogonal_force_left": 1.0,
    "max_orthogonal_force_right": 1.0,
    "sum_orthogonal_force_abs": 2.5,
    "sum_orthogonal_force": 0.5,
    "max_parallel_vel_forward": 2.0,
    "max_parallel_vel_reverse": 0.5,
    "max_orthogonal_vel_left": 0.2,
    "max_orthogonal_vel_right": 0.5,
    "max_orthogonal_vel_signed": -0.5,
    "max_orthogonal_distance_left": 20.0,  # 0.1 of a 0.5 reach
    "max_orthogonal_distance_right": 8.0,
    "largest_orthogonal_distance": 20.0,
    "sum_orthogonal_distance": 0.02 - 0.04 + 0.1 + 0.07 + 10 * 0.05,
    "sum_orthogonal_distance_abs": 0.02 + 0.04 + 0.1 + 0.07 + 10 * 0.05,
    "max_deviation": np.hypot(0.5, 0.05),
    "sum_deviation": float(np.sum(np.hypot(POS[:, 0], POS[:, 1]))),
    "end_position_error": 10.0,  # 0.05 off the goal in the last 10 steps, of a 0.5 reach
    "end_velocity_error": 0.5,  # speed ‖(0.3, −0.4)‖ over the last 10 steps
    "max_net_force_direction": np.arctan2(1, -3),  # back-and-left at t = 4
    "initial_force_direction": np.arctan2(1, -3),  # within forces 1–10 the largest is at t = 4 too
}


def test_every_registered_measure_has_a_known_answer():
    assert set(EXPECTED) == set(MEASURES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_measure_on_hand_built_reach(reach, name):
    assert value(reach, name) == pytest.approx(EXPECTED[name], abs=2e-6)


def test_initial_force_direction_uses_only_the_first_forces(reach):
    # First 3 forces (t = 1, 2, 3): the largest is (2, −1) at t = 2, forward and to the right.
    assert initial_force_direction_measure(3)(reach[1])[0] == pytest.approx(np.arctan2(-1, 2))
    assert initial_force_direction_measure(1)(reach[1])[0] == pytest.approx(np.arctan2(0.5, 1))
    with pytest.raises(ValueError, match="n_steps=0"):
        initial_force_direction_measure(0)


def aligned_from(force=None, pos=None, length=0.5):
    if force is None:  # zero force over the trial's steps
        force = np.zeros((1, 3, 2)) if pos is None else np.zeros(np.shape(pos))
    force = np.asarray(force, dtype=np.float64)
    pos = np.asarray(pos if pos is not None else np.zeros_like(force), dtype=np.float64)
    goal = np.array([length, 0.0])
    return AlignedTrials(
        pos=pos, vel=np.zeros_like(pos), force=force, pos_error=pos - goal,
        direction=np.tile([1.0, 0.0], (pos.shape[0], 1)),
        reach_length=np.full(pos.shape[0], length),
    )


def test_direction_is_in_half_open_interval_and_nan_without_force():
    force = np.array([
        [[0, 0], [-1.0, -0.0], [0, 0]],
        [[0, 0], [0, 0], [0, 0]],
        [[0, 0], [0, 2.0], [0, 1]],
    ])
    angles = MEASURES["max_net_force_direction"](aligned_from(force))
    assert angles[0] == np.pi  # straight back is +π, never −π
    assert np.isnan(angles[1])
    assert angles[2] == pytest.approx(np.pi / 2)  # straight left


def test_percent_measures_scale_with_reach_length():
    pos = np.array([[[0, 0], [0.1, 0.05], [0.2, 0.0]]])
    short, long = aligned_from(pos=pos, length=0.25), aligned_from(pos=pos, length=1.0)
    left = MEASURES["max_orthogonal_distance_left"]
    assert left(short)[0] == pytest.approx(20.0) and left(long)[0] == pytest.approx(5.0)


def test_steady_state_trial_gives_nan_percent_and_distance_from_start():
    pos = np.array([[[0.3, 0.4], [0.3, 0.7], [0.3, 0.4]]])  # hold at (0.3, 0.4), drift 0.3 up
    df = states_table(pos, np.zeros_like(pos), np.zeros_like(pos), [0.3, 0.4], [0.3, 0.4], 0.0)
    table = compute_measures(df).set_index("measure")["value"]
    percent = ("max_orthogonal_distance_left", "largest_orthogonal_distance", "end_position_error")
    for name in percent:
        assert np.isnan(table[name])
    assert table["max_deviation"] == pytest.approx(0.3, abs=1e-6)
    assert table["sum_deviation"] == pytest.approx(0.3, abs=1e-6)
    assert table["max_orthogonal_vel_left"] == 0.0


def test_signed_flags_match_the_sign_conventions():
    signed = {name for name, m in MEASURES.items() if m.signed}
    assert signed == {
        "sum_orthogonal_force", "max_orthogonal_vel_signed", "largest_orthogonal_distance",
        "sum_orthogonal_distance", "max_net_force_direction", "initial_force_direction",
    }
    assert MEASURES["largest_orthogonal_distance"].label == (
        "Largest lateral distance (signed, % reach length)"
    )
    assert MEASURES["max_orthogonal_distance_left"].units == "% reach length"


def test_signed_vs_absolute_lateral_sums_on_a_symmetric_path():
    # Left then equally right: the signed sum cancels, the absolute sum does not.
    pos = np.array([[[0, 0], [0.1, 0.1], [0.2, -0.1], [0.3, 0.0]]])
    aligned = aligned_from(pos=pos)
    values = measure_values(
        aligned,
        {n: MEASURES[n] for n in ("sum_orthogonal_distance", "sum_orthogonal_distance_abs")},
    )
    assert values["sum_orthogonal_distance"][0] == pytest.approx(0.0)
    assert values["sum_orthogonal_distance_abs"][0] == pytest.approx(0.2)


def test_last_ten_steps_ignore_earlier_errors():
    pos = np.zeros((1, 30, 2))
    pos[0, :20] = [9.0, 9.0]  # far off before the last 10 steps: must not count
    pos[0, 20:] = [0.5, -0.1]
    error = MEASURES["end_position_error"](aligned_from(pos=pos))[0]
    assert error == pytest.approx(20.0)


def test_compute_measures_long_format(reach):
    df, _ = reach
    two = pd.concat(
        [df.assign(train_std=0.0), df.assign(train_std=1.5, eval=np.int16(1))], ignore_index=True
    )
    table = compute_measures(two, ["max_net_force", "end_position_error"])
    assert len(table) == 2 * 2
    for column in ("eval", "replicate", "included", "condition", "pert_type", "pert_amp", "sisu",
                   "centre", "direction", "train_std", "measure", "value"):
        assert column in table.columns
    for column in ("t", "pos_x", "start_x", "goal_y", "reach_angle"):
        assert column not in table.columns
    assert list(table["measure"]) == ["max_net_force"] * 2 + ["end_position_error"] * 2
    assert table["value"].dtype == np.float64
    np.testing.assert_allclose(table["value"], [np.sqrt(10)] * 2 + [10.0] * 2, rtol=1e-5)
    assert len(compute_measures(df)) == len(MEASURES)
    with pytest.raises(ValueError, match="unknown measures \\['speed'\\]"):
        compute_measures(df, ["speed"])


def test_impulse_window_measures(reach):
    df, aligned = reach
    windows = impulse_measures(start=1, duration=2, after=2)
    values = measure_values(aligned, windows)
    assert values["max_net_force_during_impulse"][0] == pytest.approx(np.hypot(2, 1))
    assert values["max_net_force_after_impulse"][0] == pytest.approx(np.sqrt(10))
    assert values["max_parallel_force_forward_after_impulse"][0] == pytest.approx(0.5)
    table = compute_measures(df, ["max_net_force_after_impulse"], measures=MEASURES | windows)
    assert table["value"].iloc[0] == pytest.approx(np.sqrt(10), rel=1e-6)
    with pytest.raises(ValueError, match="duration=0"):
        impulse_measures(1, 0, 2)


@pytest.mark.no_shape_check(reason="checks the library's own ValueError for a value its annotation already excludes")
def test_measure_definitions_are_validated():
    with pytest.raises(ValueError, match="aggregate='median'"):
        Measure("x", "pos", "median", "norm")
    with pytest.raises(ValueError, match="component=None"):
        Measure("x", "pos", "max")
    with pytest.raises(ValueError, match="takes the whole vector"):
        Measure("x", "force", "direction_at_max", "norm")
    empty = Measure("x", "pos", "max", "norm", time=(50, None))
    with pytest.raises(ValueError, match="selects no steps"):
        empty(aligned_from())


def test_output_correlation_known_values():
    t = np.linspace(0, 1, 20)
    activity = np.zeros((3, 20, 3))
    activity[0, :, 0] = np.sin(6 * t)  # along the readout row: fully expressed
    activity[1, :, 1] = np.sin(6 * t)  # in the null space of W
    activity[2] = 4.0  # constant: no variation to correlate
    w = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    corr = output_correlation(activity + 7.0, w)  # an offset must not matter (centred in time)
    np.testing.assert_allclose(corr[:2], [1.0, 0.0], atol=1e-12)
    assert np.isnan(corr[2])
    # Equal-norm orthogonal readout rows spanning the activity: 1/√2.
    identity = output_correlation(np.random.default_rng(0).normal(size=(4, 10, 2)), np.eye(2))
    np.testing.assert_allclose(identity, np.full(4, 1 / np.sqrt(2)))


def test_output_correlation_broadcasts_per_replicate_readouts():
    rng = np.random.default_rng(2)
    hidden = rng.normal(size=(2, 3, 4, 6, 5))  # eval, replicate, condition, time, hidden
    readout = rng.normal(size=(3, 2, 5))
    corr = output_correlation(hidden, readout[:, None])
    assert corr.shape == (2, 3, 4)
    assert np.all((corr > 0) & (corr <= 1))
    single = output_correlation(hidden[1, 2, 3][None], readout[2])
    assert corr[1, 2, 3] == pytest.approx(single[0])
    with pytest.raises(ValueError, match="same H"), unchecked("tests the library's own error for a shape its annotation excludes"):
        output_correlation(hidden, np.zeros((2, 4)))


def test_measures_table_merges_the_stored_output_correlation(reach, tmp_path):
    from motorlab.analysis._plant_perts import measures_table

    df, _ = reach
    two = pd.concat([df, df.assign(condition=np.int32(1), direction=np.int16(1))], ignore_index=True)
    two["output_correlation"] = np.repeat(np.float32([0.25, 0.75]), len(df))
    table = measures_table(two, ["max_net_force", "output_correlation"])
    assert list(table["measure"]) == ["max_net_force"] * 2 + ["output_correlation"] * 2
    corr = table[table["measure"] == "output_correlation"]
    assert list(corr["condition"]) == [0, 1]
    np.testing.assert_allclose(corr["value"], [0.25, 0.75])
    assert table["value"].dtype == np.float64 and "t" not in table.columns

    assert set(measures_table(two, ["output_correlation"])["measure"]) == {"output_correlation"}
    assert set(measures_table(two, ["max_net_force"])["measure"]) == {"max_net_force"}
    assert set(measures_table(two)["measure"]) == set(MEASURES) | {"output_correlation"}
    with pytest.raises(ValueError, match="unknown measures \\['speed'\\]"):
        measures_table(two, ["speed", "output_correlation"])

    # a states table without the evaluation-time column
    assert set(measures_table(df)["measure"]) == set(MEASURES)
    with pytest.raises(ValueError, match="no 'output_correlation' column"):
        measures_table(df, ["output_correlation"])


def test_output_correlation_runs_in_jax_and_matches_the_evaluation():
    """The same function serves the jitted evaluation (hidden states stay on the device)."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(3)
    hidden = rng.normal(size=(3, 5, 8, 6)).astype(np.float32)  # replicate, trial, time, hidden
    readout = rng.normal(size=(3, 2, 6)).astype(np.float32)
    expected = output_correlation(hidden, readout[:, None])
    assert expected.dtype == np.float64

    per_replicate = jax.jit(jax.vmap(output_correlation))(jnp.asarray(hidden), jnp.asarray(readout))
    assert isinstance(per_replicate, jax.Array) and per_replicate.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(per_replicate), expected, rtol=1e-5)
    constant = output_correlation(jnp.ones((1, 4, 6)), jnp.asarray(readout[0]))
    assert bool(jnp.isnan(constant[0]))


def backward_start_states(offsets):
    """Reaches east whose largest early force (t = 2) points backwards at angle π + offset
    (negative offsets turn it left: stored near +π; positive ones right: stored near −π); the
    largest force of the whole trial (t = 12) is forward."""
    n, steps = len(offsets), 15
    force = np.zeros((n, steps, 2))
    angles = np.pi + np.asarray(offsets)
    force[:, 1] = 0.2 * np.stack([-np.ones(n), np.zeros(n)], -1)
    force[:, 2] = np.stack([np.cos(angles), np.sin(angles)], -1)
    force[:, 12] = [3.0, 0.0]  # the whole-trial maximum, forward, after the first 10 forces
    pos = np.zeros((n, steps, 2))
    return states_table(pos, pos, force, [0.0, 0.0], [0.5, 0.0])


def test_initial_force_direction_near_pi_and_its_unwrapping():
    from motorlab.analysis import circular_mean, unwrap_angles, wrap_angle

    offsets = np.array([-0.1, -0.05, 0.05, 0.1])
    aligned, _ = aligned_trials(backward_start_states(offsets))
    raw = MEASURES["initial_force_direction"](aligned)
    # stored in (−π, π]: the distribution is split between +π and −π
    np.testing.assert_allclose(raw, [np.pi - 0.1, np.pi - 0.05, -np.pi + 0.05, -np.pi + 0.1], atol=1e-6)
    np.testing.assert_allclose(MEASURES["max_net_force_direction"](aligned), 0.0, atol=1e-12)
    assert MEASURES["initial_force_direction"].circular and not MEASURES["max_net_force"].circular
    # the naive mean of the split distribution is meaningless; the circular mean is π
    assert abs(np.mean(raw)) < 0.1
    assert abs(wrap_angle(circular_mean(raw) - np.pi)) < 1e-6
    unwrapped = unwrap_angles(raw, circular_mean(raw))
    np.testing.assert_allclose(unwrapped, np.pi + offsets, atol=1e-6)
    assert np.ptp(unwrapped) == pytest.approx(0.2, abs=1e-6)
    np.testing.assert_allclose(wrap_angle(unwrapped), raw, atol=1e-9)  # same directions
    np.testing.assert_allclose(wrap_angle([np.pi, -np.pi, 3 * np.pi, 0.5]), [np.pi, np.pi, np.pi, 0.5])
    assert np.isnan(circular_mean([0.0, np.pi])) and np.isnan(circular_mean([np.nan]))
    np.testing.assert_array_equal(unwrap_angles(raw, np.nan), raw)
