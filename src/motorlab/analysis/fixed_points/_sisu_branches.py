"""The SISU continuation of the `fixed_points` analysis: every fixed-point branch of the
steady-state map at the grid point nearest the origin, by pseudo-arclength continuation along
SISU through folds, with bifurcations named (`_branches.continue_branches`).

With `continuation.fold_curves` set, each fold found is continued in the plane of SISU and a
second input (one column of an input block, e.g. the x feedback velocity) by
`_fold_curve.continue_fold`, both ways from the fold, within the SISU range and the second
input's `range`: the two-parameter fold curves.

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
from ._fold_curve import continue_fold
from ._points import INPUT_BLOCKS, default_make_input
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


def second_direction(settings: Mapping | None, n_inputs: int) -> np.ndarray | None:
    """The unit vector (I,) of the second input of the fold curves (`continuation.fold_curves`:
    block, index), or None when off (no settings or block null)."""
    if not settings or settings.get("block") is None:
        return None
    block, index = settings["block"], settings.get("index", 0)
    names = [b for b in INPUT_BLOCKS if b != "sisu"]
    if block not in names:
        raise ValueError(f"fixed_points.continuation.fold_curves.block: got {block!r}; expected "
                         f"one of {names} or null")
    cols = np.asarray(INPUT_BLOCKS[block]).ravel()
    if not (isinstance(index, int) and 0 <= index < len(cols)):
        raise ValueError(f"fixed_points.continuation.fold_curves.index: got {index!r}; expected "
                         f"an integer in [0, {len(cols)}) for block {block!r}")
    rng = settings.get("range")
    if not (isinstance(rng, (list, tuple)) and len(rng) == 2 and rng[0] < rng[1]):
        raise ValueError(f"fixed_points.continuation.fold_curves.range: got {rng!r}; expected "
                         f"[low, high] with low < high")
    d = np.zeros(n_inputs)
    d[cols[index]] = 1.0
    return d


def _crosses_at(curve, h, lam, tol: float) -> bool:
    """Whether the fold curve crosses μ = 0 (after its first sample) within `tol` of (h, λ)."""
    mu = curve.mu
    for j in np.flatnonzero(np.sign(mu[1:-1]) != np.sign(mu[2:])) + 1:
        w = mu[j] / (mu[j] - mu[j + 1])
        at = np.r_[(1 - w) * curve.points[j] + w * curve.points[j + 1],
                   (1 - w) * curve.lam[j] + w * curve.lam[j + 1]]
        if np.max(np.abs(at - np.r_[h, lam])) <= tol:
            return True
    return False


def _fold_curve_rows(cell, base, direction, second, folds, lam_range, mu_range, ds_max
                     ) -> pd.DataFrame:
    """Both halves of the fold curve through each fold (branch, fold index, h, λ); a fold that
    lies on a curve already followed (two folds joined through a cusp) is not followed again:
    it is on it when the curve crosses μ = 0 within ds_max / 2 (∞-norm in (h, λ)) of it."""
    frames, done = [], []
    for f, (branch, h, lam) in enumerate(folds):
        if any(_crosses_at(c, h, lam, ds_max / 2) for c in done):
            continue
        for side in (1.0, -1.0):
            try:
                curve = continue_fold(cell, base, direction, second, h, lam, 0.0,
                                      lam_range=lam_range, mu_range=mu_range,
                                      ds=ds_max / 5, ds_max=ds_max, orientation=side)
            except ValueError:  # the fold did not correct on the augmented system
                continue
            n = len(curve.lam)
            cusp = np.zeros(n, bool)
            cusp[[min(c.index, n - 1) for c in curve.cusps]] = True
            frame = pd.DataFrame({"fold": np.int16(f), "branch": np.int16(branch),
                                  "side": np.int8(side), "point": np.arange(n, dtype=np.int32),
                                  "sisu": curve.lam.astype(np.float32),
                                  "offset": curve.mu.astype(np.float32), "cusp": cusp})
            frame["h"] = list(curve.points.astype(np.float32))
            frames.append(frame)
            done.append(curve)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def sisu_continuation(ensemble, hps: Mapping, e: Mapping, points: pd.DataFrame, pcas: list
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Branches of the steady-state map near the origin along SISU, per replicate.

    The range is the lowest to the highest evaluated SISU value; the largest arclength step
    (in (h, SISU) units) is range / (`continuation.n_points` − 1).

    Arguments:
        points: the steady-state points table (replicate, position, sisu, status, h, included).
        pcas: each replicate's PCA of the steady-state hidden states.

    Returns:
        `(samples, bifurcations, fold_curves)`: the tables of `branch_tables` (param column
        `sisu`), and the fold curves (fold: index of the fold among the replicate's fold
        bifurcations, branch, side: +1 / −1 the half starting towards a higher / lower second
        input, point, sisu, offset: the second input, cusp: a cusp lies just before this sample,
        h), each with replicate, included and pc1–pc<n_pcs> of the points.
    """
    sisu = [float(x) for x in e["sisu"]]
    lo, hi = min(sisu), max(sisu)
    ds_max = (hi - lo) / (int(e["continuation"]["n_points"]) - 1)
    p, base, direction = sisu_line(hps, e)
    n_pcs = int(e["n_pcs"])
    second = second_direction(e["continuation"].get("fold_curves"), len(base))
    samples, events, curves = [], [], []
    n_rep = int(points["replicate"].max()) + 1
    for r in track(range(n_rep), "fixed points: SISU continuation, replicates", logger=_LOG):
        at = points[(points["replicate"] == r) & (points["position"] == p)
                    & (points["status"] == "fixed_point")]
        seeds = [(float(s), np.asarray(h, np.float64)) for s, h in zip(at["sisu"], at["h"])]
        with jax.enable_x64(True):
            cell = as_float64(replicate(ensemble, r))
            branches = continue_branches(cell, base, direction, seeds, lam_range=(lo, hi),
                                         ds_max=ds_max, match=SEED_MATCH)
            folds = [(b, bif.h, bif.param) for b, br in enumerate(branches)
                     for bif in br.bifurcations if bif.kind == "fold"]
            fc = pd.DataFrame() if second is None or not folds else _fold_curve_rows(
                cell, base, direction, second, folds, (lo, hi),
                tuple(e["continuation"]["fold_curves"]["range"]), ds_max)
        rows, bifs = branch_tables(branches, param="sisu")
        for table, out in ((rows, samples), (bifs, events), (fc, curves)):
            if len(table):
                table.insert(0, "replicate", np.int16(r))
                out.append(pca_columns(pcas[r], table, n_pcs))
    empty = pd.DataFrame({"replicate": pd.Series([], dtype=np.int16)})
    samples = pd.concat(samples, ignore_index=True) if samples else empty
    events = pd.concat(events, ignore_index=True) if events else empty.copy()
    curves = pd.concat(curves, ignore_index=True) if curves else empty.copy()
    included = points.groupby("replicate")["included"].first()
    for table in (samples, events, curves):
        table.insert(1, "included", included.reindex(table["replicate"]).to_numpy(bool))
    return samples, events, curves


__all__ = ["SEED_MATCH", "second_direction", "sisu_continuation", "sisu_line"]
