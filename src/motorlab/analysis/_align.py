"""Reach-aligned variables from a states table (SPEC §2.1).

A states table (docs/architecture.md, "States table") has one row per eval × replicate × condition ×
time step. Analyses want arrays instead: `trial_arrays` turns the table into numpy arrays shaped
(trials, time, 2) plus a condition table with one row per trial, and `align` projects position,
velocity and control force onto the reach frame:

* parallel component = v · d̂, where d̂ is the unit vector from the start to the goal (or
  (cos reach_angle, sin reach_angle) when start == goal, as in steady-state trials);
* orthogonal component = d̂ × v = d̂_x v_y − d̂_y v_x, positive to the left of the reach.

Position is taken relative to the reach start, so in the aligned frame every reach starts at (0, 0)
and, if it ends on the goal, ends at (reach_length, 0). Everything is vectorised over trials.
"""

from __future__ import annotations

import dataclasses
from typing import Final, final

import numpy as np
import pandas as pd
from jaxtyping import Float


TIME_COLUMN: Final = "t"
STATE_COLUMNS: Final = ("pos_x", "pos_y", "vel_x", "vel_y", "force_x", "force_y")
GEOMETRY_COLUMNS: Final = ("reach_angle", "start_x", "start_y", "goal_x", "goal_y")
TRIAL_KEY_COLUMNS: Final = ("eval", "replicate", "condition")
# Below this reach length (workspace units) a trial counts as steady state: its direction is
# taken from `reach_angle` and its %-of-reach-length measures are undefined.
MIN_REACH_LENGTH: Final = 1e-9


@final
@dataclasses.dataclass(frozen=True)
class TrialArrays:
    """The per-time-step variables of a states table, one row of each array per trial.

    Attributes:
        pos: effector position, world frame, shape (trials, time, 2).
        vel: effector velocity, world frame, shape (trials, time, 2).
        force: efferent control force that produced each state (0 at t = 0), (trials, time, 2).
        start: reach start position, shape (trials, 2).
        goal: reach goal position, shape (trials, 2).
        reach_angle: reach direction in rad, shape (trials,); used when start == goal.
    """

    pos: Float[np.ndarray, "trial time 2"]
    vel: Float[np.ndarray, "trial time 2"]
    force: Float[np.ndarray, "trial time 2"]
    start: Float[np.ndarray, "trial 2"]
    goal: Float[np.ndarray, "trial 2"]
    reach_angle: Float[np.ndarray, " trial"]

    @property
    def n_trials(self) -> int:
        return self.pos.shape[0]

    @property
    def n_steps(self) -> int:
        return self.pos.shape[1]


@final
@dataclasses.dataclass(frozen=True)
class AlignedTrials:
    """Variables in the reach-aligned frame; component 0 = parallel, 1 = orthogonal (left > 0).

    Attributes:
        pos: position relative to the reach start, shape (trials, time, 2).
        vel: velocity, shape (trials, time, 2).
        force: control force, shape (trials, time, 2).
        pos_error: position minus goal (the goal is at (reach_length, 0)), (trials, time, 2).
        direction: unit reach direction d̂ in the world frame, shape (trials, 2).
        reach_length: ‖goal − start‖ in workspace units, shape (trials,); 0 for steady state.
    """

    pos: Float[np.ndarray, "trial time 2"]
    vel: Float[np.ndarray, "trial time 2"]
    force: Float[np.ndarray, "trial time 2"]
    pos_error: Float[np.ndarray, "trial time 2"]
    direction: Float[np.ndarray, "trial 2"]
    reach_length: Float[np.ndarray, " trial"]

    def variable(self, name: str) -> Float[np.ndarray, "trial time 2"]:
        """Return the aligned variable `name` (one of "pos", "vel", "force", "pos_error")."""
        if name not in ("pos", "vel", "force", "pos_error"):
            raise ValueError(
                f"unknown aligned variable {name!r}; expected one of "
                "'pos', 'vel', 'force', 'pos_error'"
            )
        return getattr(self, name)


def reach_direction(
    start: Float[np.ndarray, "*batch 2"],
    goal: Float[np.ndarray, "*batch 2"],
    reach_angle: Float[np.ndarray, " *batch"],
) -> tuple[Float[np.ndarray, "*batch 2"], Float[np.ndarray, " *batch"]]:
    """Unit reach direction and reach length of each trial.

    Arguments:
        start: reach start positions, shape (..., 2).
        goal: goal positions, shape (..., 2).
        reach_angle: reach direction in rad, shape (...); used where start == goal.

    Returns:
        `(direction, length)`: unit vectors (..., 2) from start to goal (or at `reach_angle` for
        zero-length reaches) and the lengths ‖goal − start‖ (...).
    """
    delta = np.asarray(goal, dtype=np.float64) - np.asarray(start, dtype=np.float64)
    length = np.linalg.norm(delta, axis=-1)
    angle = np.asarray(reach_angle, dtype=np.float64)
    fallback = np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    is_reach = length > MIN_REACH_LENGTH
    safe_length = np.where(is_reach, length, 1.0)
    direction = np.where(is_reach[..., None], delta / safe_length[..., None], fallback)
    return direction, np.where(is_reach, length, 0.0)


def project(
    vectors: Float[np.ndarray, "trial *time 2"], direction: Float[np.ndarray, "trial 2"]
) -> Float[np.ndarray, "trial *time 2"]:
    """Project world-frame vectors onto (parallel, orthogonal) components of each trial's d̂.

    Arguments:
        vectors: world-frame vectors, shape (trials, time, 2) or (trials, 2).
        direction: unit reach directions, shape (trials, 2).

    Returns:
        The same shape as `vectors`: [..., 0] = v · d̂, [..., 1] = d̂ × v (positive = left).
    """
    d = direction.reshape(direction.shape[0], *([1] * (vectors.ndim - 2)), 2)
    parallel = vectors[..., 0] * d[..., 0] + vectors[..., 1] * d[..., 1]
    orthogonal = d[..., 0] * vectors[..., 1] - d[..., 1] * vectors[..., 0]
    return np.stack([parallel, orthogonal], axis=-1)


def align(trials: TrialArrays) -> AlignedTrials:
    """Project a batch of trials into the reach-aligned frame (vectorised over trials).

    Arguments:
        trials: world-frame trial arrays, as returned by `trial_arrays`.

    Returns:
        The aligned variables; see `AlignedTrials`.
    """
    direction, length = reach_direction(trials.start, trials.goal, trials.reach_angle)
    pos = project(trials.pos - trials.start[:, None, :], direction)
    goal_aligned = np.stack([length, np.zeros_like(length)], axis=-1)
    return AlignedTrials(
        pos=pos,
        vel=project(trials.vel, direction),
        force=project(trials.force, direction),
        pos_error=pos - goal_aligned[:, None, :],
        direction=direction,
        reach_length=length,
    )


def _is_block_ordered(t: np.ndarray, n_steps: int) -> bool:
    return t.size % n_steps == 0 and bool(
        np.all(t.reshape(-1, n_steps) == np.arange(n_steps, dtype=t.dtype))
    )


def trial_arrays(states: pd.DataFrame) -> tuple[TrialArrays, pd.DataFrame]:
    """Split a states table into per-trial arrays and a per-trial condition table.

    Every column other than `t` and the state columns is a per-trial attribute (the contract's
    columns plus any the caller added, such as `train_std` after concatenating several models).
    Rows already stored as contiguous blocks t = 0 … T−1 are used as they are; otherwise they are
    sorted by all per-trial columns and `t`.

    Arguments:
        states: a states table (docs/architecture.md); all trials must have the same time steps.

    Returns:
        `(arrays, conditions)`: `TrialArrays` in float64 and a DataFrame with one row per trial (in
        the same order), holding the per-trial columns.

    Raises:
        ValueError: a required column is missing, trials have different time steps, or a
            per-trial column changes within a trial.
    """
    required = (TIME_COLUMN, *STATE_COLUMNS, *GEOMETRY_COLUMNS)
    missing = [c for c in required if c not in states.columns]
    if missing:
        raise ValueError(
            f"states table lacks columns {missing}; expected at least {list(required)}"
        )
    if len(states) == 0:
        raise ValueError("states table is empty; expected at least one trial")
    trial_columns = [c for c in states.columns if c != TIME_COLUMN and c not in STATE_COLUMNS]
    t = states[TIME_COLUMN].to_numpy()
    n_steps = int(t.max()) + 1
    if not _is_block_ordered(t, n_steps):
        keys = [c for c in TRIAL_KEY_COLUMNS if c in trial_columns]
        keys += [c for c in trial_columns if c not in keys]
        states = states.sort_values([*keys, TIME_COLUMN], kind="stable")
        t = states[TIME_COLUMN].to_numpy()
        if not _is_block_ordered(t, n_steps):
            raise ValueError(
                f"trials do not all have time steps t = 0 … {n_steps - 1}; "
                "expected every trial to have the same number of steps"
            )
    n_trials = len(states) // n_steps
    for column in trial_columns:
        values = states[column].to_numpy().reshape(n_trials, n_steps)
        same = values == values[:, :1]
        if values.dtype.kind == "f":
            same |= np.isnan(values) & np.isnan(values[:, :1])
        if not np.all(same):
            bad = int(np.argmin(np.all(same, axis=1)))
            raise ValueError(
                f"column {column!r} changes within trial {bad}; expected columns other than "
                f"'t' and {list(STATE_COLUMNS)} to be constant within a trial (to combine "
                "models, tell them apart by an extra column such as 'train_std')"
            )

    def block(columns: tuple[str, ...]) -> np.ndarray:
        values = states[list(columns)].to_numpy(dtype=np.float64)
        return values.reshape(n_trials, n_steps, len(columns))

    first = states.iloc[::n_steps]
    arrays = TrialArrays(
        pos=block(("pos_x", "pos_y")),
        vel=block(("vel_x", "vel_y")),
        force=block(("force_x", "force_y")),
        start=first[["start_x", "start_y"]].to_numpy(dtype=np.float64),
        goal=first[["goal_x", "goal_y"]].to_numpy(dtype=np.float64),
        reach_angle=first["reach_angle"].to_numpy(dtype=np.float64),
    )
    return arrays, first[trial_columns].reset_index(drop=True)


def aligned_trials(states: pd.DataFrame) -> tuple[AlignedTrials, pd.DataFrame]:
    """`trial_arrays` followed by `align`: aligned arrays plus one condition row per trial."""
    arrays, conditions = trial_arrays(states)
    return align(arrays), conditions
