"""The finder's optimisation curves (the seed's "FP optimisation loss curves"): q at every
iteration of the verified trust-region Newton solver, for a few chosen starts."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import Float

from ._linearise import Cell
from ._solve import STATUS_NAMES, Tolerances, _init, _step, bound_holds_all_roots, default_bound, default_tolerances


@eqx.filter_jit
def _trace(cell: Cell, u, h0, tol: Tolerances, bound: float, holds_roots: bool, max_steps: int):
    state = jax.vmap(lambda u1, h1: _init(cell, u1, h1, tol, bound, holds_roots, jnp.array(True)))(u, h0)
    step = jax.vmap(lambda u1, s1: _step(cell, u1, s1, tol, bound, holds_roots))

    def body(st, _):
        st = step(u, st)
        return st, 0.5 * jnp.sum(st.r.astype(jnp.float32) ** 2, axis=-1)

    final, qs = jax.lax.scan(body, state, None, length=max_steps)
    q0 = 0.5 * jnp.sum(state.r.astype(jnp.float32) ** 2, axis=-1)
    return jnp.concatenate([q0[None], qs]), final.code, final.steps


def solver_curves(cell: Cell, inputs: Float[np.ndarray, "n i"], starts: Float[np.ndarray, "n h"], *,
                  max_steps: int = 100, bound: float | None = None,
                  tolerances: Tolerances | None = None) -> pd.DataFrame:
    """q = ½‖F(u, h) − h‖² at each iteration of the finder's solver (`solve_starts`' trust-region
    Newton, same tolerances and box) from each start, until it stops.

    Arguments:
        cell: the map; inputs, starts: one input (N, I) and one start (N, H) per curve.
        max_steps, bound, tolerances: as for `find_fixed_points`.

    Returns:
        One row per start × iteration 0 … its last: start, iteration, q (squared hidden units),
        status (the start's outcome, `STATUS_NAMES`), steps (iterations it took).
    """
    starts = np.asarray(starts)
    dtype = cell.dtype if cell.dtype is not None else np.result_type(starts.dtype, np.float32)
    bound = default_bound(cell) if bound is None else float(bound)
    tol = tolerances if tolerances is not None else default_tolerances(dtype)
    qs, code, steps = _trace(cell, jnp.asarray(np.asarray(inputs), dtype), jnp.asarray(starts, dtype), tol, bound,
                             bound_holds_all_roots(cell, bound), int(max_steps))
    qs, code, steps = np.asarray(qs), np.asarray(code), np.asarray(steps)
    rows = [pd.DataFrame({"start": np.int16(j), "iteration": np.arange(steps[j] + 1, dtype=np.int16),
                          "q": qs[: steps[j] + 1, j].astype(np.float64), "status": STATUS_NAMES[int(code[j])],
                          "steps": np.int16(steps[j])}) for j in range(len(starts))]
    return pd.concat(rows, ignore_index=True)


def solver_curve_table(cells, steady_hidden: Float[np.ndarray, "e r s p t h"], inputs: Float[np.ndarray, "s p i"],
                       sisu, *, n_starts: int, stride: int, position: int) -> pd.DataFrame:
    """`solver_curves` of every replicate at one steady condition: grid position `position` at
    the SISU value nearest 0, from `n_starts` of its candidate states (strided by `stride`, then
    evenly spaced).

    Returns:
        The `solver_curves` columns with replicate, position and sisu; empty when `n_starts` is 0.
    """
    s = int(np.argmin(np.abs(np.asarray(sisu)))) if sisu is not None else 0
    frames = []
    for r, cell in enumerate(cells if n_starts else []):
        states = steady_hidden[:, r, s, position].reshape(-1, steady_hidden.shape[-1])[::stride]
        pick = states[np.unique(np.linspace(0, len(states) - 1, n_starts).astype(int))]
        curves = solver_curves(cell, np.repeat(inputs[s, position][None], len(pick), 0), pick)
        frames.append(curves.assign(replicate=np.int16(r), position=np.int16(position),
                                    sisu=np.float32(np.nan if sisu is None else sisu[s])))
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in (
            ("start", np.int16), ("iteration", np.int16), ("q", float), ("status", str), ("steps", np.int16),
            ("replicate", np.int16), ("position", np.int16), ("sisu", np.float32))})
    return pd.concat(frames, ignore_index=True)
