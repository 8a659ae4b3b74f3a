"""Closed-loop simulation: one `lax.scan` over time for a trial, vmapped over trials.

Per-step stage order (SPEC §1.3): feedback channel → network → motor noise → plant (with the
disturbance force added at the start of the mechanics step).

Interventions (`Interventions`) act inside that one scan, at control step k (which produces the
trajectory entry t = k + 1), in this order: feedback offset (after the delay, before noise) →
context offset (network input) → hidden-state stimulation (before the recurrent update) →
recurrent update with the pre-activation bias → clamping of units (after the update, before the
readout) → readout → motor noise → plant, pushed by efferent force + force impulse + field.
"""

from collections.abc import Collection

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from ._channels import FeedbackChannel, MotorNoise
from ._controllers import AbstractController
from ._fields import AbstractField
from ._inputs import network_input
from ._plant import AbstractPlant
from ._types import Array, Bool, Float, Key, Keys, Vec2


class Environment(eqx.Module):
    """Everything outside the network: plant, feedback channel, motor noise, trial length."""

    plant: AbstractPlant
    feedback: FeedbackChannel
    motor: MotorNoise
    n_steps: int = eqx.field(static=True)

    def __check_init__(self):
        if not (isinstance(self.n_steps, int) and self.n_steps >= 2):
            raise ValueError(f"n_steps must be an integer >= 2, got {self.n_steps!r}")


class Interventions(eqx.Module):
    """Optional per-step perturbations, each of shape (K, ·) with K = n_steps − 1 control steps
    (with leading trial axes in `simulate_trials`). A field left None does nothing, and an
    all-zero offset (or an all-False clamp) leaves the trajectory exactly as without it.

    Entry k acts at control step k, whose result is the trajectory entry t = k + 1.

    Attributes:
        feedback: (K, 4) added to the sensed [pos, vel] after the delay, before noise (impulses).
        hidden: (K, H) added to the hidden state before the recurrent update (unit stimulation,
            TMS-like; SPEC §1.3). The stimulated state is what the update sees; the recorded
            hidden state is the update's result.
        force: (K, 2) force impulse on the plant, added to the efferent force (network output +
            motor noise) at the mechanics step (SPEC §2.9(a)). It is a disturbance like a field:
            the recorded `Trajectory.force` is the efferent force WITHOUT the impulse.
        context: (K, c) added to the context inputs (SISU) of each step: a SISU schedule, e.g. a
            step from the trial's context value s0 to s1 at control step j is (s1 − s0)·[k ≥ j].
            Recorded inputs (`keep={"inputs"}`) include it.
        bias: (K, H) added to each unit's pre-activation (tDCS-like): inside the tanh of the
            candidate state of a GRU (`shift_preactivation` of the controller), of the leaky RNN.
        clamp: (K, H) boolean; where True, the unit's state is set to `clamp_value` right after
            the recurrent update, before the readout, so the readout and the next step see the
            clamped value (ablation: clamp to 0).
        clamp_value: (K, H) values of the clamped units; None means 0.
    """

    feedback: Float[Array, "*trials k 4"] | None = None
    hidden: Float[Array, "*trials k h"] | None = None
    force: Float[Array, "*trials k 2"] | None = None
    context: Float[Array, "*trials k c"] | None = None
    bias: Float[Array, "*trials k h"] | None = None
    clamp: Bool[Array, "*trials k h"] | None = None
    clamp_value: Float[Array, "*trials k h"] | None = None


KEEP: tuple[str, ...] = ("hidden", "inputs")
"""What a rollout can record besides the plant state and the force (see `simulate`)."""


class Trajectory(eqx.Module):
    """States of one trial (or a batch, with leading axes), t = 0 … n_steps − 1.

    Entry 0 is the initial state, with zero force, zero hidden state and zero inputs; entry
    k ≥ 1 is the state after control step k with the force and hidden state that produced it,
    and the network inputs (in the order of `motorlab.sim.input_names`) that step received.
    `hidden` and `inputs` are None unless recorded.
    """

    pos: Float[Array, "*trials t 2"]
    vel: Float[Array, "*trials t 2"]
    force: Float[Array, "*trials t 2"]
    hidden: Float[Array, "*trials t h"] | None
    inputs: Float[Array, "*trials t i"] | None = None


def check_keep(keep: Collection[str]) -> frozenset[str]:
    """`keep` as a frozenset, or a ValueError naming the unknown entries."""
    if isinstance(keep, str):
        keep = (keep,)
    unknown = sorted(set(keep) - set(KEEP))
    if unknown:
        raise ValueError(f"keep={sorted(keep)!r}: unknown {unknown}; expected a subset of {list(KEEP)}")
    return frozenset(keep)


def simulate(controller: AbstractController, env: Environment, start: Vec2, goal: Vec2,
             field: AbstractField, context: Float[Array, " c"], key: Key,
             interventions: Interventions | None = None, *,
             keep: Collection[str] = ("hidden",), remat: bool = False) -> Trajectory:
    """Run one trial from rest at `start` towards `goal`.

    Arguments:
        controller: the network (single replicate).
        env: plant, channels and trial length.
        start, goal: positions (2,).
        field: disturbance for this trial (unbatched).
        context: context inputs (c,), empty in part 1.
        key: PRNG key for feedback and motor noise.
        interventions: optional per-step perturbations.
        keep: what to record besides state and force: `"hidden"` (memory: T × H floats per
            trial; the loss needs it) and/or `"inputs"` (T × I floats: the network's inputs).
        remat: rematerialise the scan body in the backward pass (`jax.checkpoint`, nothing
            saved): a gradient through the rollout keeps only the carry per step and recomputes
            the rest. Same numbers (bit for bit on CPU, checked by the training tests); faster
            for training on CPU (measured ~8 % per step) and leaner in memory.

    Returns:
        The trial's `Trajectory`.
    """
    keep = check_keep(keep)
    state0 = jnp.concatenate([start, jnp.zeros(2)])
    target_vel = jnp.zeros(2)
    h0 = controller.init_hidden()
    n_ctrl = env.n_steps - 1
    iv = interventions if interventions is not None else Interventions()
    clamp_value = iv.clamp_value
    if iv.clamp is not None and clamp_value is None:
        clamp_value = jnp.zeros(iv.clamp.shape, h0.dtype)
    xs = (jr.split(key, n_ctrl), iv.feedback, iv.hidden, iv.force, iv.context, iv.bias, iv.clamp,
          clamp_value)

    def step(carry, x):
        state, h, queue = carry
        k, fb_off, h_off, f_off, c_off, b_off, clamp, c_val = x
        k_fb, k_motor = jr.split(k)
        queue, obs = env.feedback(queue, state, k_fb, fb_off)
        ctx = context if c_off is None else context + c_off
        inputs = network_input(goal, target_vel, obs[:2], obs[2:], ctx)
        if h_off is not None:
            h = h + h_off
        net = controller if b_off is None else controller.shift_preactivation(b_off)
        h = net.step(inputs, h)
        if clamp is not None:
            h = jnp.where(clamp, c_val, h)
        out = net.readout(h)
        u = env.motor(out, k_motor)
        push = u if f_off is None else u + f_off  # a force impulse disturbs the plant, like a field
        state = env.plant.step(state, push + field(state))
        return (state, h, queue), (state, u, h if "hidden" in keep else None,
                                   inputs if "inputs" in keep else None)

    if remat:  # the backward pass recomputes each step from its carry instead of storing it
        step = jax.checkpoint(step, policy=jax.checkpoint_policies.nothing_saveable)
    _, (states, forces, hiddens, inputs) = jax.lax.scan(step, (state0, h0, env.feedback.init(state0)), xs)
    states = jnp.concatenate([state0[None], states])
    forces = jnp.concatenate([jnp.zeros((1, 2)), forces])
    if hiddens is not None:
        hiddens = jnp.concatenate([h0[None], hiddens])
    if inputs is not None:
        inputs = jnp.concatenate([jnp.zeros((1, inputs.shape[-1]), inputs.dtype), inputs])
    return Trajectory(pos=states[:, :2], vel=states[:, 2:], force=forces, hidden=hiddens, inputs=inputs)


def simulate_trials(controller: AbstractController, env: Environment, start: Float[Array, "n 2"],
                    goal: Float[Array, "n 2"], fields: AbstractField, context: Float[Array, "n c"],
                    keys: Keys, interventions: Interventions | None = None, *,
                    keep: Collection[str] = ("hidden",), remat: bool = False) -> Trajectory:
    """`simulate` vmapped over trials: every argument except controller and env has a leading
    trial axis (interventions too, when given). Returns a Trajectory with leading axis n."""

    def one(s, g, f, c, k, iv):
        return simulate(controller, env, s, g, f, c, k, iv, keep=keep, remat=remat)

    return jax.vmap(one)(start, goal, fields, context, keys, interventions)
