"""Impulse-aligned responses and their measures (SPEC §2.3, §2.1 feedback-impulse extras).

Responses to a feedback impulse are read in the impulse frame: origin = the steady-state (hold)
position, parallel axis = the impulse direction d̂ (forward > 0 = along the impulse), orthogonal
axis = d̂ × v (left of the impulse direction > 0). This is the reach frame of
`motorlab.analysis._align` with the reach direction replaced by the impulse direction, so
`impulse_frame` rewrites a states table that way and every reach-frame tool (`aligned_trials`,
`compute_measures`, the profile and trajectory figures) then works in the impulse frame.

An impulse on control steps start … start + duration − 1 first changes the force of state row
start + 1 (control step k produces row k + 1): the "during" window is rows start + 1 … start +
duration and the "after" window the next `duration` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from .._align import MIN_REACH_LENGTH, AlignedTrials, aligned_trials
from .._measures import MEASURES, Measure, compute_measures, impulse_measures

DIRECTION_COLUMNS: Final = ("impulse_dir_x", "impulse_dir_y")
FEEDBACK_MEASURE_NAMES: Final = (
    "max_net_force", "max_parallel_force_reverse", "sum_net_force", "max_parallel_vel_forward",
    "max_parallel_vel_reverse", "max_orthogonal_vel_left", "max_orthogonal_vel_right",
    "max_deviation", "sum_deviation",
)
"""The SPEC §2.3 measures from the common registry (`MEASURES`), in the impulse frame."""
WINDOW_MEASURE_NAMES: Final = (
    "max_net_force_during_impulse", "max_net_force_after_impulse",
    "max_parallel_force_forward_after_impulse",
)
"""The during/after-impulse maxima (`impulse_measures`)."""


def impulse_frame(states: pd.DataFrame) -> pd.DataFrame:
    """A copy of an impulse states table whose `reach_angle` is the impulse direction.

    Arguments:
        states: a states table of hold trials (start == goal) with the columns
            `impulse_dir_x`, `impulse_dir_y` (see `evaluate_impulses`).

    Returns:
        The same table with `reach_angle` = atan2(impulse_dir_y, impulse_dir_x) (rad, float32),
        so that the reach-frame alignment of hold trials becomes the impulse frame.

    Raises:
        ValueError: a column is missing, a trial is a reach (start != goal), or a direction is
            not a unit vector.
    """
    missing = [c for c in (*DIRECTION_COLUMNS, "start_x", "start_y", "goal_x", "goal_y")
               if c not in states.columns]
    if missing:
        raise ValueError(f"states table lacks columns {missing}; expected an impulse states table")
    d = states[list(DIRECTION_COLUMNS)].to_numpy(np.float64)
    norm = np.hypot(d[:, 0], d[:, 1])
    if not np.all(np.abs(norm - 1) < 1e-3):
        bad = int(np.argmax(np.abs(norm - 1)))
        raise ValueError(f"impulse direction {d[bad].tolist()} (row {bad}) has norm {norm[bad]:.4g}; "
                         "expected unit vectors")
    reach = np.hypot(states["goal_x"].to_numpy(np.float64) - states["start_x"].to_numpy(np.float64),
                     states["goal_y"].to_numpy(np.float64) - states["start_y"].to_numpy(np.float64))
    if np.any(reach > MIN_REACH_LENGTH):
        raise ValueError(
            f"a trial reaches {float(reach.max()):.4g} from its start; expected hold trials "
            "(reach length 0) so that the origin is the steady-state position"
        )
    return states.assign(reach_angle=np.arctan2(d[:, 1], d[:, 0]).astype(np.float32))


def impulse_aligned(states: pd.DataFrame) -> tuple[AlignedTrials, pd.DataFrame]:
    """Trials in the impulse frame: `aligned_trials(impulse_frame(states))`.

    Returns:
        `(aligned, conditions)`: component 0 along the impulse (forward > 0), component 1 to its
        left; position relative to the hold position; one condition row per trial.
    """
    return aligned_trials(impulse_frame(states))


def feedback_measures_registry(start: int, duration: int) -> dict[str, Measure]:
    """The SPEC §2.3 measures for an impulse on control steps start … start + duration − 1.

    Returns:
        name → `Measure`: `FEEDBACK_MEASURE_NAMES` then `WINDOW_MEASURE_NAMES` (max net force
        during the impulse, and max net / forward force within `duration` steps after it).
    """
    windows = impulse_measures(start + 1, duration, duration)  # rows, see the module docstring
    return {**{n: MEASURES[n] for n in FEEDBACK_MEASURE_NAMES}, **windows}


def feedback_measures(
    states: pd.DataFrame, *, start: int, duration: int, names: Iterable[str] | None = None,
    measures: Mapping[str, Measure] | None = None,
) -> pd.DataFrame:
    """The long Measures table of an impulse evaluation, in the impulse frame.

    Arguments:
        states: an impulse states table (`ImpulseEvaluated.to_frame`, or several concatenated
            with extra columns such as `train_std`).
        start, duration: the impulse window in control steps (`FeedbackImpulse.start/duration`).
        names: measures to compute; None for all of `feedback_measures_registry`.
        measures: the registry to draw from; default `feedback_measures_registry(start, duration)`.

    Returns:
        As `compute_measures`: one row per trial × measure with the per-trial columns (including
        `pert_var`, `impulse_amp`, `impulse_index`, `impulse_dir_x/_y`), `measure`, `value`.
    """
    registry = feedback_measures_registry(start, duration) if measures is None else measures
    return compute_measures(impulse_frame(states), names, measures=registry)
