"""Force fields that disturb the point mass, and how they are sampled.

Each field is a small module holding its per-trial parameters; batches of trials are batched
modules (leading trial axis on every array), which `jax.vmap` maps over.
"""

import abc

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr

from ._types import Array, Float, Key, State, Vec2

FIELD_TYPES = ("curl", "constant")


class AbstractField(eqx.Module):
    """A disturbance force as a function of the plant state."""

    @abc.abstractmethod
    def __call__(self, state: State) -> Vec2:
        """Force (2,) added to the control force at `state`."""


class CurlField(AbstractField):
    """Velocity-dependent curl field f = a·(−v_y, v_x); positive a pushes counter-clockwise (left)."""

    amplitude: Float[Array, "*trials"]  # a scalar per trial; batched fields carry a trial axis

    def __call__(self, state: State) -> Vec2:
        vx, vy = state[2], state[3]
        return self.amplitude * jnp.stack([-vy, vx])


class ConstantField(AbstractField):
    """State-independent force, constant within a trial."""

    force: Float[Array, "*trials 2"]

    def __call__(self, state: State) -> Vec2:
        return self.force


def training_fields(key: Key, field_type: str, std: float, n: int,
                    scale: Float[Array, " n"] | None = None) -> tuple[AbstractField, Float[Array, " n"]]:
    """Sample `n` training fields (SPEC §1.6).

    Curl: amplitude = scale·σ·z, z ~ N(0, 1). Constant: force = scale·σ·λ·(cos θ, sin θ),
    λ ~ N(0, 1), θ ~ U(−π, π).

    Arguments:
        key: PRNG key.
        field_type: `"curl"` or `"constant"`.
        std: training disturbance σ.
        n: number of trials.
        scale: optional per-trial factor (PAI-ASF's s, BCS's on/off); default 1.

    Returns:
        `(fields, z)`: a batched field (leading axis n) and the unscaled standard-normal
        magnitude per trial (z for curl, λ for constant), which DAI gives the network as |z|.
    """
    check_field_type(field_type)
    scale = jnp.ones(n) if scale is None else scale
    k_z, k_theta = jr.split(key)
    z = jr.normal(k_z, (n,))
    if field_type == "curl":
        return CurlField(amplitude=scale * std * z), z
    theta = jr.uniform(k_theta, (n,), minval=-jnp.pi, maxval=jnp.pi)
    direction = jnp.stack([jnp.cos(theta), jnp.sin(theta)], axis=-1)
    return ConstantField(force=(scale * std * z)[:, None] * direction), z


def evaluation_fields(field_type: str, amplitude: Float[Array, " n"],
                      reach_angle: Float[Array, " n"]) -> AbstractField:
    """Fixed evaluation fields (SPEC §1.6), one per trial.

    Curl: the given amplitude for every trial. Constant: the given magnitude pointing
    orthogonally left of each reach, i.e. along (−sin φ, cos φ) for reach angle φ (rad).
    """
    check_field_type(field_type)
    if field_type == "curl":
        return CurlField(amplitude=amplitude)
    left = jnp.stack([-jnp.sin(reach_angle), jnp.cos(reach_angle)], axis=-1)
    return ConstantField(force=amplitude[:, None] * left)


def check_field_type(field_type: str) -> None:
    if field_type not in FIELD_TYPES:
        raise ValueError(f"field type must be one of {FIELD_TYPES}, got {field_type!r}")
