"""Controller networks: a GRU with a linear readout to a 2-D force.

Input order (fixed, SPEC §1.3): target position (2), target velocity (2, zero for reaches),
feedback position (2), feedback velocity (2), then any context inputs (part 2: SISU, 1).
"""

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr

from ._types import Array, Float, Key, Vec2

INPUT_NAMES = ("target_pos_x", "target_pos_y", "target_vel_x", "target_vel_y",
               "fb_pos_x", "fb_pos_y", "fb_vel_x", "fb_vel_y")
N_TASK_INPUTS = len(INPUT_NAMES)


def input_names(n_context: int) -> tuple[str, ...]:
    """Names of the network inputs, in order; context inputs are `sisu` (one) or `context_i`."""
    extra = ("sisu",) if n_context == 1 else tuple(f"context_{i}" for i in range(n_context))
    return INPUT_NAMES + extra


def network_input(target_pos: Vec2, target_vel: Vec2, fb_pos: Vec2, fb_vel: Vec2,
                  context: Float[Array, " c"]) -> Float[Array, " i"]:
    """Assemble one input vector in the documented order."""
    return jnp.concatenate([target_pos, target_vel, fb_pos, fb_vel, context])


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
