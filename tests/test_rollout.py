"""Closed-loop rollout: shapes, the initial entry, plant-only motion, interventions, input order."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from test_plant import analytic

from motorlab import (
    ConstantField,
    CurlField,
    Environment,
    FeedbackChannel,
    GRUController,
    Interventions,
    MotorNoise,
    PointMass,
    input_names,
    network_input,
    simulate,
    simulate_trials,
)

N_STEPS, HIDDEN, N_TRIALS = 16, 8, 3


def make_env(noise=0.0, delay=0, discretisation="euler", n_steps=N_STEPS):
    return Environment(plant=PointMass(mass=1.0, damping=0.05, dt=0.05, discretisation=discretisation),
                       feedback=FeedbackChannel(delay=delay, noise_std=noise), motor=MotorNoise(std=noise),
                       n_steps=n_steps)


def batch(key, n=N_TRIALS, n_context=0):
    k1, k2, k3 = jr.split(key, 3)
    start = jr.uniform(k1, (n, 2), minval=-0.8, maxval=0.8)
    goal = jr.uniform(k2, (n, 2), minval=-0.8, maxval=0.8)
    return start, goal, jnp.zeros((n, n_context)), jr.split(k3, n)


def zero_readout(controller):
    return eqx.tree_at(lambda c: (c.readout.weight, c.readout.bias), controller,
                       (jnp.zeros_like(controller.readout.weight), jnp.zeros_like(controller.readout.bias)))


run = eqx.filter_jit(simulate_trials)


@pytest.mark.parametrize("keep", [("hidden",), ()])
def test_shapes_and_the_initial_entry(keep, getkey):
    controller = GRUController(HIDDEN, key=getkey())
    start, goal, context, keys = batch(getkey())
    fields = CurlField(amplitude=jnp.full(N_TRIALS, 1.0))
    traj = run(controller, make_env(noise=0.01), start, goal, fields, context, keys, keep=keep)
    for a in (traj.pos, traj.vel, traj.force):
        assert a.shape == (N_TRIALS, N_STEPS, 2) and a.dtype == jnp.float32
    if keep:
        assert traj.hidden.shape == (N_TRIALS, N_STEPS, HIDDEN)
        np.testing.assert_array_equal(np.asarray(traj.hidden[:, 0]), 0.0)
        assert np.all(np.any(np.asarray(traj.hidden[:, 1:]) != 0, axis=-1))
    else:
        assert traj.hidden is None
    # t = 0 is the initial state: at rest at the start, with zero force.
    np.testing.assert_array_equal(np.asarray(traj.pos[:, 0]), np.asarray(start))
    np.testing.assert_array_equal(np.asarray(traj.vel[:, 0]), 0.0)
    np.testing.assert_array_equal(np.asarray(traj.force[:, 0]), 0.0)
    assert np.all(np.any(np.asarray(traj.force[:, 1:]) != 0, axis=-1))


def test_recorded_force_is_the_network_output_plus_motor_noise(getkey):
    """Without noise the recorded force is the readout of the recorded hidden state."""
    controller = GRUController(HIDDEN, key=getkey())
    controller = eqx.tree_at(lambda c: c.readout.bias, controller, jnp.array([0.3, -0.2]))
    start, goal, context, keys = batch(getkey())
    fields = CurlField(amplitude=jnp.full(N_TRIALS, 2.0))
    traj = run(controller, make_env(), start, goal, fields, context, keys)
    readout = jax.vmap(jax.vmap(controller.readout))(traj.hidden[:, 1:])
    np.testing.assert_allclose(np.asarray(traj.force[:, 1:]), np.asarray(readout), rtol=1e-5, atol=1e-6)


def plant_alone(plant, field, start, n_steps, control=jnp.zeros(2)):
    """States 0..n_steps−1 of the plant driven by `field` plus a constant control, step by step."""
    state = jnp.concatenate([start, jnp.zeros(2)])
    states = [state]
    for _ in range(n_steps - 1):
        state = plant.step(state, control + field(state))
        states.append(state)
    return np.asarray(jnp.stack(states))


CONSTANT_FORCES = jnp.array([[0.4, -0.2], [0.0, 1.0], [-2.0, 0.5]])


@pytest.mark.parametrize("discretisation", ["euler", "exact"])
def test_zero_controller_without_noise_moves_like_the_plant_alone(discretisation, getkey):
    controller = zero_readout(GRUController(HIDDEN, key=getkey()))
    env = make_env(discretisation=discretisation)
    start, goal, context, keys = batch(getkey())
    fields = ConstantField(force=CONSTANT_FORCES)
    traj = run(controller, env, start, goal, fields, context, keys)
    np.testing.assert_array_equal(np.asarray(traj.force), 0.0)
    for i in range(N_TRIALS):
        expected = plant_alone(env.plant, ConstantField(force=CONSTANT_FORCES[i]), start[i], N_STEPS)
        np.testing.assert_allclose(np.asarray(traj.pos[i]), expected[:, :2], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(np.asarray(traj.vel[i]), expected[:, 2:], rtol=1e-6, atol=1e-6)
        if discretisation == "exact":  # and both match the closed form (test_plant.py)
            p, v = analytic(0.05 * np.arange(N_STEPS), np.asarray(start[i]), np.zeros(2),
                            np.asarray(CONSTANT_FORCES[i]), 1.0, 0.05)
            np.testing.assert_allclose(np.asarray(traj.pos[i]), p, atol=1e-5)
            np.testing.assert_allclose(np.asarray(traj.vel[i]), v, atol=1e-5)


@pytest.mark.parametrize("discretisation", ["euler", "exact"])
def test_constant_output_controller_in_a_curl_field_moves_like_the_plant_alone(discretisation, getkey):
    """Readout weights zero, bias b: the control is the constant b, and the curl acts on the motion
    it causes exactly as on the plant alone."""
    bias = jnp.array([0.5, -0.3])
    controller = zero_readout(GRUController(HIDDEN, key=getkey()))
    controller = eqx.tree_at(lambda c: c.readout.bias, controller, bias)
    env = make_env(discretisation=discretisation)
    start, goal, context, keys = batch(getkey())
    amps = jnp.array([1.0, -2.0, 4.0])
    traj = run(controller, env, start, goal, CurlField(amplitude=amps), context, keys)
    np.testing.assert_array_equal(np.asarray(traj.force[:, 1:]),
                                  np.broadcast_to(np.asarray(bias), (N_TRIALS, N_STEPS - 1, 2)))
    for i in range(N_TRIALS):
        expected = plant_alone(env.plant, CurlField(amplitude=amps[i]), start[i], N_STEPS, control=bias)
        np.testing.assert_allclose(np.asarray(traj.pos[i]), expected[:, :2], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(np.asarray(traj.vel[i]), expected[:, 2:], rtol=1e-6, atol=1e-6)
    # The curl bends the path to the left of the motion for a > 0, to the right for a < 0.
    d = np.asarray(traj.pos[:, -1] - start)
    cross = float(bias[0]) * d[:, 1] - float(bias[1]) * d[:, 0]
    np.testing.assert_array_equal(np.sign(cross), np.sign(np.asarray(amps)))


def test_noise_is_deterministic_given_the_keys(getkey):
    controller = GRUController(HIDDEN, key=getkey())
    start, goal, context, keys = batch(getkey())
    fields = CurlField(amplitude=jnp.zeros(N_TRIALS))
    env = make_env(noise=0.05)
    a = run(controller, env, start, goal, fields, context, keys)
    b = run(controller, env, start, goal, fields, context, keys)
    c = run(controller, env, start, goal, fields, context, jr.split(getkey(), N_TRIALS))
    np.testing.assert_array_equal(np.asarray(a.pos), np.asarray(b.pos))
    assert not np.allclose(np.asarray(a.pos[:, 2:]), np.asarray(c.pos[:, 2:]))


START_AT = 6  # control step at which the intervention starts


def intervention(kind: str, key, n=N_TRIALS, k=N_STEPS - 1, zero=False):
    width = {"feedback": 4, "hidden": HIDDEN, "force": 2}[kind]
    values = jr.normal(key, (n, k, width))
    values = values.at[:, :START_AT].set(0.0)
    if zero:
        values = jnp.zeros_like(values)
    return Interventions(**{kind: values})


@pytest.mark.parametrize("kind, discretisation",
                         [("feedback", "euler"), ("hidden", "euler"), ("force", "euler"), ("feedback", "exact")])
def test_interventions_change_the_trajectory_only_from_the_step_they_start(kind, discretisation, getkey):
    """An intervention starting at control step j leaves entries t ≤ j untouched; the force and
    velocity of entry j + 1 (the first state it can reach) change."""
    controller = GRUController(HIDDEN, key=getkey())
    env = make_env(noise=0.01, delay=2, discretisation=discretisation)
    start, goal, context, keys = batch(getkey())
    fields = CurlField(amplitude=jnp.full(N_TRIALS, 1.0))
    k_iv = getkey()
    base = run(controller, env, start, goal, fields, context, keys, intervention(kind, k_iv, zero=True))
    none = run(controller, env, start, goal, fields, context, keys)
    pert = run(controller, env, start, goal, fields, context, keys, intervention(kind, k_iv))
    j = START_AT
    for name in ("pos", "vel", "force", "hidden"):
        a, b, c = (np.asarray(getattr(t, name)) for t in (base, pert, none))
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-7)  # a zero intervention is no intervention
        np.testing.assert_array_equal(a[:, : j + 1], b[:, : j + 1])
        assert not np.allclose(a[:, -1], b[:, -1])
    # (A plant force impulse reaches the network's output only through feedback, one step later.)
    for name in ("vel",) if kind == "force" else ("vel", "force"):
        a, b = np.asarray(getattr(base, name)), np.asarray(getattr(pert, name))
        assert np.all(np.any(a[:, j + 1] != b[:, j + 1], axis=-1)), name
    if discretisation == "euler":  # Euler moves the position one step after the velocity
        np.testing.assert_array_equal(np.asarray(base.pos[:, j + 1]), np.asarray(pert.pos[:, j + 1]))
    if kind == "force":  # the hidden state only learns of a plant impulse through feedback
        np.testing.assert_array_equal(np.asarray(base.hidden[:, j + 1]), np.asarray(pert.hidden[:, j + 1]))


def test_force_impulse_pushes_the_plant_but_is_not_recorded_as_efferent_force(getkey):
    """A plant force impulse is a disturbance (SPEC §1.3, §1.6): it moves the effector, but the
    recorded `force` is the efferent force, network + motor noise (docs/architecture.md)."""
    controller = GRUController(HIDDEN, key=getkey())
    env = make_env(noise=0.0)
    start, goal, context, keys = batch(getkey())
    fields = CurlField(amplitude=jnp.zeros(N_TRIALS))
    iv = intervention("force", getkey())
    base = run(controller, env, start, goal, fields, context, keys)
    pert = run(controller, env, start, goal, fields, context, keys, iv)
    j = START_AT
    # The impulse reaches the plant: Euler velocity jumps by dt·impulse/m at entry j + 1.
    dv = np.asarray(pert.vel[:, j + 1] - base.vel[:, j + 1])
    np.testing.assert_allclose(dv, 0.05 * np.asarray(iv.force[:, j]), rtol=1e-4, atol=1e-6)
    # At entry j + 1 the network has not yet sensed the impulse: its efferent force is unchanged.
    np.testing.assert_array_equal(np.asarray(pert.force[:, j + 1]), np.asarray(base.force[:, j + 1]))


def test_context_is_the_last_input():
    assert input_names(0) == ("target_pos_x", "target_pos_y", "target_vel_x", "target_vel_y",
                              "fb_pos_x", "fb_pos_y", "fb_vel_x", "fb_vel_y")
    assert input_names(1) == input_names(0) + ("sisu",)
    x = network_input(jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0]), jnp.array([5.0, 6.0]),
                      jnp.array([7.0, 8.0]), jnp.array([9.0]))
    np.testing.assert_array_equal(np.asarray(x), np.arange(1.0, 10.0))


def with_input_columns(controller, keep):
    """Zero every GRU input weight column except `keep` (a boolean mask over inputs)."""
    w = controller.cell.weight_ih * jnp.asarray(keep, jnp.float32)[None, :]
    return eqx.tree_at(lambda c: c.cell.weight_ih, controller, w)


def test_perturbing_the_context_changes_a_part2_controller_only_through_its_last_input(getkey):
    controller = GRUController(HIDDEN, n_context=1, key=getkey())
    assert controller.cell.input_size == 9
    env = make_env(noise=0.01)
    start, goal, _, keys = batch(getkey())
    fields = CurlField(amplitude=jnp.full(N_TRIALS, 1.0))

    def force(model, sisu):
        context = jnp.full((N_TRIALS, 1), sisu)
        return np.asarray(run(model, env, start, goal, fields, context, keys).force)

    assert not np.allclose(force(controller, 0.0), force(controller, 2.0))
    # Only input 8 (the last) carries the context: without its weights the SISU has no effect …
    blind = with_input_columns(controller, np.arange(9) != 8)
    np.testing.assert_array_equal(force(blind, 0.0), force(blind, 2.0))
    # … and with only its weights, the SISU alone drives the network.
    only = with_input_columns(controller, np.arange(9) == 8)
    assert not np.allclose(force(only, 0.0), force(only, 2.0))


def test_part1_controller_has_no_context_input(getkey):
    controller = GRUController(HIDDEN, key=getkey())
    assert controller.n_context == 0 and controller.cell.input_size == 8
    start, goal, context, keys = batch(getkey())
    assert context.shape == (N_TRIALS, 0)
    traj = run(controller, make_env(), start, goal, CurlField(amplitude=jnp.zeros(N_TRIALS)), context, keys)
    assert np.all(np.isfinite(np.asarray(traj.pos)))


def test_simulate_single_trial_matches_the_batched_rollout(getkey):
    controller = GRUController(HIDDEN, key=getkey())
    env = make_env(noise=0.02, delay=1)
    start, goal, context, keys = batch(getkey())
    fields = ConstantField(force=jnp.array([[0.4, -0.2], [0.0, 1.0], [-2.0, 0.5]]))
    batched = run(controller, env, start, goal, fields, context, keys)
    one = eqx.filter_jit(simulate)(controller, env, start[1], goal[1], ConstantField(force=fields.force[1]),
                                   context[1], keys[1])
    np.testing.assert_allclose(np.asarray(one.pos), np.asarray(batched.pos[1]), rtol=1e-5, atol=1e-6)


def test_environment_rejects_too_few_steps():
    with pytest.raises(ValueError, match="got 1"):
        make_env(n_steps=1)
