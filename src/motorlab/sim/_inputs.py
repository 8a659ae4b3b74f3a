"""The network's input vector: the one place that defines its order (SPEC §1.3).

Blocks, in order: target position (2), target velocity (2, zero for reaches), feedback position
(2), feedback velocity (2), then the context inputs (part 2: SISU, 1). The rollout assembles
inputs with `network_input` and can record them (`simulate(..., keep={"inputs"})`); analyses
that need the inputs of a trial use those records rather than rebuilding them.
"""

import jax.numpy as jnp

from ._types import Array, Float, Vec2

TASK_BLOCKS: tuple[tuple[str, int], ...] = (("target_pos", 2), ("target_vel", 2), ("fb_pos", 2), ("fb_vel", 2))
"""The task input blocks and their sizes, in input order."""

INPUT_NAMES: tuple[str, ...] = tuple(f"{block}_{axis}" for block, size in TASK_BLOCKS for axis in "xy"[:size])
"""Names of the task inputs, in order (context inputs follow)."""

N_TASK_INPUTS = len(INPUT_NAMES)


def input_names(n_context: int) -> tuple[str, ...]:
    """Names of the network inputs, in order; context inputs are `sisu` (one) or `context_i`."""
    extra = ("sisu",) if n_context == 1 else tuple(f"context_{i}" for i in range(n_context))
    return INPUT_NAMES + extra


def input_blocks(n_context: int) -> dict[str, tuple[int, ...]]:
    """Input indices of each block: `target_pos`, `target_vel`, `fb_pos`, `fb_vel`, then `sisu`
    (one context input) or `context` (several); no context block when `n_context` is 0."""
    blocks, i = {}, 0
    for name, size in TASK_BLOCKS:
        blocks[name] = tuple(range(i, i + size))
        i += size
    if n_context:
        blocks["sisu" if n_context == 1 else "context"] = tuple(range(i, i + n_context))
    return blocks


def network_input(target_pos: Vec2, target_vel: Vec2, fb_pos: Vec2, fb_vel: Vec2,
                  context: Float[Array, " c"]) -> Float[Array, " i"]:
    """Assemble one input vector (I = 8 + c,) in the documented order."""
    return jnp.concatenate([target_pos, target_vel, fb_pos, fb_vel, context])
