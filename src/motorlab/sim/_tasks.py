"""Reaching tasks: random training reaches, centre-out evaluation sets and steady-state grids."""

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ._types import Array, Float, Int, Key


class Trials(eqx.Module):
    """A batch of reach trials (leading axis = trial).

    Attributes:
        start: (n, 2) initial positions (velocity starts at zero).
        goal: (n, 2) goal positions; the target input is the goal with zero velocity.
        angle: (n,) reach direction in rad (0 for steady-state trials).
        centre: (n,) index of the centre the trial starts from (−1 for random reaches).
        direction: (n,) index of the reach direction within its centre (−1 for random reaches).
    """

    start: Float[Array, "n 2"]
    goal: Float[Array, "n 2"]
    angle: Float[Array, " n"]
    centre: Int[Array, " n"]
    direction: Int[Array, " n"]

    @property
    def n(self) -> int:
        return self.start.shape[0]


def _check_workspace(workspace) -> np.ndarray:
    ws = np.asarray(workspace, dtype=float)
    if ws.shape != (2, 2) or not np.all(ws[1] > ws[0]):
        raise ValueError(f"workspace must be [[x_min, y_min], [x_max, y_max]] with max > min, got {workspace!r}")
    return ws


def random_reaches(key: Key, n: int, workspace) -> Trials:
    """Training trials: start and goal each uniform in the workspace rectangle."""
    ws = _check_workspace(workspace)
    lo, hi = jnp.asarray(ws[0], jnp.float32), jnp.asarray(ws[1], jnp.float32)
    k_start, k_goal = jr.split(key)
    start = jr.uniform(k_start, (n, 2), minval=lo, maxval=hi)
    goal = jr.uniform(k_goal, (n, 2), minval=lo, maxval=hi)
    d = goal - start
    minus_one = -jnp.ones(n, jnp.int32)
    return Trials(start, goal, jnp.arctan2(d[:, 1], d[:, 0]), minus_one, minus_one)


def grid_centres(grid_n: int, workspace) -> np.ndarray:
    """Internal grid points: per axis `linspace(min, max, grid_n + 2)` without its end points.

    Returns:
        (grid_n², 2) centres, x varying fastest.
    """
    if not (isinstance(grid_n, int) and grid_n >= 1):
        raise ValueError(f"grid_n must be an integer >= 1, got {grid_n!r}")
    ws = _check_workspace(workspace)
    xs = np.linspace(ws[0, 0], ws[1, 0], grid_n + 2)[1:-1]
    ys = np.linspace(ws[0, 1], ws[1, 1], grid_n + 2)[1:-1]
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=-1)


def centre_out(grid_n: int, n_directions: int, reach_length: float, workspace) -> Trials:
    """Centre-out set (SPEC §1.2): from each of grid_n² centres, `n_directions` reaches of
    `reach_length`, equally spaced in angle starting at 0. With reach_length 0 this is a
    steady-state (hold) task at each centre.

    Trials are ordered centre-major: trial = centre · n_directions + direction.
    """
    if not (isinstance(n_directions, int) and n_directions >= 1):
        raise ValueError(f"n_directions must be an integer >= 1, got {n_directions!r}")
    if not reach_length >= 0:
        raise ValueError(f"reach_length must be >= 0, got {reach_length!r}")
    centres = grid_centres(grid_n, workspace)
    angles = 2 * np.pi * np.arange(n_directions) / n_directions
    start = np.repeat(centres, n_directions, axis=0)
    angle = np.tile(angles, len(centres))
    goal = start + reach_length * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    centre = np.repeat(np.arange(len(centres)), n_directions)
    direction = np.tile(np.arange(n_directions), len(centres))
    f32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    return Trials(f32(start), f32(goal), f32(angle), jnp.asarray(centre, jnp.int32),
                  jnp.asarray(direction, jnp.int32))


def steady_state_grid(grid_n: int, workspace) -> Trials:
    """Hold trials at each point of a grid_n × grid_n internal grid (start = goal)."""
    return centre_out(grid_n, 1, 0.0, workspace)
