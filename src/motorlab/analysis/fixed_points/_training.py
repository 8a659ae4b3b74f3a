"""Fixed points across training (issue 14, item 3; after SCYFI, Eisenmann et al., NeurIPS 2023).

The steady-state map of one replicate is analysed at each saved iteration of its training: the
verified fixed points of each input are found (starts: the states of a noise-free trial of that
snapshot, their noisy copies, and the previous snapshot's roots as warm starts), each root is
matched to a root of the previous snapshot (a "track"), and what changed between consecutive
snapshots is listed as events:

- `roots`: the number of verified roots of an input changed (roots appear or vanish in pairs
  at a fold, or leave the search box);
- along a track, a real eigenvalue crossed +1 (`fold`), a real eigenvalue crossed −1 (`flip`),
  or a complex pair crossed |λ| = 1 (`neimark_sacker`): the counts of eigenvalues beyond each
  boundary (`eigenvalue_counts`) differ between the two snapshots.

Snapshots are discrete, so an event says that a crossing happened between two saved
iterations, not exactly where.
"""

from collections.abc import Callable, Sequence

import jax.random as jr
import numpy as np
import pandas as pd
from jaxtyping import Complex, Float, PRNGKeyArray
from scipy.optimize import linear_sum_assignment

from ._find import FIXED_POINT, find_fixed_points

BIFURCATION_EVENTS = ("roots", "fold", "flip", "neimark_sacker")
"""Event kinds, in the order of `eigenvalue_counts`' columns after `roots`."""

REAL_TOL = 1e-6
"""|Im λ| ≤ REAL_TOL · max(1, |λ|) counts as a real eigenvalue."""


def eigenvalue_counts(eigenvalues: Complex[np.ndarray, "... h"]) -> np.ndarray:
    """Per spectrum: (number of real λ > 1, number of real λ < −1, number of complex pairs with
    |λ| > 1), shape (..., 3). NaN eigenvalues count nowhere."""
    lam = np.asarray(eigenvalues)
    real = np.abs(lam.imag) <= REAL_TOL * np.maximum(1.0, np.abs(lam))
    return np.stack([np.sum(real & (lam.real > 1.0), -1), np.sum(real & (lam.real < -1.0), -1),
                     np.sum(~real & (lam.imag > 0) & (np.abs(lam) > 1.0), -1)], -1)


def match_roots(before: Float[np.ndarray, "m h"], after: Float[np.ndarray, "n h"],
                max_distance: float) -> np.ndarray:
    """For each root of `after`, the index of the root of `before` it continues, or −1.

    Pairs minimise the summed Euclidean distance (Hungarian assignment); a pair farther apart
    than `max_distance` (hidden-state units) is no match."""
    out = np.full(len(after), -1, np.int64)
    if not len(before) or not len(after):
        return out
    d = np.linalg.norm(after[:, None] - before[None], axis=-1)
    rows, cols = linear_sum_assignment(d)
    ok = d[rows, cols] <= max_distance
    out[rows[ok]] = cols[ok]
    return out


def track_fixed_points(cells: Sequence, iterations: Sequence[int] | np.ndarray, inputs: Float[np.ndarray, "k i"],
                       states: Callable[[int], Float[np.ndarray, "k t h"]], *, key: PRNGKeyArray,
                       n_warm: int = 8, match_distance: float = 0.5, deflation: bool = True,
                       max_steps: int = 100, noise_scales: Sequence[float] = (0.01, 0.1)
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Verified fixed points of each snapshot's map at each input, tracked across snapshots.

    Arguments:
        cells: one map per snapshot (`AbstractRecurrentMap`, one replicate), in training order.
        iterations: the training iteration of each snapshot.
        inputs: the K fixed inputs (K, I).
        states: `states(i)` gives the hidden states of snapshot i's map for each input
            (K, T, H): the starts of that snapshot (with noisy copies at `noise_scales`); the
            last state of each input picks its primary point (the nearest verified root).
        key: PRNG key of the finder (folded with the snapshot number).
        n_warm: warm-start slots per input: the previous snapshot's roots, cycled to fill them
            (the last states at the first snapshot), so every call has the same shapes.
        match_distance: largest distance (hidden units) between a root and the root of the
            previous snapshot it continues.
        deflation: run the finder's deflation pass (`find_fixed_points`).
        max_steps: Newton iterations per start.

    Returns:
        `(points, events)`. points: one row per snapshot × input × verified root: snapshot,
        iteration, input, fp, track (a number shared by matched roots of consecutive snapshots,
        per input), primary, q, spectral_radius, n_unstable, stable, n_real_above_one,
        n_real_below_minus_one, n_complex_outside, h (H floats), eigenvalues (complex (H,));
        an input without a verified root gets one row with fp −1. events: one row per change
        between consecutive snapshots (see the module docstring): input, kind, track (−1 for
        `roots`), snapshot (the later one), iteration_before, iteration_after, before, after
        (root counts for `roots`, else the eigenvalue counts of that kind).
    """
    if len(cells) != len(iterations):
        raise ValueError(f"cells ({len(cells)}) and iterations ({len(iterations)}) must have one "
                         "entry per snapshot")
    inputs = np.asarray(inputs)
    k_in = inputs.shape[0]
    rows, events = [], []
    prev_roots: list[np.ndarray] = [np.zeros((0, 0))] * k_in
    prev_tracks: list[np.ndarray] = [np.zeros(0, np.int64)] * k_in
    prev_counts: list[np.ndarray] = [np.zeros((0, 3), np.int64)] * k_in
    next_track = np.zeros(k_in, np.int64)
    for i, (cell, it) in enumerate(zip(cells, iterations)):
        hid = np.asarray(states(i))
        if hid.ndim != 3 or hid.shape[0] != k_in:
            raise ValueError(f"states({i}) has shape {hid.shape}; expected ({k_in}, T, H)")
        warm = np.stack([_cycle(prev_roots[k] if len(prev_roots[k]) else hid[k, -1:], n_warm)
                         for k in range(k_in)])
        fps = find_fixed_points(cell, inputs, warm.astype(hid.dtype), key=jr.fold_in(key, i),
                                states=list(hid), stride=1, noise_scales=noise_scales,
                                max_steps=max_steps, deflation=deflation,
                                neighbours="sweep" if k_in > 1 else None)
        for k in range(k_in):
            fixed = np.flatnonzero(fps.status[k] == FIXED_POINT)
            roots = fps.points[k, fixed]
            counts = eigenvalue_counts(fps.eigenvalues[k, fixed])
            match = match_roots(prev_roots[k], roots, match_distance) if i else np.full(len(roots), -1)
            tracks = np.where(match >= 0, prev_tracks[k][np.maximum(match, 0)] if len(prev_tracks[k])
                              else -1, -1)
            for j in np.flatnonzero(tracks < 0):
                tracks[j], next_track[k] = next_track[k], next_track[k] + 1
            primary = (int(np.argmin(np.linalg.norm(roots - hid[k, -1], axis=1))) if len(roots) else -1)
            base = {"snapshot": np.int16(i), "iteration": np.int64(it), "input": np.int16(k)}
            if not len(roots):
                rows.append({**base, "fp": np.int16(-1), "track": -1, "primary": False})
            for j, m in enumerate(fixed):
                lam = fps.eigenvalues[k, m]
                rows.append({**base, "fp": np.int16(j), "track": int(tracks[j]), "primary": j == primary,
                             "q": fps.q[k, m], "spectral_radius": fps.spectral_radius[k, m],
                             "n_unstable": int(fps.n_unstable[k, m]),
                             "n_real_above_one": int(counts[j, 0]),
                             "n_real_below_minus_one": int(counts[j, 1]),
                             "n_complex_outside": int(counts[j, 2]),
                             "h": roots[j].astype(np.float32), "eigenvalues": lam})
            if i:
                base_ev = {"input": np.int16(k), "snapshot": np.int16(i),
                           "iteration_before": np.int64(iterations[i - 1]), "iteration_after": np.int64(it)}
                if len(roots) != len(prev_roots[k]):
                    events.append({**base_ev, "kind": "roots", "track": -1,
                                   "before": len(prev_roots[k]), "after": len(roots)})
                for j in np.flatnonzero(match >= 0):
                    old = prev_counts[k][match[j]]
                    for c, kind in enumerate(BIFURCATION_EVENTS[1:]):
                        if old[c] != counts[j, c]:
                            events.append({**base_ev, "kind": kind, "track": int(tracks[j]),
                                           "before": int(old[c]), "after": int(counts[j, c])})
            prev_roots[k], prev_tracks[k], prev_counts[k] = roots, tracks, counts
    return _points_frame(rows), _events_frame(events)


def _cycle(x: np.ndarray, n: int) -> np.ndarray:
    return x[np.arange(n) % len(x)]


def _points_frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for col, dtype in (("q", np.float32), ("spectral_radius", np.float32)):
        out[col] = out.get(col, pd.Series(np.nan, index=out.index)).astype(dtype)
    for col in ("n_unstable", "n_real_above_one", "n_real_below_minus_one", "n_complex_outside"):
        out[col] = out.get(col, pd.Series(-1, index=out.index)).fillna(-1).astype(np.int16)
    out["track"] = out["track"].astype(np.int32)
    out["primary"] = out["primary"].astype(bool)
    out["stable"] = (out["spectral_radius"] < 1.0).to_numpy()
    for col in ("h", "eigenvalues"):
        if col not in out:
            out[col] = None
    return out


def _events_frame(events: list[dict]) -> pd.DataFrame:
    columns = ["input", "kind", "track", "snapshot", "iteration_before", "iteration_after", "before",
               "after"]
    out = pd.DataFrame(events, columns=columns)
    return out.astype({"input": np.int16, "track": np.int32, "snapshot": np.int16,
                       "iteration_before": np.int64, "iteration_after": np.int64,
                       "before": np.int16, "after": np.int16, "kind": str})
