"""Slow regions ("ghosts") along trajectories (issue 14, item 4).

Along a trajectory h_t driven by inputs u_t, the map h ↦ F(u_t, h) is slow where
q_t = ½‖F(u_t, h_t) − h_t‖² is small. Just past a saddle-node (fold) the two roots that met have
vanished, but q keeps a small positive minimum where they were, and a trajectory passing there
lingers (a ghost; Strogatz, Nonlinear Dynamics and Chaos, §4.3): one eigenvalue of ∂F/∂h there
is close to +1. This module finds such places and tells them apart from fixed points:

1. each run of consecutive steps with q_t ≤ `q_threshold` is one candidate, at its minimum of q
   in time (the dwell time is the run's length, in steps);
2. the finder's verified Newton solver (`solve_starts`) is started there with the same input: if
   it verifies a fixed point h* within `fp_radius` of the candidate, or one that q descends to
   all along the segment from the candidate (no barrier of q between them: the candidate lies
   in that fixed point's valley, e.g. a noisy state jittering around it), the trajectory is
   resting at or approaching that fixed point, and the candidate is dropped; otherwise it is a
   slow region (the solver's outcome, e.g. `slow_point` for a ghost's positive minimum of q,
   or `fixed_point` with the distance of a root beyond a barrier, is kept);
3. the spectrum of ∂F/∂h at the candidate gives the largest-modulus eigenvalue and the distance
   of the eigenvalue nearest to +1 (`near_one`, small at a saddle-node remnant).

Units: q in squared hidden-state units, distances in hidden-state units (Euclidean), dwell and
t in steps of the trajectory.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import Float

from ._find import FIXED_POINT, STATUS_NAMES
from ._linearise import Cell, eigen, pad_rows, state_jacobian
from ._solve import default_bound, default_tolerances, solve_starts

SLOW_REGION_COLUMNS = ("trial", "t", "dwell", "q", "status", "solver_q", "fp_distance", "top_abs",
                       "top_real", "top_imag", "near_one", "h")
"""Columns of `slow_regions` (see its docstring)."""


@eqx.filter_jit
def _speeds(cell: Cell, u, h):
    r = jax.vmap(cell.step)(u, h) - h
    return 0.5 * jnp.sum(r.astype(jnp.float32) ** 2, axis=-1)


@eqx.filter_jit
def _jacobians(cell: Cell, u, h):
    return jax.vmap(lambda a, b: state_jacobian(cell, a, b))(u, h)


def trajectory_q(cell: Cell, inputs: Float[np.ndarray, "n t i"], hidden: Float[np.ndarray, "n t h"]
                 ) -> Float[np.ndarray, "n t"]:
    """q_t = ½‖F(u_t, h_t) − h_t‖² at every step of every trajectory (non-finite states give inf)."""
    n, steps, size = hidden.shape
    u = inputs.reshape(n * steps, -1)
    h = hidden.reshape(n * steps, size)
    q = np.asarray(_speeds(cell, pad_rows(jnp.asarray(u), fill=0.0), pad_rows(jnp.asarray(h), fill=0.0)))
    q = q[: n * steps].reshape(n, steps).astype(np.float64)
    return np.where(np.isfinite(q), q, np.inf)


SEGMENT_SAMPLES = 17
"""Points along the segment from a candidate to its root where q is checked for a barrier."""


def _descends(cell: Cell, u, h, root) -> np.ndarray:
    """Whether q decreases (within float noise: 1e-6 of q at the start) at every step along the
    straight segment from each h to its root, sampled at `SEGMENT_SAMPLES` points, (N,)."""
    s = np.linspace(0.0, 1.0, SEGMENT_SAMPLES, dtype=h.dtype)
    path = h[:, None] + s[None, :, None] * (root - h)[:, None]  # (N, S, H)
    n = len(h)
    q = trajectory_q(cell, np.broadcast_to(u[:, None], (n, SEGMENT_SAMPLES, u.shape[-1])), path)
    rise = np.max(np.diff(q, axis=1), axis=1)
    return rise <= 1e-6 * q[:, 0] + 1e-12


def _runs(below: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate([[0], below.astype(np.int8), [0]]))
    return [(int(a), int(b)) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


def slow_regions(cell: Cell, inputs: Float[np.ndarray, "n t i"] | Float[np.ndarray, "n i"],
                 hidden: Float[np.ndarray, "n t h"], *, q_threshold: float, fp_radius: float,
                 max_steps: int = 100, bound: float | None = None) -> pd.DataFrame:
    """Slow regions of trajectories that are not fixed points (see the module docstring).

    Arguments:
        cell: the map (`AbstractRecurrentMap`) of one replicate.
        inputs: the input of every step (N, T, I), or one fixed input per trajectory (N, I).
        hidden: the hidden states (N, T, H).
        q_threshold: a step is slow when q_t ≤ q_threshold (squared hidden units; > 0).
        fp_radius: a candidate within this distance of a verified fixed point of its input is
            that fixed point's neighbourhood, not a slow region (hidden units; > 0).
        max_steps: Newton iterations of the check.
        bound: search box of the check; default the map's `root_bound` (else 1e3).

    Returns:
        One row per slow region: trial, t (step of the minimum of q), dwell (steps in the run
        with q ≤ q_threshold), q (at t), status (the Newton solver's outcome from h_t:
        `slow_point`, `unconverged`, `diverged`, or `fixed_point` when the root it verified lies
        farther than `fp_radius`), solver_q (q where it ended), fp_distance (distance to that
        far root, NaN otherwise), top_abs / top_real / top_imag (the largest-modulus eigenvalue
        of ∂F/∂h at h_t), near_one (min |λ − 1|), h (H floats).
    """
    if not q_threshold > 0 or not fp_radius > 0:
        raise ValueError(f"q_threshold and fp_radius must be > 0, got {q_threshold!r} and {fp_radius!r}")
    hidden = np.asarray(hidden)
    if hidden.ndim != 3:
        raise ValueError(f"hidden must be (N, T, H), got shape {hidden.shape}")
    n, steps, size = hidden.shape
    inputs = np.asarray(inputs)
    if inputs.ndim == 2:
        inputs = np.broadcast_to(inputs[:, None], (n, steps, inputs.shape[-1]))
    if inputs.shape[:2] != (n, steps):
        raise ValueError(f"inputs must be (N, T, I) or (N, I) with N, T = {n}, {steps}; got {inputs.shape}")
    dtype = cell.dtype if cell.dtype is not None else np.result_type(hidden.dtype, np.float32)
    q = trajectory_q(cell, inputs.astype(dtype), hidden.astype(dtype))
    cands = []
    for i in range(n):
        for lo, hi in _runs(q[i] <= q_threshold):
            cands.append((i, lo + int(np.argmin(q[i, lo:hi])), hi - lo))
    if not cands:
        return _empty(size)
    trial, t, dwell = (np.asarray(c) for c in zip(*cands))
    u, h = inputs[trial, t].astype(dtype), hidden[trial, t].astype(dtype)
    tol = default_tolerances(dtype)
    solved = solve_starts(cell, u, h, tolerances=tol, bound=default_bound(cell) if bound is None else bound,
                          max_steps=max_steps)
    dist = np.linalg.norm(solved.h.astype(np.float64) - h, axis=-1)
    fixed = solved.code == FIXED_POINT
    keep = ~(fixed & ((dist <= fp_radius) | _descends(cell, u, h, solved.h)))
    if not keep.any():
        return _empty(size)
    jac = np.asarray(_jacobians(cell, pad_rows(jnp.asarray(u[keep]), fill=0.0),
                                pad_rows(jnp.asarray(h[keep]), fill=0.0)))[: keep.sum()]
    lam, _ = eigen(jnp.asarray(jac))
    lam = np.asarray(lam)
    top = lam[:, 0]
    out = pd.DataFrame({
        "trial": trial[keep].astype(np.int32), "t": t[keep].astype(np.int16), "dwell": dwell[keep].astype(np.int16),
        "q": q[trial, t][keep].astype(np.float32),
        "status": [STATUS_NAMES[c] for c in solved.code[keep]],
        "solver_q": solved.q[keep].astype(np.float32),
        "fp_distance": np.where(fixed[keep], dist[keep], np.nan).astype(np.float32),
        "top_abs": np.abs(top).astype(np.float32), "top_real": top.real.astype(np.float32),
        "top_imag": top.imag.astype(np.float32),
        "near_one": np.min(np.abs(lam - 1.0), axis=-1).astype(np.float32)})
    out["h"] = list(h[keep].astype(np.float32))
    return out


def _empty(size: int) -> pd.DataFrame:
    dtypes = {"trial": np.int32, "t": np.int16, "dwell": np.int16, "q": np.float32, "status": object,
              "solver_q": np.float32, "fp_distance": np.float32, "top_abs": np.float32,
              "top_real": np.float32, "top_imag": np.float32, "near_one": np.float32, "h": object}
    return pd.DataFrame({c: np.zeros(0, dtypes[c]) for c in SLOW_REGION_COLUMNS})


def slow_region_table(cells, *, steady_hidden: Float[np.ndarray, "r s p t h"] | None,
                      steady_inputs: Float[np.ndarray, "s p i"] | None, steady_pcas,
                      reach_hidden: Float[np.ndarray, "r a s d t h"] | None,
                      reach_inputs: Float[np.ndarray, "r a s d t i"] | None, reach_pcas,
                      sisu, amps, q_threshold: float, fp_radius: float, n_pcs: int = 3) -> pd.DataFrame:
    """`slow_regions` of the steady-state and reach trajectories of every replicate, as one table.

    Steady trajectories (one evaluation per SISU × grid position) are taken with their steady
    map's input (the map whose fixed points the `points` table holds); reaches with the input
    of each step (the maps of the fixed-point trajectories).

    Arguments:
        cells: one map per replicate.
        steady_hidden, steady_inputs: hidden states and the steady input per SISU × position.
        steady_pcas, reach_pcas: per replicate, the PCA of the steady and of the reach points.
        reach_hidden, reach_inputs: per replicate × field amplitude × SISU × direction; None: no
            reaches.
        sisu: the SISU values (None for part 1); amps: the field amplitudes of the reaches.
        q_threshold, fp_radius: see `slow_regions`.

    Returns:
        The `slow_regions` columns with replicate, kind ("steady" / "reach"), sisu, position
        (steady; −1 for reaches), direction and amp (reaches; −1 and NaN for steady), and pc1…
        (the replicate's steady PCA for steady rows, n_pcs; its reach PCA for reach rows, 3).
    """
    from ._summaries import pca_columns

    sisu_arr = np.asarray([np.nan] if sisu is None else sisu, np.float32)
    frames = []
    for r, cell in enumerate(cells):
        n_s, n_p, n_t, size = steady_hidden[r].shape
        reg = slow_regions(cell, steady_inputs.reshape(n_s * n_p, -1), steady_hidden[r].reshape(n_s * n_p, n_t, size),
                           q_threshold=q_threshold, fp_radius=fp_radius)
        s_i, p_i = np.divmod(reg["trial"].to_numpy(), n_p)
        reg = reg.assign(replicate=np.int16(r), kind="steady", sisu=sisu_arr[s_i], position=p_i.astype(np.int16),
                         direction=np.int16(-1), amp=np.float32(np.nan))
        frames.append(pca_columns(steady_pcas[r], reg, n_pcs))
        if reach_hidden is None:
            continue
        n_a, n_s, n_d, n_t, size = reach_hidden[r].shape
        reg = slow_regions(cell, reach_inputs[r].reshape(n_a * n_s * n_d, n_t, -1),
                           reach_hidden[r].reshape(n_a * n_s * n_d, n_t, size),
                           q_threshold=q_threshold, fp_radius=fp_radius)
        a_i, rest = np.divmod(reg["trial"].to_numpy(), n_s * n_d)
        s_i, d_i = np.divmod(rest, n_d)
        reg = reg.assign(replicate=np.int16(r), kind="reach", sisu=sisu_arr[s_i], position=np.int16(-1),
                         direction=d_i.astype(np.int16), amp=np.asarray(amps, np.float32)[a_i])
        frames.append(pca_columns(reach_pcas[r], reg, 3))
    lead = ["replicate", "kind", "sisu", "position", "direction", "amp"]
    if not frames:
        return _empty(0).assign(**{c: np.zeros(0, np.float32) for c in lead})[lead + list(SLOW_REGION_COLUMNS)]
    out = pd.concat(frames, ignore_index=True)
    return out[lead + [c for c in out.columns if c not in lead]]
