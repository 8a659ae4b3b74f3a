"""Hand-built states tables (docs/architecture.md, States table) for the analysis tests."""

import numpy as np
import pandas as pd


def states_table(pos, vel, force, start, goal, reach_angle=None, **extra):
    """A states table from hand-built arrays (trials, T, 2); one condition per trial."""
    pos, vel, force = (np.asarray(a, dtype=np.float32) for a in (pos, vel, force))
    n, steps, _ = pos.shape
    start = np.broadcast_to(np.asarray(start, dtype=np.float32), (n, 2))
    goal = np.broadcast_to(np.asarray(goal, dtype=np.float32), (n, 2))
    if reach_angle is None:
        reach_angle = np.arctan2(goal[:, 1] - start[:, 1], goal[:, 0] - start[:, 0])
    reach_angle = np.broadcast_to(np.asarray(reach_angle, dtype=np.float32), (n,))
    per_trial = {
        "eval": np.zeros(n, np.int16),
        "replicate": np.zeros(n, np.int16),
        "included": np.ones(n, bool),
        "condition": np.arange(n, dtype=np.int32),
        "pert_type": np.array(["curl"] * n, dtype=object),
        "pert_amp": np.zeros(n, np.float32),
        "sisu": np.full(n, np.nan, np.float32),
        "centre": np.zeros(n, np.int16),
        "direction": np.arange(n, dtype=np.int16),
        "reach_angle": reach_angle,
        "start_x": start[:, 0],
        "start_y": start[:, 1],
        "goal_x": goal[:, 0],
        "goal_y": goal[:, 1],
    }
    per_trial.update({k: np.broadcast_to(np.asarray(v), (n,)) for k, v in extra.items()})
    columns = {k: np.repeat(v, steps) for k, v in per_trial.items()}
    columns["t"] = np.tile(np.arange(steps, dtype=np.int16), n)
    for name, arr in (("pos", pos), ("vel", vel), ("force", force)):
        columns[f"{name}_x"] = arr[..., 0].reshape(-1)
        columns[f"{name}_y"] = arr[..., 1].reshape(-1)
    return pd.DataFrame(columns)
