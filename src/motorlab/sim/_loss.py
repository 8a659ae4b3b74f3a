"""The training loss (SPEC §1.4): per-trial terms summed over steps 1..K, averaged over trials."""

import equinox as eqx
import jax.numpy as jnp

from ._types import Array, Float

TERMS = ("position", "final_velocity", "control", "hidden")


class LossWeights(eqx.Module):
    """Weights of the loss terms and the position discount exponent."""

    position: float = eqx.field(static=True, default=1.0)
    final_velocity: float = eqx.field(static=True, default=1.0)
    control: float = eqx.field(static=True, default=1e-5)
    hidden: float = eqx.field(static=True, default=1e-5)
    discount_power: float = eqx.field(static=True, default=6.0)


def position_discount(n_steps: int, power: float) -> Float[Array, " k"]:
    """(k/K)^power for k = 1..K, K = n_steps − 1: late errors count most."""
    k = n_steps - 1
    return jnp.linspace(1.0 / k, 1.0, k) ** power


def loss_terms(pos: Float[Array, "n t 2"], vel: Float[Array, "n t 2"], force: Float[Array, "n t 2"],
               hidden: Float[Array, "n t h"], goal: Float[Array, "n 2"], weights: LossWeights
               ) -> dict[str, Float[Array, ""]]:
    """Weighted loss terms, each the batch mean of a per-trial sum over time.

    Arguments:
        pos, vel, force, hidden: trajectories with t = n_steps entries; entry 0 is the initial
            state (not scored).
        goal: goal positions (the target velocity is zero).
        weights: term weights.

    Returns:
        Mapping term name -> weighted scalar: `position` (Σ_k discount_k ‖p_k − goal‖²),
        `final_velocity` (‖v_K‖²), `control` (Σ_k ‖u_k‖²), `hidden` (Σ_k ‖h_k‖²).
    """
    n_steps = pos.shape[1]
    disc = position_discount(n_steps, weights.discount_power)
    pos_err = jnp.sum((pos[:, 1:] - goal[:, None]) ** 2, axis=-1)
    terms = {
        "position": weights.position * jnp.mean(jnp.sum(disc[None, :] * pos_err, axis=-1)),
        "final_velocity": weights.final_velocity * jnp.mean(jnp.sum(vel[:, -1] ** 2, axis=-1)),
        "control": weights.control * jnp.mean(jnp.sum(force[:, 1:] ** 2, axis=(-1, -2))),
        "hidden": weights.hidden * jnp.mean(jnp.sum(hidden[:, 1:] ** 2, axis=(-1, -2))),
    }
    return terms
