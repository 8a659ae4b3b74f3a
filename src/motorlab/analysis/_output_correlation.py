"""The output correlation of a network's activity (SPEC §2.1): how much of its variation the
readout turns into output. One implementation for NumPy (stored arrays, float64) and JAX (inside
the evaluation's `jit`/`vmap`)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Float


def output_correlation(
    hidden: Float[np.ndarray, "*trial time hidden"] | Float[jax.Array, "*trial time hidden"],
    readout_weight: Float[np.ndarray, "*wtrial 2 hidden"] | Float[jax.Array, "*wtrial 2 hidden"],
) -> Float[np.ndarray, " *trial"] | Float[jax.Array, " *trial"]:
    """How much of the network's activity variation the readout turns into output (SPEC §2.1).

    Activities are centred in time within each trial, h̃ = h − mean_t h; then
    corr = ‖W h̃‖_F / (‖W‖_F ‖h̃‖_F), with Frobenius norms over (time, ·). It lies in [0, 1]: 1
    when activity moves only along the readout's strongest direction, 0 when it stays in the
    readout's null space. A trial with constant activity has no variation and gives NaN.

    One implementation for both uses: with NumPy inputs it computes in float64 (analysis of
    stored arrays); with JAX inputs (also traced, inside `jit`/`vmap`) it stays in JAX at the
    inputs' dtype with full-precision matrix products, so the evaluation can compute it on the
    device from hidden states that are never stored.

    Arguments:
        hidden: hidden states, shape (..., time, hidden), e.g. (trials, time, H) or the
            (eval, replicate, condition, time, hidden) array stored next to a states table.
        readout_weight: readout matrix W, shape (2, hidden), or with leading dimensions that
            broadcast against hidden's (e.g. (replicate, 1, 2, hidden) for the 5-D array).

    Returns:
        The correlation per trial, shape (...): float64 NumPy for NumPy inputs, a JAX array
        otherwise.
    """
    if isinstance(hidden, jax.Array) or isinstance(readout_weight, jax.Array):
        xp, h, w = jnp, jnp.asarray(hidden), jnp.asarray(readout_weight)
        einsum = functools.partial(jnp.einsum, precision=jax.lax.Precision.HIGHEST)
    else:
        xp = np
        h, w = np.asarray(hidden, dtype=np.float64), np.asarray(readout_weight, dtype=np.float64)
        einsum = np.einsum
    if h.ndim < 2 or w.ndim < 2 or w.shape[-1] != h.shape[-1]:
        raise ValueError(
            f"hidden shape {h.shape} and readout_weight shape {w.shape}; expected "
            "(..., time, H) and (..., outputs, H) with the same H"
        )
    centred = h - xp.mean(h, axis=-2, keepdims=True)
    output = einsum("...th,...oh->...to", centred, w)
    numerator = xp.sqrt(xp.sum(output**2, axis=(-2, -1)))
    denominator = xp.sqrt(xp.sum(w**2, axis=(-2, -1))) * xp.sqrt(xp.sum(centred**2, axis=(-2, -1)))
    positive = denominator > 0
    return xp.where(positive, numerator / xp.where(positive, denominator, 1), xp.nan)
