"""Controller networks: a GRU with a linear readout to a 2-D force.

The input order (SPEC §1.3) is defined once, in `_inputs.py`.
"""

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr

from ._inputs import N_TASK_INPUTS
from ._types import Array, Float, Key, Vec2


class GRUController(eqx.Module):
    """GRU cell (`equinox.nn.GRUCell`) followed by a linear readout with bias (zero at init).

    Arguments:
        hidden_size: number of GRU units.
        n_context: number of context inputs appended after the 8 task inputs (0 in part 1).
        key: PRNG key for the Equinox default initialisation.
    """

    cell: eqx.nn.GRUCell
    readout: eqx.nn.Linear
    n_context: int = eqx.field(static=True)

    def __init__(self, hidden_size: int, n_context: int = 0, *, key: Key):
        if not (isinstance(hidden_size, int) and hidden_size >= 1):
            raise ValueError(f"hidden_size must be an integer >= 1, got {hidden_size!r}")
        if not (isinstance(n_context, int) and n_context >= 0):
            raise ValueError(f"n_context must be an integer >= 0, got {n_context!r}")
        k_cell, k_out = jr.split(key)
        self.n_context = n_context
        self.cell = eqx.nn.GRUCell(N_TASK_INPUTS + n_context, hidden_size, key=k_cell)
        readout = eqx.nn.Linear(hidden_size, 2, key=k_out)
        self.readout = eqx.tree_at(lambda r: r.bias, readout, jnp.zeros(2))

    @property
    def hidden_size(self) -> int:
        return self.cell.hidden_size

    def init_hidden(self) -> Float[Array, " h"]:
        """The initial hidden state (zeros)."""
        return jnp.zeros(self.hidden_size)

    def __call__(self, inputs: Float[Array, " i"], hidden: Float[Array, " h"]
                 ) -> tuple[Float[Array, " h"], Vec2]:
        """One step: returns the new hidden state and the force output (before motor noise)."""
        hidden = self.cell(inputs, hidden)
        return hidden, self.readout(hidden)
