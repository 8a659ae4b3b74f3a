"""The SISU continuation of the `fixed_points` analysis: every fixed-point branch of the
steady-state map at the grid point nearest the origin, by pseudo-arclength continuation along
SISU through folds, with bifurcations named (`_branches.continue_branches`).

Seeds are the verified steady-state fixed points of that grid point at each evaluated SISU
value (all of them, not only the primary ones), so a branch is followed when any evaluated SISU
value has a point on it. The continuation runs in float64 on each replicate's map.
"""

from collections.abc import Mapping

import jax
import numpy as np
import pandas as pd

from ...sim._setup import replicate
from ...sim._tasks import grid_centres
from ...train._progress import track
from ._branches import as_float64, branch_tables, continue_branches
from ._points import default_make_input
from ._summaries import pca_columns

_LOG = "motorlab.fixed_points"

SEED_MATCH = 1e-3
"""∞-norm distance (hidden units) within which a seed lies on a branch already followed: the
seeds are float32 roots, verified to a Newton step of √eps(float32) ≈ 3.5e-4."""


def sisu_line(hps: Mapping, e: Mapping) -> tuple[int, np.ndarray, np.ndarray]:
    """(grid index p nearest the origin, base input (I,), SISU direction (I,)): the steady-state
    input at p is base + SISU · direction (float64)."""
    grid = grid_centres(int(e["grid_n"]), hps["plant"]["workspace"])
    p = int(np.argmin(np.linalg.norm(grid, axis=1)))
    zero = np.zeros(2, np.float32)
    base = default_make_input(grid[p], zero, grid[p], zero, 0.0).astype(np.float64)
    direction = default_make_input(grid[p], zero, grid[p], zero, 1.0).astype(np.float64) - base
    return p, base, direction


def sisu_continuation(ensemble, hps: Mapping, e: Mapping, points: pd.DataFrame, pcas: list
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Branches of the steady-state map near the origin along SISU, per replicate.

    The range is the lowest to the highest evaluated SISU value; the largest arclength step
    (in (h, SISU) units) is range / (`continuation.n_points` − 1).

    Arguments:
        points: the steady-state points table (replicate, position, sisu, status, h, included).
        pcas: each replicate's PCA of the steady-state hidden states.

    Returns:
        `(samples, bifurcations)`: the tables of `branch_tables` (param column `sisu`), with
        replicate and included, and pc1–pc<n_pcs> of each sample's and each bifurcation's point.
    """
    sisu = [float(x) for x in e["sisu"]]
    lo, hi = min(sisu), max(sisu)
    ds_max = (hi - lo) / (int(e["continuation"]["n_points"]) - 1)
    p, base, direction = sisu_line(hps, e)
    n_pcs = int(e["n_pcs"])
    samples, events = [], []
    n_rep = int(points["replicate"].max()) + 1
    for r in track(range(n_rep), "fixed points: SISU continuation, replicates", logger=_LOG):
        at = points[(points["replicate"] == r) & (points["position"] == p)
                    & (points["status"] == "fixed_point")]
        seeds = [(float(s), np.asarray(h, np.float64)) for s, h in zip(at["sisu"], at["h"])]
        with jax.enable_x64(True):
            branches = continue_branches(as_float64(replicate(ensemble, r)), base, direction,
                                         seeds, lam_range=(lo, hi), ds_max=ds_max,
                                         match=SEED_MATCH)
        rows, bifs = branch_tables(branches, param="sisu")
        for table, out in ((rows, samples), (bifs, events)):
            if len(table):
                table.insert(0, "replicate", np.int16(r))
                out.append(pca_columns(pcas[r], table, n_pcs))
    empty = pd.DataFrame({"replicate": pd.Series([], dtype=np.int16)})
    samples = pd.concat(samples, ignore_index=True) if samples else empty
    events = pd.concat(events, ignore_index=True) if events else empty.copy()
    included = points.groupby("replicate")["included"].first()
    for table in (samples, events):
        table.insert(1, "included", included.reindex(table["replicate"]).to_numpy(bool))
    return samples, events


__all__ = ["SEED_MATCH", "sisu_continuation", "sisu_line"]
