"""Force fields that disturb the point mass, and how they are sampled.

Each field is a small final class holding its per-trial parameters; batches of trials are batched
modules (leading trial axis on every array), which `jax.vmap` maps over. Each class also says
how its training fields are sampled (`sample`) and what its evaluation field of a given
amplitude is (`at_amplitude`). `FIELD_TYPES` registers them by the name a config uses
(`pert.type`); adding a field is one class and one registry entry.
"""

import abc

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr

from ._registry import Registry
from ._types import Array, Float, Key, Scalar, State, Vec2


class AbstractField(eqx.Module):
    """A disturbance force as a function of the plant state."""

    @abc.abstractmethod
    def __call__(self, state: State) -> Vec2:
        """Force (2,) added to the control force at `state`."""

    @classmethod
    @abc.abstractmethod
    def sample(cls, key: Key, std: float | Scalar, n: int, scale: Float[Array, " n"]
               ) -> tuple["AbstractField", Float[Array, " n"]]:
        """`n` training fields of disturbance σ = `std`, scaled per trial by `scale`.

        Returns:
            `(fields, z)`: a batched field (leading axis n) and the unscaled standard-normal
            magnitude z per trial (which DAI gives the network as |z|).
        """

    @classmethod
    @abc.abstractmethod
    def at_amplitude(cls, amplitude: Float[Array, " n"], reach_angle: Float[Array, " n"]
                     ) -> "AbstractField":
        """Fixed evaluation fields, one per trial, of the given amplitude (SPEC §1.6); the
        reach angle φ (rad) orients fields that have a direction."""


class CurlField(AbstractField):
    """Velocity-dependent curl field f = a·(−v_y, v_x); positive a pushes counter-clockwise (left).

    Training: a = scale·σ·z, z ~ N(0, 1). Evaluation: a = the amplitude."""

    amplitude: Float[Array, "*trials"]  # a scalar per trial; batched fields carry a trial axis

    def __call__(self, state: State) -> Vec2:
        vx, vy = state[2], state[3]
        return self.amplitude * jnp.stack([-vy, vx])

    @classmethod
    def sample(cls, key: Key, std: float | Scalar, n: int, scale: Float[Array, " n"]
               ) -> tuple["CurlField", Float[Array, " n"]]:
        z = jr.normal(jr.split(key)[0], (n,))
        return cls(amplitude=scale * std * z), z

    @classmethod
    def at_amplitude(cls, amplitude: Float[Array, " n"], reach_angle: Float[Array, " n"]) -> "CurlField":
        return cls(amplitude=amplitude)


class ConstantField(AbstractField):
    """State-independent force, constant within a trial.

    Training: force = scale·σ·λ·(cos θ, sin θ), λ ~ N(0, 1), θ ~ U(−π, π). Evaluation: the
    amplitude pointing orthogonally left of the reach, along (−sin φ, cos φ)."""

    force: Float[Array, "*trials 2"]

    def __call__(self, state: State) -> Vec2:
        return self.force

    @classmethod
    def sample(cls, key: Key, std: float | Scalar, n: int, scale: Float[Array, " n"]
               ) -> tuple["ConstantField", Float[Array, " n"]]:
        k_z, k_theta = jr.split(key)
        z = jr.normal(k_z, (n,))
        theta = jr.uniform(k_theta, (n,), minval=-jnp.pi, maxval=jnp.pi)
        direction = jnp.stack([jnp.cos(theta), jnp.sin(theta)], axis=-1)
        return cls(force=(scale * std * z)[:, None] * direction), z

    @classmethod
    def at_amplitude(cls, amplitude: Float[Array, " n"], reach_angle: Float[Array, " n"]) -> "ConstantField":
        left = jnp.stack([-jnp.sin(reach_angle), jnp.cos(reach_angle)], axis=-1)
        return cls(force=amplitude[:, None] * left)


FIELD_TYPES: Registry[type[AbstractField]] = Registry("field type", {"curl": CurlField, "constant": ConstantField})
"""Field classes by the name a config gives (`pert.type`)."""


def training_fields(key: Key, field_type: str, std: float | Scalar, n: int,
                    scale: Float[Array, " n"] | None = None) -> tuple[AbstractField, Float[Array, " n"]]:
    """Sample `n` training fields (SPEC §1.6) of the registered `field_type`.

    Arguments:
        key: PRNG key.
        field_type: a name of `FIELD_TYPES` (`"curl"` or `"constant"`).
        std: training disturbance σ.
        n: number of trials.
        scale: optional per-trial factor (PAI-ASF's s, BCS's on/off); default 1.

    Returns:
        `(fields, z)`: a batched field (leading axis n) and the unscaled standard-normal
        magnitude per trial (z for curl, λ for constant), which DAI gives the network as |z|.
    """
    cls = FIELD_TYPES[field_type]
    return cls.sample(key, std, n, jnp.ones(n) if scale is None else scale)


def evaluation_fields(field_type: str, amplitude: Float[Array, " n"],
                      reach_angle: Float[Array, " n"]) -> AbstractField:
    """Fixed evaluation fields (SPEC §1.6), one per trial, of the registered `field_type`.

    Curl: the given amplitude for every trial. Constant: the given magnitude pointing
    orthogonally left of each reach, i.e. along (−sin φ, cos φ) for reach angle φ (rad).
    """
    return FIELD_TYPES[field_type].at_amplitude(amplitude, reach_angle)


def check_field_type(field_type: str) -> None:
    """Raise the registry's error (a `ValueError`) unless `field_type` is registered."""
    FIELD_TYPES[field_type]
