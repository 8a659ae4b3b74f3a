"""Reach-aligned variables: projection conventions and states-table → array conversion."""

import numpy as np
import pandas as pd
import pytest

from motorlab.analysis import align, aligned_trials, project, reach_direction, trial_arrays

from synthetic_states import states_table


def test_reach_direction_uses_goal_and_falls_back_to_angle():
    start = np.array([[0.0, 0.0], [1.0, 1.0]])
    goal = np.array([[0.0, 0.5], [1.0, 1.0]])
    direction, length = reach_direction(start, goal, np.array([0.0, np.pi]))
    np.testing.assert_allclose(direction, [[0.0, 1.0], [-1.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(length, [0.5, 0.0])


def test_project_parallel_and_left_positive():
    direction = np.array([[0.0, 1.0]])  # reach straight up
    vectors = np.array([[[0.0, 2.0], [-1.0, 0.0], [1.0, 0.0]]])
    # (0, 2): forward 2; (−1, 0) is to the left of an upward reach; (1, 0) to the right.
    np.testing.assert_allclose(
        project(vectors, direction)[0], [[2.0, 0.0], [0.0, 1.0], [0.0, -1.0]], atol=1e-12
    )


@pytest.mark.parametrize("angle", [0.0, 0.7, np.pi / 2, 2.5, -2.0])
def test_rotated_reaches_align_to_the_same_trajectory(angle):
    """A reach drawn in the aligned frame, rotated to any angle, aligns back onto itself."""
    steps = 5
    local = np.stack([np.linspace(0, 0.5, steps), 0.1 * np.sin(np.linspace(0, np.pi, steps))], -1)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    start = np.array([0.3, -0.2])
    world = start + local @ rot.T
    goal = start + rot @ np.array([0.5, 0.0])
    df = states_table(world[None], (local @ rot.T)[None], (2 * local @ rot.T)[None], start, goal)
    aligned, conditions = aligned_trials(df)
    np.testing.assert_allclose(aligned.pos[0], local, atol=1e-6)
    np.testing.assert_allclose(aligned.vel[0], local, atol=1e-6)
    np.testing.assert_allclose(aligned.force[0], 2 * local, atol=1e-6)
    np.testing.assert_allclose(aligned.pos_error[0], local - [0.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(aligned.reach_length, [0.5], atol=1e-6)
    assert len(conditions) == 1 and "t" not in conditions and "pos_x" not in conditions


def test_trial_arrays_shapes_and_condition_order():
    rng = np.random.default_rng(0)
    pos = rng.normal(size=(3, 4, 2))
    df = states_table(pos, pos, pos, [0.0, 0.0], [[0.5, 0.0], [0.0, 0.5], [-0.5, 0.0]])
    arrays, conditions = trial_arrays(df)
    assert arrays.pos.shape == (3, 4, 2) and arrays.start.shape == (3, 2)
    assert arrays.n_trials == 3 and arrays.n_steps == 4
    np.testing.assert_allclose(arrays.pos, pos.astype(np.float32))
    assert list(conditions["condition"]) == [0, 1, 2]


def test_shuffled_rows_are_sorted_back_into_trials():
    rng = np.random.default_rng(1)
    pos = rng.normal(size=(3, 6, 2))
    df = states_table(pos, pos, pos, [0.0, 0.0], [0.5, 0.0])
    shuffled = df.sample(frac=1.0, random_state=3)
    arrays, conditions = trial_arrays(shuffled)
    np.testing.assert_allclose(arrays.pos, pos.astype(np.float32))
    assert list(conditions["condition"]) == [0, 1, 2]


def test_extra_model_column_separates_trials():
    pos = np.zeros((2, 3, 2))
    a = states_table(pos, pos, pos, [0, 0], [0.5, 0], train_std=0.0)
    b = states_table(pos + 1, pos, pos, [0, 0], [0.5, 0], train_std=1.0)
    arrays, conditions = trial_arrays(pd.concat([b, a], ignore_index=True).sample(frac=1.0))
    assert arrays.n_trials == 4
    assert sorted(conditions["train_std"]) == [0.0, 0.0, 1.0, 1.0]
    for i, std in enumerate(conditions["train_std"]):
        assert arrays.pos[i, 0, 0] == (1.0 if std == 1.0 else 0.0)


def test_ragged_or_inconsistent_tables_are_rejected():
    pos = np.zeros((2, 3, 2))
    df = states_table(pos, pos, pos, [0, 0], [0.5, 0])
    with pytest.raises(ValueError, match="time steps"):
        trial_arrays(df.iloc[:-1])
    bad = df.copy()
    bad.loc[1, "pert_amp"] = 2.0
    with pytest.raises(ValueError, match="'pert_amp' changes within trial 0"):
        trial_arrays(bad)
    with pytest.raises(ValueError, match="lacks columns"):
        trial_arrays(df.drop(columns=["goal_x"]))


def test_steady_state_trials_use_reach_angle_and_zero_length():
    pos = np.array([[[0.2, 0.1], [0.2, 0.2]]])
    df = states_table(pos, pos, pos, [0.2, 0.1], [0.2, 0.1], reach_angle=np.pi / 2)
    aligned, _ = aligned_trials(df)
    assert aligned.reach_length[0] == 0.0
    np.testing.assert_allclose(aligned.direction[0], [0.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(aligned.pos[0, 1], [0.1, 0.0], atol=1e-6)


def test_align_keeps_float64_and_validates_variable_names():
    pos = np.ones((1, 2, 2))
    arrays, _ = trial_arrays(states_table(pos, pos, pos, [0, 0], [0.5, 0]))
    aligned = align(arrays)
    assert aligned.pos.dtype == np.float64
    with pytest.raises(ValueError, match="unknown aligned variable 'speed'"):
        aligned.variable("speed")
