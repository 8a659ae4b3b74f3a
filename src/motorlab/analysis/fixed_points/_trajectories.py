"""Fixed-point trajectories (SPEC §2.11): the fixed point of the map with each time step's
input along a trial, warm-started from the previous step's point."""

import numpy as np
import pandas as pd
from jaxtyping import Float

from ...sim._recurrent import AbstractRecurrentMap
from ._find import FIXED_POINT
from ._solve import default_tolerances, merge_distance, solve_starts


def fixed_point_trajectories(cell: AbstractRecurrentMap, inputs: Float[np.ndarray, "n t i"],
                             hidden: Float[np.ndarray, "n t h"], *, max_steps: int = 50,
                             bound: float = 1.0) -> pd.DataFrame:
    """The fixed point of the map with each time step's input, along each trial (SPEC §2.11).

    At t = 0 every hidden state of the trial is a start and the point reached by most starts
    (ties: nearest h_0) is kept; at t > 0 the previous point (warm start) and h_t are solved,
    and the warm start's point is kept when it verifies, else h_t's ("warm" / "state" in
    `source`).
    Where no start verifies, the row has NaN and the next step warm-starts from the last point.

    Arguments:
        cell: the map (`AbstractRecurrentMap`, e.g. a controller) of one replicate.
        inputs: the network input at each step, (N, T, I).
        hidden: the hidden state at each step, (N, T, H) (the starts).
        max_steps: Newton iterations per solve.
        bound: search box |h_i| <= bound.

    Returns:
        One row per trial × step: trial, t, found, source, q, jump (∞-norm distance from the
        previous step's point; large jumps are the "dislocations" of SPEC §2.11), h.
    """
    inputs = np.asarray(inputs)
    hidden = np.asarray(hidden)
    n, steps, size = hidden.shape
    if inputs.shape[:2] != (n, steps):
        raise ValueError(f"inputs must be (N, T, I) with (N, T) = {(n, steps)}, got {inputs.shape}")
    dtype = cell.dtype if cell.dtype is not None else np.result_type(inputs.dtype, np.float32)
    tol = default_tolerances(dtype)
    solve = lambda u, h0: solve_starts(cell, u.astype(dtype), h0.astype(dtype),  # noqa: E731
                                       tolerances=tol, bound=bound, max_steps=max_steps)
    points = np.full((n, steps, size), np.nan, dtype)
    source = np.full((n, steps), "none", dtype=object)
    q = np.full((n, steps), np.nan)
    first = solve(np.repeat(inputs[:, 0], steps, 0), hidden.reshape(-1, size))
    for i in range(n):
        sl = slice(i * steps, (i + 1) * steps)
        ok = first.code[sl] == FIXED_POINT
        if ok.any():
            tol_i = float(merge_distance(np.max(first.error[sl][ok]), np.max(first.error[sl][ok]), tol))
            cands = first.h[sl][ok]
            support = (np.max(np.abs(cands[:, None] - cands[None]), -1) <= tol_i).sum(1)
            best = np.flatnonzero(support == support.max())
            pick = best[np.argmin(np.linalg.norm(cands[best] - hidden[i, 0], axis=1))]
            points[i, 0], source[i, 0], q[i, 0] = cands[pick], "candidates", first.q[sl][ok][pick]
    last = np.where(np.isnan(points[:, 0]), hidden[:, 0], points[:, 0])
    for t in range(1, steps):
        pair = np.stack([last, hidden[:, t]], 1).reshape(-1, size)
        res = solve(np.repeat(inputs[:, t], 2, 0), pair)
        h2, ok2 = res.h.reshape(n, 2, size), (res.code == FIXED_POINT).reshape(n, 2)
        pick = np.where(ok2[:, 0], 0, 1)  # the warm start's point when it verifies
        found = ok2[np.arange(n), pick]
        chosen = h2[np.arange(n), pick]
        points[found, t] = chosen[found]
        source[found, t] = np.where(pick[found] == 0, "warm", "state")
        q[found, t] = res.q.reshape(n, 2)[np.arange(n), pick][found]
        last = np.where(found[:, None], chosen, last)
    jump = np.full((n, steps), np.nan)
    jump[:, 1:] = np.max(np.abs(np.diff(points, axis=1)), axis=-1)
    return pd.DataFrame({
        "trial": np.repeat(np.arange(n, dtype=np.int32), steps),
        "t": np.tile(np.arange(steps, dtype=np.int16), n),
        "found": np.isfinite(points[..., 0]).ravel(), "source": source.ravel().astype(str),
        "q": q.ravel().astype(np.float32), "jump": jump.ravel().astype(np.float32),
        "h": list(points.reshape(-1, size).astype(np.float32))})
