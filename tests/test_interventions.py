"""Rollout interventions inside the network (issue 10): a context schedule, unit stimulation,
a pre-activation bias and clamping, for both controller kinds; each checked for when it acts
(control step j changes entry j + 1 first) and where (which unit, which input)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from motorlab import (
    CurlField,
    Environment,
    FeedbackChannel,
    GRUController,
    Interventions,
    LeakyRNNController,
    MotorNoise,
    PointMass,
    simulate_trials,
)

N_STEPS, HIDDEN, N_TRIALS, J, UNIT = 14, 6, 3, 5, 2
K = N_STEPS - 1
run = eqx.filter_jit(simulate_trials)


def make(kind, key):
    if kind == "gru":
        return GRUController(HIDDEN, n_context=1, key=key)
    return LeakyRNNController(HIDDEN, n_context=1, dt=0.05, tau=0.2, key=key)


def env(noise=0.01):
    return Environment(plant=PointMass(mass=1.0, damping=0.05, dt=0.05),
                       feedback=FeedbackChannel(delay=1, noise_std=noise), motor=MotorNoise(std=noise),
                       n_steps=N_STEPS)


def rollout(net, key, iv=None, noise=0.01):
    k1, k2, k3 = jr.split(key, 3)
    start = jr.uniform(k1, (N_TRIALS, 2), minval=-0.5, maxval=0.5)
    goal = jr.uniform(k2, (N_TRIALS, 2), minval=-0.5, maxval=0.5)
    context = jnp.full((N_TRIALS, 1), 0.5)
    fields = CurlField(amplitude=jnp.full(N_TRIALS, 1.0))
    return run(net, env(noise), start, goal, fields, context, jr.split(k3, N_TRIALS), iv,
               keep=("hidden", "inputs"))


def window(width, value=1.0, unit=None, start=J, stop=K):
    """(N_TRIALS, K, width) with `value` at control steps start … stop − 1 (only `unit` if given)."""
    steps = (jnp.arange(K) >= start) & (jnp.arange(K) < stop)
    cols = jnp.ones(width, bool) if unit is None else jnp.arange(width) == unit
    on = steps[:, None] & cols[None, :]
    out = on if isinstance(value, bool) else jnp.where(on, jnp.float32(value), jnp.float32(0.0))
    return jnp.broadcast_to(out, (N_TRIALS, K, width))


def assert_untouched_until(base, pert, j=J):
    for name in ("pos", "vel", "force", "hidden", "inputs"):
        a, b = np.asarray(getattr(base, name)), np.asarray(getattr(pert, name))
        np.testing.assert_array_equal(a[:, : j + 1], b[:, : j + 1], err_msg=name)


KINDS = ["gru", "leaky_rnn"]


@pytest.mark.parametrize("kind", KINDS)
def test_zero_offsets_and_an_empty_clamp_are_no_intervention(kind, getkey):
    net, key = make(kind, getkey()), getkey()
    zeros = Interventions(context=jnp.zeros((N_TRIALS, K, 1)), bias=jnp.zeros((N_TRIALS, K, HIDDEN)),
                          hidden=jnp.zeros((N_TRIALS, K, HIDDEN)), force=jnp.zeros((N_TRIALS, K, 2)),
                          clamp=jnp.zeros((N_TRIALS, K, HIDDEN), bool))
    a, b = rollout(net, key), rollout(net, key, zeros)
    for name in ("pos", "vel", "force", "hidden", "inputs"):
        np.testing.assert_array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name)))


@pytest.mark.parametrize("kind", KINDS)
def test_context_schedule_steps_the_sisu_input_from_its_step(kind, getkey):
    net, key = make(kind, getkey()), getkey()
    base = rollout(net, key)
    pert = rollout(net, key, Interventions(context=window(1, 2.0)))
    assert_untouched_until(base, pert)
    sisu = np.asarray(pert.inputs[:, 1:, -1])  # the inputs of control steps 0 … K − 1
    np.testing.assert_allclose(sisu[:, :J], 0.5)
    np.testing.assert_allclose(sisu[:, J:], 2.5)
    # Only the context input changed at step J: the task inputs are as before.
    np.testing.assert_array_equal(np.asarray(pert.inputs[:, J + 1, :-1]), np.asarray(base.inputs[:, J + 1, :-1]))
    assert not np.allclose(np.asarray(pert.hidden[:, J + 1]), np.asarray(base.hidden[:, J + 1]))


def one_step(net, traj, t):
    """F(u_t, h_{t−1}) for every trial, from the recorded inputs and hidden states."""
    return np.asarray(jax.vmap(net.step)(traj.inputs[:, t], traj.hidden[:, t - 1]))


@pytest.mark.parametrize("kind", KINDS)
def test_stimulation_is_added_to_the_hidden_state_before_the_update(kind, getkey):
    net, key = make(kind, getkey()), getkey()
    stim = window(HIDDEN, 0.7, unit=UNIT, stop=J + 3)
    base, pert = rollout(net, key), rollout(net, key, Interventions(hidden=stim))
    assert_untouched_until(base, pert)
    t = J + 1
    kicked = jax.vmap(net.step)(pert.inputs[:, t], pert.hidden[:, t - 1] + stim[:, J])
    np.testing.assert_allclose(np.asarray(pert.hidden[:, t]), np.asarray(kicked), rtol=1e-6, atol=1e-6)
    assert not np.allclose(np.asarray(pert.hidden[:, t]), one_step(net, pert, t))


@pytest.mark.parametrize("kind", KINDS)
def test_bias_shifts_only_the_target_units_preactivation(kind, getkey):
    net, key = make(kind, getkey()), getkey()
    bias = window(HIDDEN, 0.8, unit=UNIT)
    base, pert = rollout(net, key), rollout(net, key, Interventions(bias=bias))
    assert_untouched_until(base, pert)
    t = J + 1
    shifted = net.shift_preactivation(bias[0, J])
    np.testing.assert_allclose(np.asarray(pert.hidden[:, t]), one_step(shifted, pert, t), rtol=1e-6, atol=1e-6)
    # In the first step only the biased unit moves: the others' updates read the old state.
    diff = np.abs(np.asarray(pert.hidden[:, t] - base.hidden[:, t]))
    assert np.all(diff[:, UNIT] > 1e-4)
    np.testing.assert_allclose(np.delete(diff, UNIT, axis=1), 0.0, atol=1e-7)


def test_gru_bias_goes_to_the_candidate_not_the_gates(getkey):
    net = make("gru", getkey())
    b = jnp.arange(1.0, HIDDEN + 1)
    shifted = net.shift_preactivation(b)
    np.testing.assert_array_equal(np.asarray(shifted.cell.bias[: 2 * HIDDEN]), np.asarray(net.cell.bias[: 2 * HIDDEN]))
    np.testing.assert_allclose(np.asarray(shifted.cell.bias[2 * HIDDEN:] - net.cell.bias[2 * HIDDEN:]), np.asarray(b),
                               rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(shifted.cell.bias_n), np.asarray(net.cell.bias_n))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", [0.0, 0.3])
def test_clamp_holds_the_unit_at_its_value_while_active(kind, value, getkey):
    net, key = make(kind, getkey()), getkey()
    stop = J + 4
    clamp = window(HIDDEN, True, unit=UNIT, stop=stop)
    iv = Interventions(clamp=clamp, clamp_value=jnp.full((N_TRIALS, K, HIDDEN), value))
    base, pert = rollout(net, key), rollout(net, key, iv)
    assert_untouched_until(base, pert)
    h = np.asarray(pert.hidden)
    np.testing.assert_array_equal(h[:, J + 1: stop + 1, UNIT], np.float32(value))
    assert not np.allclose(h[:, stop + 1, UNIT], np.float32(value))  # released after the window
    # The other units of entry J + 1 are their ordinary update; the readout sees the clamped state.
    free = one_step(net, pert, J + 1)
    np.testing.assert_allclose(np.delete(h[:, J + 1], UNIT, axis=1), np.delete(free, UNIT, axis=1),
                               rtol=1e-6, atol=1e-7)
    quiet = rollout(net, key, iv, noise=0.0)
    readout = jax.vmap(net.readout)(quiet.hidden[:, J + 1])
    np.testing.assert_allclose(np.asarray(quiet.force[:, J + 1]), np.asarray(readout), rtol=1e-5, atol=1e-6)
    if value == 0.0:  # ablation: clamp_value None means 0
        zero = rollout(net, key, Interventions(clamp=clamp))
        np.testing.assert_array_equal(np.asarray(zero.hidden), h)


@pytest.mark.parametrize("kind", KINDS)
def test_force_impulse_moves_the_plant_and_is_not_recorded(kind, getkey):
    net, key = make(kind, getkey()), getkey()
    push = window(2, 1.0, stop=J + 2)
    base, pert = rollout(net, key), rollout(net, key, Interventions(force=push))
    assert_untouched_until(base, pert)
    np.testing.assert_allclose(np.asarray(pert.vel[:, J + 1] - base.vel[:, J + 1]), 0.05, rtol=1e-4)
    np.testing.assert_array_equal(np.asarray(pert.force[:, J + 1]), np.asarray(base.force[:, J + 1]))


@pytest.mark.parametrize("kind", KINDS)
def test_interventions_vmap_over_units(kind, getkey):
    """One compiled rollout, vmapped over which unit is clamped, equals the runs one at a time."""
    net, key = make(kind, getkey()), getkey()
    units = jnp.arange(HIDDEN)
    masks = jax.vmap(lambda u: window(HIDDEN, True, unit=u))(units)
    batched = jax.vmap(lambda m: rollout(net, key, Interventions(clamp=m)).pos)(masks)
    for u in (0, UNIT, HIDDEN - 1):
        one = rollout(net, key, Interventions(clamp=masks[u])).pos
        np.testing.assert_allclose(np.asarray(batched[u]), np.asarray(one), rtol=1e-5, atol=1e-6)
