"""Sensory feedback (delay queue + noise) and motor (efferent) noise."""

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr

from ._types import Array, Float, Key, State, Vec2


class FeedbackChannel(eqx.Module):
    """Position and velocity feedback delayed by `delay` steps plus Gaussian noise N(0, σ²).

    The queue holds the `delay` states before the current one, pre-filled with the initial state
    (not zeros), so for the first `delay` steps the network sees where the effector started.
    """

    delay: int = eqx.field(static=True)
    noise_std: float = eqx.field(static=True)

    def __check_init__(self):
        if not (isinstance(self.delay, int) and self.delay >= 0):
            raise ValueError(f"feedback delay must be an integer >= 0 steps, got {self.delay!r}")
        if not self.noise_std >= 0:
            raise ValueError(f"feedback noise std must be >= 0, got {self.noise_std!r}")

    def init(self, state: State) -> Float[Array, "delay 4"]:
        """The initial queue: `delay` copies of the initial state."""
        return jnp.broadcast_to(state, (self.delay, 4))

    def __call__(self, queue: Float[Array, "delay 4"], state: State, key: Key,
                 offset: State | None = None) -> tuple[Float[Array, "delay 4"], State]:
        """Push `state`, pop the state from `delay` steps ago, add `offset` then noise.

        Arguments:
            queue: the states of the previous `delay` steps, oldest first.
            state: the current plant state.
            key: PRNG key for the noise.
            offset: optional feedback impulse (4,), added after the delay and before the noise.

        Returns:
            `(new_queue, observation)`; the observation is `[p_x, p_y, v_x, v_y]` as sensed.
        """
        full = jnp.concatenate([queue, state[None]], axis=0)
        observed = full[0]
        if offset is not None:
            observed = observed + offset
        if self.noise_std > 0:
            observed = observed + self.noise_std * jr.normal(key, (4,))
        return full[1:], observed


class MotorNoise(eqx.Module):
    """Efferent noise u = o + o⊙ε_m + ε_a, ε_m ~ N(0, σ²), ε_a ~ N(0, (ratio·σ)²) (SPEC §1.3)."""

    std: float = eqx.field(static=True)
    additive_ratio: float = eqx.field(static=True, default=1.8)

    def __check_init__(self):
        if not self.std >= 0:
            raise ValueError(f"motor noise std must be >= 0, got {self.std!r}")

    def __call__(self, output: Vec2, key: Key) -> Vec2:
        if self.std == 0:
            return output
        k_mult, k_add = jr.split(key)
        mult = self.std * jr.normal(k_mult, output.shape)
        add = self.additive_ratio * self.std * jr.normal(k_add, output.shape)
        return output + output * mult + add
