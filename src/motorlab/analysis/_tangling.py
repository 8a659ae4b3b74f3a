"""Trajectory tangling (Russo et al. 2018; SPEC §2.12 "Tangling").

For a set of states x_t (all time steps of all trials of one set) with flow ẋ_t,

    Q(t) = max_t' ‖ẋ_t − ẋ_t'‖² / (‖x_t − x_t'‖² + ε),   ε = 1e-6.

Low tangling means nearby states have similar flows, as a smooth autonomous dynamical system
would produce; high tangling means the same state is left in different directions.

The flow is the forward difference ẋ_t = (x_{t+1} − x_t) / dt, paired with the state x_t at the
start of the step, so a trial of T steps contributes the T − 1 points t = 0 … T − 2. (A forward
difference of a circle traversed at constant speed is a rotated chord, so the flow of such a set
is exactly the rotated state difference; tests use this.)

Two variants give the same Q where they see the same candidates t':

* "direct": every pair, O(N²) time, computed in row chunks so memory stays O(chunk · N);
* "kdtree": only the k nearest neighbours of x_t in state space (scipy `cKDTree`, default k = 50,
  leaf size 40), O(N k log N); an approximation that is exact when k ≥ N. Far states rarely
  give the maximum, because their denominator is large.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
import pandas as pd
from jaxtyping import Float
from scipy.spatial import cKDTree

from ._align import GEOMETRY_COLUMNS, trial_arrays


EPSILON: Final = 1e-6
DEFAULT_NEIGHBOURS: Final = 50
DEFAULT_LEAFSIZE: Final = 40
_CHUNK: Final = 1024
STATE_VARIABLES: Final = ("pos", "vel", "force")


def finite_difference_flow(
    x: Float[np.ndarray, "trial time dim"], dt: float
) -> tuple[Float[np.ndarray, "trial time-1 dim"], Float[np.ndarray, "trial time-1 dim"]]:
    """States and forward-difference flows of a batch of trajectories.

    Arguments:
        x: trajectories, shape (trials, time, dim), time ≥ 2.
        dt: time step (the flow is in units of x per unit time).

    Returns:
        `(states, flows)`: x_t and (x_{t+1} − x_t) / dt for t = 0 … T − 2, each (trials, T − 1, dim).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] < 2:
        raise ValueError(f"x has shape {x.shape}; expected (trials, time >= 2, dim)")
    if not dt > 0:
        raise ValueError(f"dt={dt!r}; expected a positive time step")
    return x[:, :-1], np.diff(x, axis=1) / dt


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """‖a_i − b_j‖² for all pairs, (len(a), len(b)), via the expansion (clipped at 0)."""
    d2 = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d2, 0.0)


def _direct(x: np.ndarray, dx: np.ndarray, eps: float, chunk: int) -> np.ndarray:
    q = np.empty(x.shape[0])
    for lo in range(0, x.shape[0], chunk):
        hi = min(lo + chunk, x.shape[0])
        ratio = _squared_distances(dx[lo:hi], dx) / (_squared_distances(x[lo:hi], x) + eps)
        q[lo:hi] = ratio.max(axis=1)
    return q


def _kdtree(x: np.ndarray, dx: np.ndarray, eps: float, k: int, leafsize: int) -> np.ndarray:
    k = min(k, x.shape[0])
    dist, index = cKDTree(x, leafsize=leafsize).query(x, k=k)
    dist, index = dist.reshape(x.shape[0], k), index.reshape(x.shape[0], k)
    flow_d2 = ((dx[:, None, :] - dx[index]) ** 2).sum(-1)
    return (flow_d2 / (dist**2 + eps)).max(axis=1)


def point_tangling(
    x: Float[np.ndarray, "n dim"],
    dx: Float[np.ndarray, "n dim"],
    *,
    eps: float = EPSILON,
    method: Literal["direct", "kdtree"] = "direct",
    k: int = DEFAULT_NEIGHBOURS,
    leafsize: int = DEFAULT_LEAFSIZE,
    chunk: int = _CHUNK,
) -> Float[np.ndarray, " n"]:
    """Tangling Q of each point of one set of states with given flows.

    Arguments:
        x: states, shape (n, dim).
        dx: flows at those states, shape (n, dim), in units of x per unit time.
        eps: the ε of the denominator (units of x²); keeps Q finite for repeated states.
        method: "direct" (all pairs, exact) or "kdtree" (k nearest neighbours, approximate).
        k: neighbours searched by "kdtree" (clipped to n).
        leafsize: leaf size of the KD-tree.
        chunk: rows per block of "direct" (memory ∝ chunk · n).

    Returns:
        Q for each point, shape (n,), in units of 1 / time².
    """
    x, dx = np.asarray(x, dtype=np.float64), np.asarray(dx, dtype=np.float64)
    if x.ndim != 2 or x.shape != dx.shape or x.shape[0] == 0:
        raise ValueError(f"x {x.shape} and dx {dx.shape}; expected the same shape (n >= 1, dim)")
    if not eps > 0:
        raise ValueError(f"eps={eps!r}; expected a positive number")
    if method == "direct":
        if chunk < 1:
            raise ValueError(f"chunk={chunk!r}; expected a positive integer")
        return _direct(x, dx, eps, chunk)
    if method == "kdtree":
        if k < 1 or leafsize < 1:
            raise ValueError(f"k={k!r}, leafsize={leafsize!r}; expected positive integers")
        return _kdtree(x, dx, eps, k, leafsize)
    raise ValueError(f"method={method!r}; expected 'direct' or 'kdtree'")


def tangling(
    x: Float[np.ndarray, "trial time dim"], dt: float, **kwargs
) -> Float[np.ndarray, "trial time-1"]:
    """Tangling of every point of a set of trajectories (all trials form one set).

    Arguments:
        x: trajectories, shape (trials, time, dim), e.g. hidden states or (pos, vel) of the
            trials of one model, replicate and evaluation repeat.
        dt: time step.
        **kwargs: `eps`, `method`, `k`, `leafsize`, `chunk` of `point_tangling`.

    Returns:
        Q(t) for t = 0 … T − 2 of each trial, shape (trials, T − 1), in units of 1 / time².
    """
    states, flows = finite_difference_flow(x, dt)
    n, steps, dim = states.shape
    q = point_tangling(states.reshape(-1, dim), flows.reshape(-1, dim), **kwargs)
    return q.reshape(n, steps)


def tangling_table(
    states: pd.DataFrame,
    dt: float,
    *,
    variables: Sequence[str] = ("pos", "vel"),
    hidden: Float[np.ndarray, "trial time hidden"] | None = None,
    pool: Sequence[str] = ("condition", "centre", "direction"),
    **kwargs,
) -> pd.DataFrame:
    """Tangling of each trial and time step of a states table, in long format.

    The state space is either the world-frame `variables` of the states table concatenated
    (default position and velocity, 4-D) or, when given, the network's hidden states. Trials
    that differ only in the `pool` columns form one set (Q compares every point with every
    point of its set); every other per-trial column (eval, replicate, pert_amp, sisu, extra
    columns such as `train_std`) separates sets, so models, replicates, noise samples and
    evaluation conditions are never mixed.

    Arguments:
        states: a states table (docs/architecture.md), possibly with extra per-trial columns.
        dt: time step of the evaluation.
        variables: state variables from "pos", "vel", "force" (ignored with `hidden`).
        hidden: hidden states, shape (trials, time, hidden), trials in the order of
            `trial_arrays(states)` (for an `Evaluated`, `hidden.reshape(-1, T, H)`).
        pool: per-trial columns pooled into one set.
        **kwargs: `eps`, `method`, `k`, `leafsize`, `chunk` of `point_tangling`.

    Returns:
        One row per trial × t (t = 0 … T − 2): the trial's columns (not the geometry), `t`, and
        `tangling` (float64, 1 / time²).
    """
    arrays, conditions = trial_arrays(states)
    if hidden is not None:
        x = np.asarray(hidden, dtype=np.float64)
        if x.shape[:2] != arrays.pos.shape[:2]:
            raise ValueError(f"hidden has shape {x.shape}; expected (trials, time, hidden) with "
                             f"(trials, time) = {arrays.pos.shape[:2]} as in the states table")
    else:
        bad = [v for v in variables if v not in STATE_VARIABLES]
        if bad or not variables:
            raise ValueError(f"variables={list(variables)}; expected some of {list(STATE_VARIABLES)}")
        x = np.concatenate([getattr(arrays, v) for v in variables], axis=-1)
    ids = conditions.drop(columns=[c for c in GEOMETRY_COLUMNS if c in conditions.columns])
    keys = [c for c in ids.columns if c not in pool and c != "included"]
    q = np.empty((x.shape[0], x.shape[1] - 1))
    sets = ids.groupby(keys, dropna=False, sort=False).indices if keys else {(): np.arange(len(ids))}
    for index in sets.values():
        q[index] = tangling(x[index], dt, **kwargs)
    n, steps = q.shape
    table = ids.iloc[np.repeat(np.arange(n), steps)].reset_index(drop=True)
    table["t"] = np.tile(np.arange(steps, dtype=np.int16), n)
    table["tangling"] = q.reshape(-1)
    return table
