"""Controller networks: a recurrent cell with a linear readout to a 2-D force.

The input order (SPEC §1.3) is defined once, in `_inputs.py`.

A controller is an `AbstractRecurrentMap` (the map h' = F(u, h) and its closed-form Jacobians,
which the fixed-point analysis uses) plus a readout. `CONTROLLERS` maps each `model.kind` of
the configuration to its class; a new controller is one final class added there.
"""

import abc
from collections.abc import Mapping
from typing import Any, ClassVar, final

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from ._recurrent import AbstractRecurrentMap
from ._inputs import N_TASK_INPUTS
from ._types import Array, Float, Key, Vec2


def _check_sizes(hidden_size, n_context) -> None:
    if not (isinstance(hidden_size, int) and hidden_size >= 1):
        raise ValueError(f"hidden_size must be an integer >= 1, got {hidden_size!r}")
    if not (isinstance(n_context, int) and n_context >= 0):
        raise ValueError(f"n_context must be an integer >= 0, got {n_context!r}")


def _zero_bias_readout(hidden_size: int, key: Key) -> eqx.nn.Linear:
    readout = eqx.nn.Linear(hidden_size, 2, key=key)
    return eqx.tree_at(lambda r: r.bias, readout, jnp.zeros(2))


class AbstractController(AbstractRecurrentMap):
    """A recurrent controller: the map F (see `AbstractRecurrentMap`) and a linear readout.

    Subclasses provide `cell` (a module with input weights `weight_ih` and recurrent weights
    `weight_hh`, whose first axis stacks the cell's gates), `readout` (H -> 2 force), `n_context`
    (context inputs after the 8 task inputs), `root_bound`, `step` and the two Jacobians.
    """

    cell: eqx.AbstractVar[eqx.Module]
    readout: eqx.AbstractVar[eqx.nn.Linear]
    n_context: eqx.AbstractVar[int]
    model_keys: eqx.AbstractClassVar[tuple[str, ...]]
    """Keys of the `model` settings this kind reads beyond `hidden_size` (e.g. `tau`); the
    configuration hashes them only for models of this kind."""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, model: Mapping[str, Any], *, dt: float, n_context: int, key: Key
                      ) -> "AbstractController":
        """One controller from the `model` settings of a training tree and the plant's dt (s)."""

    @property
    @abc.abstractmethod
    def hidden_size(self) -> int:
        """H, the number of units."""

    @property
    def input_size(self) -> int:
        """I = 8 task inputs + `n_context`."""
        return self.cell.weight_ih.shape[-1]

    @property
    def dtype(self):
        return self.cell.weight_hh.dtype

    def init_hidden(self) -> Float[Array, " h"]:
        """The initial hidden state (zeros)."""
        return jnp.zeros(self.hidden_size, self.dtype)

    @abc.abstractmethod
    def shift_preactivation(self, bias: Float[Array, " h"]) -> "AbstractController":
        """The same controller with `bias` (H,) added to each unit's pre-activation (the
        argument of its tanh): a tDCS-like intervention (`Interventions.bias`)."""

    def __call__(self, inputs: Float[Array, " i"], hidden: Float[Array, " h"]
                 ) -> tuple[Float[Array, " h"], Vec2]:
        """One step: returns the new hidden state and the force output (before motor noise)."""
        hidden = self.step(inputs, hidden)
        return hidden, self.readout(hidden)


def _gru_parts(cell: eqx.nn.GRUCell, u: Array, h: Array):
    """Gates of an Equinox GRU cell and the coefficients of its Jacobians.

    Returns (F(u, h), z, c_h, c_u) with ∂F/∂h = diag(z) + Σ_g diag(c_h,g) W_hg over the three
    gate blocks g = (r, z, n) of `weight_hh`, and ∂F/∂u = Σ_g diag(c_u,g) W_ig over those of
    `weight_ih` (the reset gate scales only the recurrent part of the candidate).
    """
    size = cell.hidden_size
    gi = cell.weight_ih @ u
    if cell.use_bias:
        gi = gi + cell.bias
    gh = cell.weight_hh @ h
    reset = jax.nn.sigmoid(gi[:size] + gh[:size])
    update = jax.nn.sigmoid(gi[size:2 * size] + gh[size:2 * size])
    pre_new = gh[2 * size:] + (cell.bias_n if cell.use_bias else 0.0)
    new = jnp.tanh(gi[2 * size:] + reset * pre_new)
    out = new + update * (h - new)
    dnew = (1.0 - update) * (1.0 - new**2)
    via_reset = dnew * pre_new * reset * (1.0 - reset)
    via_update = (h - new) * update * (1.0 - update)
    coef_h = jnp.concatenate([via_reset, via_update, dnew * reset])
    coef_u = jnp.concatenate([via_reset, via_update, dnew])
    return out, update, coef_h, coef_u


def _block_sum(coef: Array, weight: Array, size: int) -> Array:
    # three broadcast products rather than one (3H, n) product and a sum: half the memory traffic
    return sum(coef[g * size:(g + 1) * size, None] * weight[g * size:(g + 1) * size]
               for g in range(3))


@final
class GRUController(AbstractController):
    """GRU cell (`equinox.nn.GRUCell`) followed by a linear readout with bias (zero at init).

    Its fixed points satisfy h* = tanh(·) (z < 1), so lie in (−1, 1)^H: `root_bound` 1.
    Jacobians in closed form, O(H²) per point.

    Arguments:
        hidden_size: number of GRU units.
        n_context: number of context inputs appended after the 8 task inputs (0 in part 1).
        key: PRNG key for the Equinox default initialisation.
    """

    cell: eqx.nn.GRUCell
    readout: eqx.nn.Linear
    n_context: int = eqx.field(static=True)
    root_bound: ClassVar[float] = 1.0
    model_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, hidden_size: int, n_context: int = 0, *, key: Key):
        _check_sizes(hidden_size, n_context)
        k_cell, k_out = jr.split(key)
        self.n_context = n_context
        self.cell = eqx.nn.GRUCell(N_TASK_INPUTS + n_context, hidden_size, key=k_cell)
        self.readout = _zero_bias_readout(hidden_size, k_out)

    @classmethod
    def from_settings(cls, model, *, dt, n_context, key):
        return cls(int(model["hidden_size"]), n_context, key=key)

    @property
    def hidden_size(self) -> int:
        return self.cell.hidden_size

    def step(self, inputs, hidden):
        return self.cell(inputs, hidden)

    def shift_preactivation(self, bias):
        """Adds `bias` to the candidate's pre-activation, tanh(W_in u + b_in + bias + r ⊙ (…)),
        through the input bias of its candidate block (not to the reset or update gates)."""
        if not self.cell.use_bias:
            raise ValueError("shift_preactivation needs a GRU cell with biases (use_bias=True)")
        size = self.hidden_size
        return eqx.tree_at(lambda c: c.cell.bias, self, self.cell.bias.at[2 * size:].add(bias))

    def state_jacobian(self, inputs, hidden):
        _, update, coef, _ = _gru_parts(self.cell, inputs, hidden)
        return jnp.diag(update) + _block_sum(coef, self.cell.weight_hh, self.hidden_size)

    def input_jacobian(self, inputs, hidden):
        _, _, _, coef = _gru_parts(self.cell, inputs, hidden)
        return _block_sum(coef, self.cell.weight_ih, self.hidden_size)


@final
class LeakyRNNCell(eqx.Module):
    """Weights of a leaky vanilla RNN: W (`weight_hh`, H×H), U (`weight_ih`, H×I), b (`bias`, H).

    Initialised like `equinox.nn.GRUCell`: uniform in ±1/√H.
    """

    weight_hh: Float[Array, "h h"]
    weight_ih: Float[Array, "h i"]
    bias: Float[Array, " h"]

    def __init__(self, input_size: int, hidden_size: int, *, key: Key):
        k_hh, k_ih, k_b = jr.split(key, 3)
        lim = hidden_size ** -0.5
        self.weight_hh = jr.uniform(k_hh, (hidden_size, hidden_size), minval=-lim, maxval=lim)
        self.weight_ih = jr.uniform(k_ih, (hidden_size, input_size), minval=-lim, maxval=lim)
        self.bias = jr.uniform(k_b, (hidden_size,), minval=-lim, maxval=lim)


@final
class LeakyRNNController(AbstractController):
    """Leaky vanilla RNN, h ← (1 − α) h + α tanh(W h + U u + b) with α = dt / τ, and a linear
    readout with bias (zero at init).

    Its fixed points satisfy h* = tanh(W h* + U u + b), so lie in (−1, 1)^H: `root_bound` 1.
    Jacobians: ∂F/∂h = (1 − α) I + α diag(1 − n²) W and ∂F/∂u = α diag(1 − n²) U, with
    n = tanh(W h + U u + b).

    Arguments:
        hidden_size: number of units.
        n_context: number of context inputs appended after the 8 task inputs (0 in part 1).
        dt: time step of the simulation (s).
        tau: time constant of the units (s); needs tau >= dt (0 < α <= 1).
        key: PRNG key of the initialisation.
    """

    cell: LeakyRNNCell
    readout: eqx.nn.Linear
    n_context: int = eqx.field(static=True)
    alpha: float = eqx.field(static=True)
    root_bound: ClassVar[float] = 1.0
    model_keys: ClassVar[tuple[str, ...]] = ("tau",)

    def __init__(self, hidden_size: int, n_context: int = 0, *, dt: float, tau: float, key: Key):
        _check_sizes(hidden_size, n_context)
        if not (dt > 0 and tau >= dt):
            raise ValueError(f"a leaky RNN needs dt > 0 and tau >= dt (0 < dt/tau <= 1), got "
                             f"dt = {dt!r}, tau = {tau!r}")
        k_cell, k_out = jr.split(key)
        self.n_context = n_context
        self.alpha = float(dt) / float(tau)
        self.cell = LeakyRNNCell(N_TASK_INPUTS + n_context, hidden_size, key=k_cell)
        self.readout = _zero_bias_readout(hidden_size, k_out)

    @classmethod
    def from_settings(cls, model, *, dt, n_context, key):
        return cls(int(model["hidden_size"]), n_context, dt=float(dt), tau=float(model["tau"]),
                   key=key)

    @property
    def hidden_size(self) -> int:
        return self.cell.weight_hh.shape[-1]

    def _new(self, inputs, hidden):
        c = self.cell
        return jnp.tanh(c.weight_hh @ hidden + c.weight_ih @ inputs + c.bias)

    def step(self, inputs, hidden):
        return (1.0 - self.alpha) * hidden + self.alpha * self._new(inputs, hidden)

    def shift_preactivation(self, bias):
        """Adds `bias` to W h + U u + b, inside the tanh."""
        return eqx.tree_at(lambda c: c.cell.bias, self, self.cell.bias + bias)

    def state_jacobian(self, inputs, hidden):
        slope = self.alpha * (1.0 - self._new(inputs, hidden) ** 2)
        eye = jnp.eye(self.hidden_size, dtype=hidden.dtype)
        return (1.0 - self.alpha) * eye + slope[:, None] * self.cell.weight_hh

    def input_jacobian(self, inputs, hidden):
        slope = self.alpha * (1.0 - self._new(inputs, hidden) ** 2)
        return slope[:, None] * self.cell.weight_ih


CONTROLLERS: dict[str, type[AbstractController]] = {
    "gru": GRUController,
    "leaky_rnn": LeakyRNNController,
}
"""Controller class of each `model.kind`."""
