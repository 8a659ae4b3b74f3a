"""Continuation of fixed points along a sweep of the input (e.g. SISU, target position).

Natural-parameter continuation over given inputs u_0, …, u_{P−1}: each verified fixed point at
u_j is predicted at u_{j+1} with the input sensitivity, h + (I − J)⁻¹ B (u_{j+1} − u_j), and
corrected by the verified Newton solver. Branch ids are assigned in order of appearance and kept
for as long as the corrector lands near its prediction. Optionally the finder is also run at
every u_j to discover branches that appear mid-sweep.

A fold (saddle-node) is where σ_min(I − J) → 0 and two branches meet and vanish. Near a fold
σ_min² is linear in the sweep parameter, so a branch that ends (or starts) with σ_min
decreasing towards its end is extrapolated to σ_min = 0; if that lands before the next sample,
the end is reported as a fold at the extrapolated parameter. A change of the number of
unstable eigenvalues (|λ| > 1) between consecutive samples of a branch is reported as a
stability change.
"""

from collections.abc import Sequence
from typing import NamedTuple, final

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int, PRNGKeyArray

from ._find import FIXED_POINT, find_fixed_points
from ._linearise import Cell, linearise
from ._solve import default_bound, default_tolerances, merge_distance, solve_starts


class BranchEvent(NamedTuple):
    """Something that happens to a branch between sweep samples `index − 1` and `index`.

    Fields:
        kind: "start", "end", "fold" (the branch ends or starts at a saddle-node), or
            "stability" (its number of unstable directions changes).
        branch: branch id.
        index: first sweep index after the event (for "start": the first sample of the branch;
            for "end": the first sample without it).
        param: parameter value of the event: the extrapolated fold for "fold", the midpoint of
            the two samples for "stability", the sample for "start" / "end".
        before, after: numbers of unstable directions on either side ("stability"), else −1.
    """

    kind: str
    branch: int
    index: int
    param: float
    before: int
    after: int


@final
class Branches(eqx.Module):
    """Fixed-point branches over a sweep of P inputs (B branches found in all).

    Fields:
        params: the sweep parameter at each sample, (P,).
        inputs: the inputs, (P, I).
        points: the fixed point of each branch at each sample, NaN where absent, (P, B, H).
        present: whether the branch exists (was verified) at the sample, (P, B).
        sigma_min: smallest singular value of I − J, (P, B); → 0 at a fold.
        n_unstable: eigenvalues with |λ| > 1, −1 where absent, (P, B).
        spectral_radius: max |λ|, (P, B).
        events: `BranchEvent`s, in sweep order.
    """

    params: Float[np.ndarray, " p"]
    inputs: Float[np.ndarray, "p i"]
    points: Float[np.ndarray, "p b h"]
    present: Bool[np.ndarray, "p b"]
    sigma_min: Float[np.ndarray, "p b"]
    n_unstable: Int[np.ndarray, "p b"]
    spectral_radius: Float[np.ndarray, "p b"]
    events: tuple[BranchEvent, ...]

    @property
    def folds(self) -> list[BranchEvent]:
        """The fold events."""
        return [e for e in self.events if e.kind == "fold"]


def _new_points(found, err_found, known, err_known, tol):
    """Indices of `found` that match none of `known`, with the finder's own de-duplication rule
    (`_find._unique`): ‖h₁ − h₂‖∞ ≤ `merge_distance` = max(`tol.unique`, 2 (e₁ + e₂)), eᵢ the final
    Newton steps (position errors) of the two points."""
    if len(known) == 0:
        return list(range(len(found)))
    dist = np.max(np.abs(found[:, None] - np.asarray(known)[None]), axis=-1)
    thr = merge_distance(np.asarray(err_found)[:, None], np.asarray(err_known)[None, :], tol)
    return [i for i in range(len(found)) if not np.any(dist[i] <= thr[i])]


def continue_fixed_points(cell: Cell, inputs: Float[ArrayLike, "p i"], params: Float[ArrayLike, " p"]
                          | Sequence[float] | None = None, starts: Float[ArrayLike, "s h"] | None = None, *,
                          key: PRNGKeyArray, states: Float[ArrayLike, "... h"] | None = None,
                          discover: bool = True, max_correction: float = 0.05,
                          fold_margin: float = 0.5, max_steps: int = 50,
                          **finder_options) -> Branches:
    """Track fixed points along a sweep of inputs, labelling branches consistently.

    Arguments:
        cell: the map (`AbstractRecurrentMap`: a controller, or `FunctionMap(fn)`).
        inputs: the input at each sample of the sweep, (P, I), in sweep order.
        params: the swept parameter at each sample (e.g. the SISU values), (P,); default
            0, 1, …, P − 1. Fold locations are reported in these units.
        starts, states: starts for the finder (see `find_fixed_points`), used at the first
            sample and, with `discover`, at every sample.
        key: PRNG key for the finder's noisy and box starts.
        discover: run the finder at every sample, starting new branches at unmatched points.
        max_correction: a corrected point is the branch's continuation when it lies within
            max(`max_correction`, predicted move) (∞-norm, hidden units) of the prediction.
        fold_margin: a branch end counts as a fold when σ_min² extrapolates to zero within
            (1 + `fold_margin`) sample spacings beyond the last sample.
        max_steps: Newton iterations of the corrector.
        **finder_options: passed to `find_fixed_points` (stride, noise_scales, n_box, ...).

    Returns:
        `Branches`.
    """
    inputs = np.asarray(inputs)
    if inputs.ndim != 2 or inputs.shape[0] < 2:
        raise ValueError(f"inputs must have shape (P, I) with P >= 2, got {inputs.shape}")
    n_p = inputs.shape[0]
    params = np.arange(n_p, dtype=np.float64) if params is None else np.asarray(params, float)
    if params.shape != (n_p,) or not (np.all(np.diff(params) > 0) or np.all(np.diff(params) < 0)):
        raise ValueError(f"params must be ({n_p},) and strictly monotonic, got {params!r}")
    keys = jr.split(key, n_p)

    def discover_at(j):
        fps = find_fixed_points(cell, inputs[j:j + 1], starts, key=keys[j], states=states,
                                eigenvalues=False, **finder_options)
        ok = fps.status[0] == FIXED_POINT
        return fps.points[0][ok], fps.error[0][ok], fps

    found, found_err, first = discover_at(0)
    dtype = first.points.dtype
    tol = finder_options.get("tolerances") or default_tolerances(dtype)
    bound = finder_options.get("bound") or default_bound(cell)
    tracks: list[dict[int, np.ndarray]] = [dict() for _ in range(n_p)]
    errors: list[dict[int, float]] = [dict() for _ in range(n_p)]  # final Newton step of each
    n_branches = 0
    for h, e in zip(found, found_err):
        tracks[0][n_branches], errors[0][n_branches] = h, float(e)
        n_branches += 1
    lin_at = [_linearise(cell, inputs[0], tracks[0])]
    for j in range(1, n_p):
        prev = tracks[j - 1]
        ids = list(prev)
        if ids:
            lin = lin_at[j - 1]
            du = (inputs[j] - inputs[j - 1]).astype(dtype)
            base = np.stack([prev[b] for b in ids])
            move = np.einsum("bhi,i->bh", lin["sensitivity"], du)
            pred = np.clip(base + move, -bound, bound).astype(dtype)
            solved = solve_starts(cell, np.repeat(inputs[j:j + 1].astype(dtype), len(ids), 0),
                                  pred, tolerances=tol, bound=bound, max_steps=max_steps)
            corr = np.max(np.abs(solved.h - pred), axis=-1)
            allowed = np.maximum(max_correction, np.max(np.abs(move), axis=-1))
            ok = (solved.code == FIXED_POINT) & (corr <= allowed)
            # two branches corrected onto one point: the better-predicted one keeps it
            for a in np.argsort(corr):
                if not ok[a]:
                    continue
                taken = list(tracks[j])
                if _new_points(solved.h[a:a + 1], solved.error[a:a + 1],
                               [tracks[j][b] for b in taken], [errors[j][b] for b in taken], tol):
                    tracks[j][ids[a]], errors[j][ids[a]] = solved.h[a], float(solved.error[a])
        if discover:
            pts, errs, _ = discover_at(j)
            taken = list(tracks[j])
            for i in _new_points(pts, errs, [tracks[j][b] for b in taken],
                                 [errors[j][b] for b in taken], tol):
                tracks[j][n_branches], errors[j][n_branches] = pts[i], float(errs[i])
                n_branches += 1
        lin_at.append(_linearise(cell, inputs[j], tracks[j]))
    return _assemble(params, inputs, tracks, lin_at, n_branches, fold_margin)


def _linearise(cell, u, track: dict[int, np.ndarray]) -> dict:
    if not track:
        return {}
    pts = np.stack(list(track.values()))
    lin = linearise(cell, jnp.asarray(u, pts.dtype), jnp.asarray(pts))
    return {"ids": list(track), "sensitivity": np.asarray(lin.input_sensitivity),
            "sigma_min": np.asarray(lin.sigma_min), "n_unstable": np.asarray(lin.n_unstable),
            "radius": np.asarray(lin.spectral_radius)}


def _assemble(params, inputs, tracks, lin_at, n_b, fold_margin) -> Branches:
    n_p = len(params)
    hidden = next((len(h) for t in tracks for h in t.values()), 0)
    dtype = next((h.dtype for t in tracks for h in t.values()), np.float32)
    points = np.full((n_p, n_b, hidden), np.nan, dtype)
    sigma = np.full((n_p, n_b), np.nan)
    radius = np.full((n_p, n_b), np.nan)
    unstable = np.full((n_p, n_b), -1, np.int32)
    for j, (track, lin) in enumerate(zip(tracks, lin_at)):
        for m, b in enumerate(lin.get("ids", [])):
            points[j, b] = track[b]
            sigma[j, b] = lin["sigma_min"][m]
            radius[j, b] = lin["radius"][m]
            unstable[j, b] = lin["n_unstable"][m]
    present = unstable >= 0
    return Branches(params=params, inputs=inputs, points=points, present=present,
                    sigma_min=sigma, n_unstable=unstable, spectral_radius=radius,
                    events=tuple(_events(params, present, sigma, unstable, fold_margin)))


def _fold_estimate(s1, s2, sig1, sig2):
    """Parameter where σ² (linear in s near a fold) extrapolates from (s1, σ1), (s2, σ2) to 0."""
    if not (np.isfinite(sig1) and np.isfinite(sig2)) or sig2 >= sig1:
        return np.nan
    return s2 + sig2**2 * (s2 - s1) / (sig1**2 - sig2**2)


def _events(params, present, sigma, unstable, fold_margin) -> list[BranchEvent]:
    events = []
    n_p = len(params)
    for b in range(present.shape[1]):
        idx = np.flatnonzero(present[:, b])
        first, last = idx[0], idx[-1]
        if first > 0:
            events.append(BranchEvent("start", b, int(first), float(params[first]), -1, -1))
            if first + 1 <= last and first + 1 in idx:
                est = _fold_estimate(params[first + 1], params[first], sigma[first + 1, b],
                                     sigma[first, b])
                gap = params[first - 1] - params[first]
                if np.isfinite(est) and (est - params[first]) / gap <= 1.0 + fold_margin:
                    events.append(BranchEvent("fold", b, int(first), float(est), -1, -1))
        for j in idx[1:]:
            if present[j - 1, b] and unstable[j, b] != unstable[j - 1, b]:
                events.append(BranchEvent("stability", b, int(j),
                                          float(0.5 * (params[j - 1] + params[j])),
                                          int(unstable[j - 1, b]), int(unstable[j, b])))
        if last < n_p - 1:
            if last - 1 >= first and present[last - 1, b]:
                est = _fold_estimate(params[last - 1], params[last], sigma[last - 1, b],
                                     sigma[last, b])
                gap = params[last + 1] - params[last]
                if np.isfinite(est) and (est - params[last]) / gap <= 1.0 + fold_margin:
                    events.append(BranchEvent("fold", b, int(last + 1), float(est), -1, -1))
            events.append(BranchEvent("end", b, int(last + 1), float(params[last + 1]), -1, -1))
    return sorted(events, key=lambda e: (e.index, e.branch, e.kind))
