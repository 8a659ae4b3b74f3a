"""Verified fixed points of a recurrent map h ↦ F(u, h), batched over inputs and starts.

`find_fixed_points` builds starts (strided evaluated states, the same plus noise, uniform box
samples, your own), solves every start separately with the verified trust-region Newton solver
of `_fp_solve` (statuses `fixed_point`, `slow_point`, `unconverged`, `diverged`), merges the
converged starts into unique points with a tolerance tied to float precision, flags outliers,
and linearises each unique point.

Units: q(h) = ½‖F(u, h) − h‖², summed over the H units (squared hidden-state units).
"""

from collections.abc import Sequence

from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Complex, Float, Int, PRNGKeyArray

from ...sim._controllers import AbstractController
from ._cluster import _outliers, _unique
from ._deflate import complete
from ._linearise import Cell, eigen, pad_rows, state_jacobian
from ._solve import (
    DIVERGED as DIVERGED,
    FIXED_POINT as FIXED_POINT,
    SLOW_POINT as SLOW_POINT,
    STATUS_NAMES as STATUS_NAMES,
    UNCONVERGED as UNCONVERGED,
    Solved,
    Tolerances as Tolerances,
    default_bound,
    merge_distance,
    default_tolerances as default_tolerances,
    solve_starts,
)

@final
class FixedPoints(eqx.Module):
    """Fixed points of h ↦ F(u_k, h) for K inputs: unique points padded to M per input, and
    the outcome of every start.

    Unique points of input k are `points[k, :n_points[k]]`: verified fixed points first (most
    starts first), then slow points; padding is NaN (status −1, support 0). Outliers are
    flagged, never dropped.

    Fields:
        inputs: the inputs u_k, shape (K, I).
        points: unique points, (K, M, H).
        status: `FIXED_POINT` (0) or `SLOW_POINT` (1); −1 for padding. Names in `STATUS_NAMES`.
        q: ½‖F(u, h) − h‖² at the point (squared hidden-state units), (K, M).
        residual: ‖F(u, h) − h‖∞, (K, M).
        error: ‖Newton step‖∞ at the point: how far the exact root may be, (K, M).
        support: number of solves that ended at the point: starts, and for points found after
            the Newton pass the warm or deflated solve that found them, (K, M).
        outlier: support 1 and no other converged start within `outlier_distance`, (K, M).
        found_by: which pass first found the point: 0 the Newton pass from the starts, 1 a warm
            start from a neighbouring input's root, 2 deflation; −1 for padding, (K, M).
        n_warm, n_deflated: verified points added per input by neighbour warm starts and by
            deflation, (K,).
        eigenvalues: eigenvalues of ∂F/∂h, decreasing modulus, (K, M, H) complex; None when
            not linearised.
        spectral_radius: max |λ|, (K, M); NaN when not linearised.
        n_unstable: number of |λ| > 1 (discrete-time unstable directions); −1 when unknown.
        start_status: status code of every start, (K, S).
        start_point: index into `points[k]` of the point each start ended at, else −1, (K, S).
        start_q: q where each start ended, (K, S).
        start_steps: solver iterations of each start, (K, S).
        starts: the starts actually used (after any Adam warm-up), (K, S, H).
        finals: where each start ended, (K, S, H).
    """

    inputs: Float[np.ndarray, "k i"]
    points: Float[np.ndarray, "k m h"]
    status: Int[np.ndarray, "k m"]
    q: Float[np.ndarray, "k m"]
    residual: Float[np.ndarray, "k m"]
    error: Float[np.ndarray, "k m"]
    support: Int[np.ndarray, "k m"]
    outlier: Bool[np.ndarray, "k m"]
    found_by: Int[np.ndarray, "k m"]
    n_warm: Int[np.ndarray, " k"]
    n_deflated: Int[np.ndarray, " k"]
    eigenvalues: Complex[np.ndarray, "k m h"] | None
    spectral_radius: Float[np.ndarray, "k m"]
    n_unstable: Int[np.ndarray, "k m"]
    start_status: Int[np.ndarray, "k s"]
    start_point: Int[np.ndarray, "k s"]
    start_q: Float[np.ndarray, "k s"]
    start_steps: Int[np.ndarray, "k s"]
    starts: Float[np.ndarray, "k s h"]
    finals: Float[np.ndarray, "k s h"]

    @property
    def n_points(self) -> Int[np.ndarray, " k"]:
        """Number of unique points (fixed and slow) per input."""
        return np.sum(self.status >= 0, axis=1)

    @property
    def n_fixed(self) -> Int[np.ndarray, " k"]:
        """Number of verified unique fixed points per input."""
        return np.sum(self.status == FIXED_POINT, axis=1)

    @property
    def stable(self) -> Bool[np.ndarray, "k m"]:
        """Discrete-time asymptotic stability (all |λ| < 1)."""
        return self.spectral_radius < 1.0

    def fraction_verified(self) -> float:
        """Fraction of all starts that ended on a verified fixed point."""
        return float(np.mean(self.start_status == FIXED_POINT))


def make_starts(states: Float[ArrayLike, "... h"] | None = None, *, key: PRNGKeyArray,
                stride: int = 16, noise_scales: Sequence[float] = (0.01, 0.1),
                n_box: int = 0, box: tuple[float, float] = (-1.0, 1.0),
                hidden_size: int | None = None) -> Float[np.ndarray, "s h"]:
    """Starts for the finder: strided states, the same plus noise, and uniform box samples.

    Arguments:
        states: evaluated hidden states, any leading shape (e.g. eval × condition × time × H);
            flattened, then every `stride`-th is kept. Optional.
        key: PRNG key for the noise and the box samples.
        stride: keep every `stride`-th state (SPEC §2.10 uses 16).
        noise_scales: for each scale σ, one copy of the strided states plus N(0, σ²) noise
            (hidden-state units).
        n_box: number of starts uniform in `box`^H.
        box: (low, high) of the box.
        hidden_size: H; needed only when `states` is None.

    Returns:
        Starts, shape (S, H): strided, then noisy (by scale), then box.
    """
    if not (isinstance(stride, int) and stride >= 1):
        raise ValueError(f"stride must be an integer >= 1, got {stride!r}")
    if any(not (sc >= 0) for sc in noise_scales):
        raise ValueError(f"noise_scales must be >= 0, got {tuple(noise_scales)!r}")
    if not (isinstance(n_box, int) and n_box >= 0):
        raise ValueError(f"n_box must be an integer >= 0, got {n_box!r}")
    if not box[0] < box[1]:
        raise ValueError(f"box must be (low, high) with low < high, got {box!r}")
    if states is None and hidden_size is None:
        raise ValueError("give `states` or `hidden_size` (the width of box starts)")
    keys = jr.split(key, len(noise_scales) + 1)
    parts = []
    if states is not None:
        states = np.asarray(states)
        base = states.reshape(-1, states.shape[-1])[::stride]
        parts.append(base)
        for k, scale in zip(keys[1:], noise_scales):
            noise = np.asarray(jr.normal(k, base.shape), dtype=base.dtype)
            parts.append(base + np.asarray(scale, dtype=base.dtype) * noise)
        hidden_size = base.shape[-1]
    dtype = parts[0].dtype if parts else np.float32
    if n_box:
        parts.append(np.asarray(jr.uniform(keys[0], (n_box, hidden_size), minval=box[0],
                                           maxval=box[1]), dtype=dtype))
    if not parts:
        return np.zeros((0, hidden_size), dtype)
    return np.concatenate(parts, axis=0)


def _hidden_size(cell, starts) -> int:
    if cell.hidden_size is not None:
        return cell.hidden_size
    if starts is None:
        raise ValueError("for a map that does not know its hidden size, give `starts` or `states`")
    if isinstance(starts, (list, tuple)):
        starts = starts[0]
    return np.shape(starts)[-1]


def _per_input(x, k: int, name: str, hidden: int) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2:
        x = np.broadcast_to(x, (k, *x.shape))
    if x.ndim != 3 or x.shape[0] != k or x.shape[-1] != hidden:
        raise ValueError(f"{name} must have shape (S, {hidden}) or ({k}, S, {hidden}), "
                         f"got {x.shape}")
    return x


def _check_single_cell(cell) -> None:
    """A controller with a leading replicate axis is an ensemble, not one map."""
    weight = getattr(getattr(cell, "readout", None), "weight", None)
    if isinstance(cell, AbstractController) and getattr(weight, "ndim", 2) == 3:
        raise ValueError(f"cell: got an ensemble of {weight.shape[0]} replicates; expected one replicate "
                         f"(`motorlab.replicate(ensemble, r)`)")


def find_fixed_points(cell: Cell, inputs: Float[ArrayLike, "k i"],
                      starts: Float[ArrayLike, "s h"] | Float[ArrayLike, "k s h"] | None = None, *,
                      key: PRNGKeyArray,
                      states: Float[ArrayLike, "... h"] | Sequence[Float[ArrayLike, "... h"]]
                      | None = None, stride: int = 16,
                      noise_scales: Sequence[float] = (0.01, 0.1),
                      n_box: int = 0, box: tuple[float, float] = (-1.0, 1.0),
                      max_steps: int = 100, bound: float | None = None,
                      bound_holds_roots: bool | None = None, tolerances: Tolerances | None = None, outlier_distance: float = 1.0,
                      adam_steps: int = 0, adam_lr: float = 0.01, batch_size: int = 4096,
                      eigenvalues: bool = True, neighbours: str | Sequence[Sequence[int]]
                      | None = None, deflation: bool | dict = True) -> FixedPoints:
    """Find and verify the fixed points h* = F(u_k, h*) of a recurrent cell for each input.

    Starts (per input: strided `states`, the same plus noise at each of `noise_scales`,
    `n_box` uniform samples in `box`^H, then the given `starts`) are each solved by a
    trust-region Newton method (see the module docstring), all inputs × starts in one compiled
    loop per chunk of `batch_size` starts. Converged starts are merged into unique points with a
    tolerance tied to the float precision, and each unique point is linearised.

    Arguments:
        cell: the map (`AbstractRecurrentMap`): a controller (closed-form Jacobians) or
            `FunctionMap(fn)` for any function `(input, h) -> h`.
        inputs: the fixed inputs u_k, shape (K, I).
        starts: your own starts, shape (S, H) for every input or (K, S, H) per input.
        key: PRNG key for the noisy and box starts.
        states: evaluated hidden states to start from, (..., H) for every input (flattened,
            then strided by `stride`), or a list of K such arrays, one per input.
        stride, noise_scales, n_box, box: see `make_starts`.
        max_steps: iteration limit per start.
        bound: the search box |h_i| <= bound; default the map's `root_bound` (1 for the GRU
            and the leaky RNN, whose fixed points h* = tanh(·) lie inside (−1, 1)^H), else 1e3.
        bound_holds_roots: the box is known to hold every fixed point; default True when
            `bound` >= the map's `root_bound`. Then a start pinned on the boundary has not run away: it keeps
            iterating and ends `unconverged` if it finds nothing. Otherwise a start pinned on the
            boundary for 5 iterations is `diverged` (the root it heads for lies outside the
            box). A non-finite residual is always `diverged`.
        tolerances: `Tolerances`; default `default_tolerances(dtype)`.
        outlier_distance: Euclidean distance for the outlier flag (SPEC §2.10: 1.0).
        adam_steps, adam_lr: optional per-start Adam warm-up on q before the Newton solve.
        batch_size: starts solved per compiled call (memory: about 3 H² floats per start).
        eigenvalues: compute the spectrum of ∂F/∂h at each unique point (on the CPU).
        neighbours: when the inputs form a sweep ("sweep": k − 1 and k + 1) or a grid (a list
            of neighbour indices per input), each input is also solved from its neighbours'
            verified roots (`_deflate.warm_from_neighbours`). None: no warm starts.
        deflation: after the Newton pass, deflated Newton solves repelled from the roots
            found (`_deflate.deflate`) until a round adds nothing; True (default options),
            False, or a dict of options (seeds, rounds, power, shift, max_steps).

    Returns:
        `FixedPoints` with K rows. Status codes are in `STATUS_NAMES`.
    """
    _check_single_cell(cell)
    inputs_np = np.asarray(inputs)
    if inputs_np.ndim != 2:
        raise ValueError(f"inputs must have shape (K, I), got {inputs_np.shape}")
    if inputs_np.shape[0] == 0:
        raise ValueError(f"inputs: got an empty batch, shape {inputs_np.shape}; expected at least one "
                         f"input, shape (K >= 1, I)")
    if cell.input_size is not None and inputs_np.shape[1] != cell.input_size:
        raise ValueError(f"inputs have {inputs_np.shape[1]} features; the cell expects "
                         f"{cell.input_size}")
    if not (isinstance(max_steps, int) and max_steps >= 1):
        raise ValueError(f"max_steps must be an integer >= 1, got {max_steps!r}")
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    dtype = cell.dtype if cell.dtype is not None else jnp.result_type(inputs_np.dtype, jnp.float32)
    hidden = _hidden_size(cell, starts if starts is not None else states)
    k_in = inputs_np.shape[0]
    bound = default_bound(cell) if bound is None else float(bound)
    tol = tolerances if tolerances is not None else default_tolerances(dtype)

    per_input = []
    keys = jr.split(key, k_in)
    if states is None:
        states_k = [None] * k_in
    elif isinstance(states, (list, tuple)):
        if len(states) != k_in:
            raise ValueError(f"states given per input must be {k_in} arrays, got {len(states)}")
        states_k = list(states)
    else:
        states_k = [states] * k_in
    for k in range(k_in):
        parts = []
        made = make_starts(states_k[k], key=keys[k], stride=stride,
                           noise_scales=noise_scales, n_box=n_box, box=box, hidden_size=hidden)
        parts.append(made)
        if starts is not None:
            parts.append(_per_input(starts, k_in, "starts", hidden)[k])
        per_input.append(np.concatenate([p.astype(dtype) for p in parts], axis=0))
    counts = [len(p) for p in per_input]
    if len(set(counts)) > 1:
        raise ValueError(f"every input needs the same number of starts; got {counts} "
                         "(give per-input `states` of equal size)")
    n_starts = counts[0]
    if n_starts == 0:
        raise ValueError("no starts: give `starts`, `states` or `n_box` > 0")
    h0 = np.stack(per_input).reshape(-1, hidden)
    u_all = np.repeat(inputs_np.astype(dtype), n_starts, axis=0)

    solved = solve_starts(cell, u_all, h0, tolerances=tol, bound=bound, max_steps=max_steps,
                          batch_size=batch_size, adam_steps=adam_steps, adam_lr=adam_lr,
                          bound_holds_roots=bound_holds_roots)
    inputs_np = inputs_np.astype(dtype)
    st = jax.tree.map(lambda x: x.reshape(k_in, -1, *x.shape[1:]), solved)
    extra, n_warm, n_defl = None, np.zeros(k_in, np.int64), np.zeros(k_in, np.int64)
    if deflation or neighbours is not None:
        roots = [st.h[k][st.code[k] == FIXED_POINT] for k in range(k_in)]
        errs = [st.error[k][st.code[k] == FIXED_POINT] for k in range(k_in)]
        # one representative per root, so that the deflation operator has few factors
        for k in range(k_in):
            lab, reps = _unique(roots[k], np.zeros(len(roots[k]), np.int8), errs[k],
                                np.zeros(len(roots[k])), tol)
            roots[k], errs[k] = roots[k][reps], errs[k][reps]
        extra, n_warm, n_defl = complete(
            cell, inputs_np, roots, errs, st.starts, key=jr.fold_in(key, 2**20), tol=tol,
            bound=bound, neighbours=neighbours, deflation=deflation)
    return _collect(cell, inputs_np, st, extra, n_warm, n_defl, tol, outlier_distance,
                    eigenvalues)


def _with_extra(st, extra, k):
    """The solves of input k: its starts, then the roots added after the Newton pass."""
    h, code, err, q, r = st.h[k], st.code[k], st.error[k], st.q[k], st.r[k]
    source = np.zeros(len(h), np.int8)
    if extra is None or not len(extra.h[k]):
        return h, code, err, q, r, source
    n = len(extra.h[k])
    return (np.concatenate([h, extra.h[k]]), np.concatenate([code, np.zeros(n, code.dtype)]),
            np.concatenate([err, extra.error[k]]),
            np.concatenate([q, 0.5 * np.sum(extra.r[k].astype(np.float64) ** 2, -1)]),
            np.concatenate([r, extra.r[k]]), np.concatenate([source, extra.source[k]]))


def _collect(cell, inputs, st: Solved, extra, n_warm, n_defl, tol, outlier_distance,
             with_eigs) -> FixedPoints:
    k_in = inputs.shape[0]
    used = st.starts
    n_starts, hidden = used.shape[1:]
    found = []
    labels = np.full((k_in, n_starts), -1, dtype=np.int32)
    solves = []
    for k in range(k_in):
        h, code, err, q, _, source = sol = _with_extra(st, extra, k)
        solves.append(sol)
        lab, reps = _unique(h, code, err, q, tol)
        labels[k] = lab[:n_starts]
        first = np.full(len(reps), 3, np.int8)
        np.minimum.at(first, lab[lab >= 0], source[lab >= 0])
        found.append((reps, _outliers(h, code, lab, reps, outlier_distance),
                      np.bincount(lab[lab >= 0], minlength=len(reps)), first))
    width = max([1] + [len(f[0]) for f in found])
    dt = used.dtype
    points = np.full((k_in, width, hidden), np.nan, dt)
    status = np.full((k_in, width), -1, np.int8)
    fq, fres, ferr = (np.full((k_in, width), np.nan, dt) for _ in range(3))
    support = np.zeros((k_in, width), np.int32)
    outlier = np.zeros((k_in, width), bool)
    found_by = np.full((k_in, width), -1, np.int8)
    for k, (reps, flags, counts, first) in enumerate(found):
        m = len(reps)
        h, code, err, q, r, _ = solves[k]
        points[k, :m] = h[reps]
        status[k, :m] = code[reps]
        fq[k, :m] = q[reps]
        fres[k, :m] = np.max(np.abs(r[reps]), axis=-1)
        ferr[k, :m] = err[reps]
        support[k, :m] = counts
        outlier[k, :m] = flags
        found_by[k, :m] = first
    eigs, radius = None, np.full((k_in, width), np.nan, dt)
    n_unstable = np.full((k_in, width), -1, np.int32)
    if with_eigs:
        n_rows = k_in * width
        jac = _jacobians(cell, pad_rows(jnp.asarray(np.repeat(inputs, width, 0))),
                         pad_rows(jnp.asarray(points.reshape(-1, hidden))))
        vals, _ = eigen(jac[:n_rows])
        eigs = np.asarray(vals).reshape(k_in, width, hidden)
        radius = np.max(np.abs(eigs), axis=-1).astype(dt)
        valid = status >= 0
        n_unstable = np.where(valid, np.sum(np.abs(eigs) > 1.0, axis=-1), -1).astype(np.int32)
    return FixedPoints(
        inputs=inputs, points=points, status=status, q=fq, residual=fres, error=ferr,
        support=support, outlier=outlier, found_by=found_by, n_warm=n_warm.astype(np.int32),
        n_deflated=n_defl.astype(np.int32), eigenvalues=eigs, spectral_radius=radius,
        n_unstable=n_unstable, start_status=st.code.astype(np.int8), start_point=labels,
        start_q=st.q.astype(dt), start_steps=st.steps.astype(np.int32), starts=used,
        finals=st.h)


@eqx.filter_jit
def _jacobians(cell, u, h):
    safe = jnp.where(jnp.isfinite(h), h, 0.0)
    jac = jax.vmap(lambda u1, h1: state_jacobian(cell, u1, h1))(u, safe)
    return jnp.where(jnp.all(jnp.isfinite(h), axis=-1)[:, None, None], jac, jnp.nan)
