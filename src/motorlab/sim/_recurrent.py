"""Recurrent maps h' = F(u, h): what the fixed-point analysis needs from a network.

`AbstractRecurrentMap` declares the map, its Jacobians ∂F/∂h and ∂F/∂u, and what is known of
its fixed points (a box holding all of them). Every controller is one (closed-form Jacobians);
`FunctionMap` makes one of any function `(u, h) -> h` (Jacobians by `jax.jacfwd`), for maps
that are not controllers.

Argument order is (inputs, hidden), as in `equinox.nn.GRUCell` and the controllers' `__call__`.
"""

import abc
from collections.abc import Callable
from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp

from ._types import Array, Float


class AbstractRecurrentMap(eqx.Module):
    """A recurrent map h' = F(u, h) with its Jacobians.

    Subclasses provide:
        step(inputs (I,), hidden (H,)) -> (H,): the map F.
        state_jacobian(inputs, hidden) -> (H, H): J = ∂F/∂h.
        input_jacobian(inputs, hidden) -> (H, I): B = ∂F/∂u.
        root_bound: a number b such that every fixed point h* lies in the box |h*_i| < b (e.g.
            1 for maps whose fixed points are h* = tanh(·)), or None when no such box is known.
        hidden_size, input_size: H and I, or None when the map does not know them.
        dtype: dtype of its parameters, or None (then the caller's inputs decide).
    """

    root_bound: eqx.AbstractClassVar[float | None]

    @abc.abstractmethod
    def step(self, inputs: Float[Array, " i"], hidden: Float[Array, " h"]) -> Float[Array, " h"]:
        """F(u, h): the next hidden state."""

    @abc.abstractmethod
    def state_jacobian(self, inputs: Float[Array, " i"], hidden: Float[Array, " h"]
                       ) -> Float[Array, "h h"]:
        """J = ∂F/∂h at (u, h)."""

    @abc.abstractmethod
    def input_jacobian(self, inputs: Float[Array, " i"], hidden: Float[Array, " h"]
                       ) -> Float[Array, "h i"]:
        """B = ∂F/∂u at (u, h)."""

    @property
    @abc.abstractmethod
    def hidden_size(self) -> int | None:
        """H, or None when unknown."""

    @property
    @abc.abstractmethod
    def input_size(self) -> int | None:
        """I, or None when unknown."""

    @property
    @abc.abstractmethod
    def dtype(self):
        """Dtype of the parameters, or None."""

    def residual_and_jacobian(self, inputs: Float[Array, " i"], hidden: Float[Array, " h"]
                              ) -> tuple[Float[Array, " h"], Float[Array, "h h"]]:
        """r = F(u, h) − h and its Jacobian ∂r/∂h = J − I (the root solver's linear system)."""
        eye = jnp.eye(hidden.shape[-1], dtype=hidden.dtype)
        return self.step(inputs, hidden) - hidden, self.state_jacobian(inputs, hidden) - eye


@final
class FunctionMap(AbstractRecurrentMap):
    """Any function `fn(u (I,), h (H,)) -> (H,)` as a recurrent map; Jacobians by `jax.jacfwd`.

    No box is known to hold its fixed points (`root_bound` None), nor its sizes or dtype.
    """

    fn: Callable[[Array, Array], Array]
    root_bound = None

    def step(self, inputs, hidden):
        return self.fn(inputs, hidden)

    def state_jacobian(self, inputs, hidden):
        return jax.jacfwd(lambda h: self.fn(inputs, h))(hidden)

    def input_jacobian(self, inputs, hidden):
        return jax.jacfwd(lambda u: self.fn(u, hidden))(inputs)

    @property
    def hidden_size(self) -> None:
        return None

    @property
    def input_size(self) -> None:
        return None

    @property
    def dtype(self) -> None:
        return None
