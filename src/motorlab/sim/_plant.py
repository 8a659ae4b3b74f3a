"""The plant: a damped 2-D point mass driven by a force held over each step."""

import abc

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from ._types import Array, Float, State, Vec2

DISCRETISATIONS = ("euler", "exact")


class AbstractPlant(eqx.Module):
    """A discrete-time plant: maps (state, force) to the next state."""

    @abc.abstractmethod
    def step(self, state: State, force: Vec2) -> State:
        """Advance `state` by one time step under `force` (held constant over the step)."""


class PointMass(AbstractPlant):
    """Point mass with viscous damping: dp/dt = v, dv/dt = (f − k_d·v) / m.

    The state is `[p_x, p_y, v_x, v_y]` (position in workspace units, velocity in units/s).
    The force is held constant over each step of length `dt` (zero-order hold).

    Arguments:
        mass: m (> 0).
        damping: viscous coefficient k_d (≥ 0).
        dt: step length in seconds (> 0).
        discretisation: `"euler"` (one explicit Euler step of the continuous vector field, as the
            original research did) or `"exact"` (matrix exponential of the linear system).
    """

    mass: float = eqx.field(static=True)
    damping: float = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    discretisation: str = eqx.field(static=True)
    a_d: Float[Array, "4 4"]
    b_d: Float[Array, "4 2"]

    def __init__(self, mass: float = 1.0, damping: float = 0.05, dt: float = 0.05,
                 discretisation: str = "euler"):
        if not mass > 0:
            raise ValueError(f"PointMass mass must be > 0, got {mass!r}")
        if not damping >= 0:
            raise ValueError(f"PointMass damping must be >= 0, got {damping!r}")
        if not dt > 0:
            raise ValueError(f"PointMass dt must be > 0, got {dt!r}")
        if discretisation not in DISCRETISATIONS:
            raise ValueError(
                f"PointMass discretisation must be one of {DISCRETISATIONS}, got {discretisation!r}"
            )
        self.mass, self.damping, self.dt = float(mass), float(damping), float(dt)
        self.discretisation = discretisation
        a, b = continuous_matrices(self.mass, self.damping)
        if discretisation == "euler":
            a_d, b_d = np.eye(4) + self.dt * a, self.dt * b
        else:
            # Exponential of the augmented system [[A, B], [0, 0]] gives both A_d and B_d (ZOH).
            aug = np.zeros((6, 6))
            aug[:4, :4], aug[:4, 4:] = a, b
            e = scipy.linalg.expm(aug * self.dt)
            a_d, b_d = e[:4, :4], e[:4, 4:]
        self.a_d = jnp.asarray(a_d, dtype=jnp.float32)
        self.b_d = jnp.asarray(b_d, dtype=jnp.float32)

    def step(self, state: State, force: Vec2) -> State:
        return self.a_d @ state + self.b_d @ force


def continuous_matrices(mass: float, damping: float) -> tuple[np.ndarray, np.ndarray]:
    """The continuous-time system dx/dt = A x + B f of a damped point mass.

    Returns:
        `(A, B)` with shapes (4, 4) and (4, 2).
    """
    a = np.zeros((4, 4))
    a[0:2, 2:4] = np.eye(2)
    a[2:4, 2:4] = -damping / mass * np.eye(2)
    b = np.zeros((4, 2))
    b[2:4] = np.eye(2) / mass
    return a, b
