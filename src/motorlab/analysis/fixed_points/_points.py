"""Fixed points of trained controllers per condition (SPEC §2.10–2.11), as table rows.

The drivers take controllers (one per replicate, or an ensemble stacked on axis 0; any
`AbstractRecurrentMap`) plus a function building the network input:

    make_input(target_pos (2,), target_vel (2,), fb_pos (2,), fb_vel (2,), sisu | None) -> (I,)

`default_make_input` is the documented order (target position, target velocity, feedback
position, feedback velocity, [SISU]).

Tables (one row per unique point):

- `steady_state_fixed_points`: points of the steady-state map (target = feedback = a grid
  position, zero velocities, SISU fixed) per replicate × position × SISU (× feedback velocity).
- `reach_fixed_points`: "goal_goal" (target = feedback = goal) and "init_goal" (target = goal,
  feedback = start) points per replicate × condition × SISU.

The primary point of each condition is linearised (`linearise`), adding the columns of
`LINEARISATION_COLUMNS` (NaN on other rows): trace, logabsdet and det_sign of J = ∂F/∂h;
ct_trace and ct_logabsdet of the continuous-time equivalent (μ = log λ / dt; NaN without `dt`);
sigma_min = σ_min(I − J); input_sv_max = the largest singular value of B = ∂F/∂u; sensitivity =
‖dh*/du‖₂ = ‖(I − J)⁻¹ B‖₂, and sensitivity_<block> for each input block (`INPUT_BLOCKS`:
target_pos, target_vel, fb_pos, fb_vel, sisu; the largest singular value of those columns, so
sensitivity_sisu = ‖dh*/dSISU‖₂); hessian_norm and hessian_min_eig: spectral norm and smallest
eigenvalue of the Hessian of q(h) = ½‖F(u, h) − h‖² (= (J − I)ᵀ(J − I) at a root, so it
repeats σ(I − J)); curvature = ‖D²F(h*)‖, the second-order term of the map (`map_curvature`),
and linear_radius = sigma_min / curvature, the distance (Euclidean, hidden units) within which
the linearisation dominates the residual.

Each unique point has a `primary` flag: per condition, the verified fixed point nearest the
given reference hidden state (e.g. the evaluated steady state), else the stable one reached by
most starts, else the one reached by most starts. Conditions without a verified fixed point get
one row with `fp` = −1 and status "none", so that missing points stay visible.
"""

from collections.abc import Callable, Sequence

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd
from jaxtyping import Float, PRNGKeyArray

from ...sim._controllers import AbstractController
from ...sim._inputs import input_blocks, network_input
from ...sim._recurrent import AbstractRecurrentMap
from ...sim._setup import replicate
from ._find import FIXED_POINT, STATUS_NAMES, find_fixed_points
from ._linearise import linearise, map_curvature

MakeInput = Callable[..., np.ndarray]

INPUT_BLOCKS = input_blocks(1)
"""Input blocks of `default_make_input` (column indices of the input vector; the order is
`motorlab.sim`'s, defined once in `sim/_inputs.py`)."""

LINEARISATION_COLUMNS = ("trace", "logabsdet", "det_sign", "ct_trace", "ct_logabsdet",
                         "sigma_min", "input_sv_max", "sensitivity", "hessian_norm",
                         "hessian_min_eig", "curvature", "linear_radius")
"""Columns added to point tables for primary points (plus sensitivity_<block> per block)."""


def default_make_input(target_pos, target_vel, fb_pos, fb_vel, sisu=None) -> np.ndarray:
    """The input vector (I,) float32 in the order of `motorlab.sim.network_input`; SISU appended
    when not None."""
    f = lambda x: jnp.asarray(np.asarray(x, np.float32).ravel())  # noqa: E731
    return np.asarray(network_input(f(target_pos), f(target_vel), f(fb_pos), f(fb_vel),
                                    f([] if sisu is None else [sisu])))


def replicates(cells: Sequence[AbstractRecurrentMap] | AbstractController
               ) -> list[AbstractRecurrentMap]:
    """A list of maps from a sequence of maps, or from a controller ensemble (a controller whose
    arrays have a leading replicate axis, as `make_ensemble` builds)."""
    if isinstance(cells, (list, tuple)):
        return list(cells)
    return [replicate(cells, r) for r in range(cells.readout.weight.shape[0])]


def _per_replicate(x, n: int, name: str):
    if x is None or isinstance(x, (list, tuple)):
        out = [None] * n if x is None else list(x)
    else:
        out = [np.asarray(x)[r] for r in range(np.shape(x)[0])]
    if len(out) != n:
        raise ValueError(f"{name} must have one entry per replicate ({n}), got {len(out)}")
    return out


def _point_rows(fps, meta: pd.DataFrame, references) -> pd.DataFrame:
    """Rows of the unique points of a `FixedPoints`, with `meta` (one row per input) joined."""
    rows = []
    for k in range(fps.status.shape[0]):
        valid = np.flatnonzero(fps.status[k] >= 0)
        fixed = valid[fps.status[k, valid] == FIXED_POINT]
        primary = -1
        if fixed.size:
            if references is not None and np.all(np.isfinite(references[k])):
                d = np.linalg.norm(fps.points[k, fixed] - references[k], axis=1)
                primary = fixed[np.argmin(d)]
            else:
                stable = fixed[fps.spectral_radius[k, fixed] < 1.0]
                pool = stable if stable.size else fixed
                primary = pool[np.argmax(fps.support[k, pool])]
        base = meta.iloc[k].to_dict()
        if not fixed.size:
            rows.append({**base, "fp": -1, "status": "none", "primary": False, "q": np.nan,
                         "residual": np.nan, "error": np.nan, "support": 0, "outlier": False,
                         "n_unstable": -1, "spectral_radius": np.nan, "h": None,
                         "eigenvalues": None})
        for m in valid:
            rows.append({**base, "fp": int(m), "status": STATUS_NAMES[fps.status[k, m]],
                         "primary": bool(m == primary), "q": fps.q[k, m],
                         "residual": fps.residual[k, m], "error": fps.error[k, m],
                         "support": int(fps.support[k, m]), "outlier": bool(fps.outlier[k, m]),
                         "n_unstable": int(fps.n_unstable[k, m]),
                         "spectral_radius": fps.spectral_radius[k, m],
                         "h": fps.points[k, m].astype(np.float32),
                         "eigenvalues": None if fps.eigenvalues is None
                         else fps.eigenvalues[k, m]})
    out = pd.DataFrame(rows)
    for col in ("q", "residual", "error", "spectral_radius"):
        out[col] = out[col].astype(np.float32)
    out["support"] = out["support"].astype(np.int32)
    out["n_unstable"] = out["n_unstable"].astype(np.int16)
    out["outlier"] = out["outlier"].astype(bool)
    out["fp"] = out["fp"].astype(np.int16)
    out["stable"] = (out["spectral_radius"] < 1.0) & (out["status"] == "fixed_point")
    return out


def linearisation_columns(cell, inputs: Float[np.ndarray, "n i"], points: Float[np.ndarray, "n h"],
                          *, dt: float | None = None, input_blocks=None) -> dict[str, np.ndarray]:
    """Summaries of the linearisation at each (input, point) pair, as table columns.

    Arguments:
        cell: the map (`AbstractRecurrentMap`) of one replicate.
        inputs, points: (N, I) inputs and (N, H) fixed points.
        dt: time step of the map (for ct_trace and ct_logabsdet); optional.
        input_blocks: {name: column indices} of the input; default `INPUT_BLOCKS`, keeping the
            blocks that fit into the I inputs (no sisu block for part-1 inputs).

    Returns:
        {column: (N,) float32 array} for `LINEARISATION_COLUMNS` and sensitivity_<block>
        (see the module docstring).
    """
    inputs = np.asarray(inputs)
    points = np.asarray(points)
    blocks = _input_blocks(input_blocks, inputs.shape[-1])
    lin = linearise(cell, inputs, points, dt=dt)
    sens = np.asarray(lin.input_sensitivity, np.float64)
    with np.errstate(invalid="ignore"):
        hess_eigs = np.linalg.eigvalsh(np.asarray(lin.hessian, np.float64))
    out = {"trace": lin.trace, "logabsdet": lin.logabsdet, "det_sign": lin.det_sign,
           "ct_trace": lin.ct_trace, "ct_logabsdet": lin.ct_logabsdet,
           "sigma_min": lin.sigma_min, "input_sv_max": np.asarray(lin.input_singular_values)[:, 0],
           "sensitivity": _spectral_norm(sens),
           "hessian_norm": np.max(np.abs(hess_eigs), axis=-1),
           "hessian_min_eig": hess_eigs[:, 0]}
    out["curvature"] = map_curvature(cell, inputs, points)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["linear_radius"] = np.asarray(lin.sigma_min, np.float64) / out["curvature"]
    for name, cols in blocks.items():
        out[f"sensitivity_{name}"] = _spectral_norm(sens[..., list(cols)])
    return {k: np.asarray(v, np.float32) for k, v in out.items()}


def _input_blocks(input_blocks, n_in: int) -> dict[str, tuple[int, ...]]:
    """The input blocks to report: the given ones (checked), or those of `INPUT_BLOCKS` that fit."""
    if input_blocks is None:
        return {k: v for k, v in INPUT_BLOCKS.items() if max(v) < n_in}
    blocks = {k: tuple(int(c) for c in v) for k, v in input_blocks.items()}
    for name, cols in blocks.items():
        if not cols or max(cols) >= n_in or min(cols) < 0:
            raise ValueError(f"input block {name!r} has columns {cols}; expected indices into "
                             f"the {n_in} inputs")
    return blocks


def _spectral_norm(mats: np.ndarray) -> np.ndarray:
    """Largest singular value of each matrix (..., m, n); NaN for non-finite matrices."""
    finite = np.all(np.isfinite(mats), axis=(-2, -1))
    safe = np.where(finite[..., None, None], mats, 0.0)
    return np.where(finite, np.linalg.svd(safe, compute_uv=False)[..., 0], np.nan)


def _grid(cells, inputs, meta, *, key, states, references, options, linearise_primary=True,
          dt=None, input_blocks=None) -> pd.DataFrame:
    cells = replicates(cells)
    states = _per_replicate(states, len(cells), "states")
    references = _per_replicate(references, len(cells), "references")
    frames = []
    meta = meta.assign(_input=np.arange(len(meta)))
    blocks = _input_blocks(input_blocks, inputs.shape[-1])
    names = list(LINEARISATION_COLUMNS) + [f"sensitivity_{b}" for b in blocks]
    for r, cell in enumerate(cells):
        fps = find_fixed_points(cell, inputs, key=jr.fold_in(key, r), states=states[r],
                                **options)
        ref = None if references[r] is None else np.asarray(references[r]).reshape(len(meta), -1)
        frame = _point_rows(fps, meta, ref)
        frame.insert(0, "replicate", np.int16(r))
        if linearise_primary:
            prim = np.flatnonzero(frame["primary"].to_numpy())
            cols = linearisation_columns(
                cell, inputs[frame["_input"].to_numpy()[prim].astype(np.int64)],
                np.stack(frame["h"].to_numpy()[prim]), dt=dt,
                input_blocks=blocks) if prim.size else {}
            for name in names:
                col = np.full(len(frame), np.nan, np.float32)
                if prim.size:
                    col[prim] = cols[name]
                frame[name] = col
        frames.append(frame.drop(columns="_input"))
    return pd.concat(frames, ignore_index=True)


def steady_state_fixed_points(cells, positions: Float[np.ndarray, "p 2"],
                              sisu: Sequence[float] | None = None, *, key: PRNGKeyArray,
                              make_input: MakeInput = default_make_input,
                              states=None, references=None,
                              feedback_velocities: Float[np.ndarray, "v 2"] | None = None,
                              dt: float | None = None, linearise_primary: bool = True,
                              input_blocks=None, **finder_options) -> pd.DataFrame:
    """Fixed points of the steady-state map per replicate × position × SISU (SPEC §2.10).

    Arguments:
        cells: the maps, one per replicate (sequence, or a controller ensemble).
        positions: grid positions (P, 2); target = feedback = position, velocities 0.
        sisu: context values (S,); None for part-1 networks (no SISU input).
        key: PRNG key of the finder (folded with the replicate index).
        make_input: builds the input vector (see the module docstring).
        states: candidate hidden states per replicate: (R, ..., H) or a list of R arrays.
        references: per replicate, the hidden state to pick the primary point by, shape
            (R, P, S, V, H) (V = number of feedback velocities); optional.
        feedback_velocities: velocity-feedback offsets (V, 2) added to the steady input
            (SPEC §2.10 feedback-perturbed steady FPs); default [(0, 0)].
        dt: time step of the map, for the continuous-time columns (ct_trace, ct_logabsdet).
        linearise_primary: add the linearisation columns (`LINEARISATION_COLUMNS` and
            sensitivity_<block>) for the primary points; NaN on the other rows.
        input_blocks: {name: input columns} for the sensitivity_<name> columns; default
            `INPUT_BLOCKS` (the layout of `default_make_input`).
        **finder_options: passed to `find_fixed_points` (stride, noise_scales, n_box, ...).

    Returns:
        One row per unique point (see the module docstring) with columns replicate, position,
        pos_x, pos_y, sisu, fb_vel_x, fb_vel_y, fp, status, primary, q, residual, error,
        support, outlier, n_unstable, spectral_radius, stable, h (list of H floats),
        eigenvalues (complex array; split it with `eigenvalue_table` before writing Parquet),
        and the linearisation columns of the primary points (see the module docstring).
    """
    positions = np.asarray(positions, dtype=np.float32).reshape(-1, 2)
    sisu_values = [None] if sisu is None else [float(s) for s in sisu]
    fbv = np.zeros((1, 2), np.float32) if feedback_velocities is None else np.asarray(
        feedback_velocities, np.float32).reshape(-1, 2)
    zero = np.zeros(2, np.float32)
    inputs, meta = [], []
    for p, pos in enumerate(positions):
        for s in sisu_values:
            for v in fbv:
                inputs.append(make_input(pos, zero, pos, v, s))
                meta.append({"position": np.int16(p), "pos_x": pos[0], "pos_y": pos[1],
                             "sisu": np.float32(np.nan if s is None else s),
                             "fb_vel_x": v[0], "fb_vel_y": v[1]})
    return _grid(cells, np.stack(inputs), pd.DataFrame(meta), key=key, states=states,
                 references=references, options=finder_options,
                 linearise_primary=linearise_primary, dt=dt, input_blocks=input_blocks)


def reach_fixed_points(cells, starts: Float[np.ndarray, "c 2"], goals: Float[np.ndarray, "c 2"],
                       sisu: Sequence[float] | None = None, *, key: PRNGKeyArray,
                       make_input: MakeInput = default_make_input, states=None,
                       references=None, dt: float | None = None,
                       linearise_primary: bool = True, input_blocks=None,
                       **finder_options) -> pd.DataFrame:
    """Goal-goal and init-goal fixed points of reaches (SPEC §2.11).

    "goal_goal": target = feedback = goal; "init_goal": target = goal, feedback = start (the
    point the network heads for at the first step). Velocities are 0.

    Arguments:
        cells, key, make_input, states, dt, linearise_primary, input_blocks, finder_options:
            as for `steady_state_fixed_points`.
        starts, goals: start and goal positions of the C conditions, (C, 2).
        sisu: context values (S,), or None.
        references: per replicate, (R, C, S, 2, H) hidden states (kind order goal_goal,
            init_goal) to pick primary points by; optional.

    Returns:
        One row per unique point: replicate, condition, start_x, start_y, goal_x, goal_y,
        sisu, kind, and the point columns of `steady_state_fixed_points`.
    """
    starts = np.asarray(starts, np.float32).reshape(-1, 2)
    goals = np.asarray(goals, np.float32).reshape(-1, 2)
    if starts.shape != goals.shape:
        raise ValueError(f"starts and goals must both be (C, 2), got {starts.shape}, {goals.shape}")
    sisu_values = [None] if sisu is None else [float(s) for s in sisu]
    zero = np.zeros(2, np.float32)
    inputs, meta = [], []
    for c, (a, g) in enumerate(zip(starts, goals)):
        for s in sisu_values:
            for kind, fb in (("goal_goal", g), ("init_goal", a)):
                inputs.append(make_input(g, zero, fb, zero, s))
                meta.append({"condition": np.int32(c), "start_x": a[0], "start_y": a[1],
                             "goal_x": g[0], "goal_y": g[1],
                             "sisu": np.float32(np.nan if s is None else s), "kind": kind})
    return _grid(cells, np.stack(inputs), pd.DataFrame(meta), key=key, states=states,
                 references=references, options=finder_options,
                 linearise_primary=linearise_primary, dt=dt, input_blocks=input_blocks)
