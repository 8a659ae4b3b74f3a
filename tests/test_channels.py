"""Feedback delay queue and noise, motor noise (SPEC §1.3)."""

import re

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from motorlab import FeedbackChannel, MotorNoise

N_SAMPLES = 40_000


def run_channel(channel: FeedbackChannel, states, key, offsets=None):
    """Feed `states` (n, 4) through the channel step by step, as the rollout does.

    Returns:
        (n, 4) observations.
    """
    queue = channel.init(states[0])
    assert queue.shape == (channel.delay, 4)
    keys = jr.split(key, states.shape[0])
    observed = []
    for k in range(states.shape[0]):
        offset = None if offsets is None else offsets[k]
        queue, obs = channel(queue, states[k], keys[k], offset)
        observed.append(obs)
    return np.asarray(jnp.stack(observed))


def distinct_states(n):
    # Step k has the state (k, 10k, 100k, 1000k) + 1, so every observation names its step.
    return jnp.asarray((np.arange(n)[:, None] + 0.0) * np.array([1, 10, 100, 1000]) + 1, jnp.float32)


@pytest.mark.parametrize("delay", [0, 1, 2, 5])
def test_observation_is_the_state_delay_steps_ago_with_the_initial_state_before(delay, getkey):
    states = distinct_states(12)
    obs = run_channel(FeedbackChannel(delay=delay, noise_std=0.0), states, getkey())
    expected = np.asarray(states)[np.maximum(np.arange(12) - delay, 0)]
    np.testing.assert_array_equal(obs, expected)
    # The first `delay` observations (and the one at step `delay`) are the initial state, not zeros.
    np.testing.assert_array_equal(obs[: delay + 1], np.broadcast_to(np.asarray(states[0]), (delay + 1, 4)))


def test_delay_zero_is_the_current_state(getkey):
    states = distinct_states(4)
    channel = FeedbackChannel(delay=0, noise_std=0.0)
    queue, obs = channel(channel.init(states[0]), states[2], getkey())
    assert queue.shape == (0, 4)
    np.testing.assert_array_equal(np.asarray(obs), np.asarray(states[2]))


def test_impulse_offset_is_added_after_the_delay(getkey):
    """An offset given at step k shows up in the observation at step k, on top of the delayed state."""
    delay, n, at = 3, 10, 5
    states = distinct_states(n)
    offsets = np.zeros((n, 4), np.float32)
    offsets[at] = [0.5, -0.25, 2.0, -4.0]
    obs = run_channel(FeedbackChannel(delay=delay, noise_std=0.0), states, getkey(), jnp.asarray(offsets))
    delayed = np.asarray(states)[np.maximum(np.arange(n) - delay, 0)]
    np.testing.assert_array_equal(obs, delayed + offsets)
    # Not queued: the steps after the impulse (including `delay` steps later) are clean.
    np.testing.assert_array_equal(obs[at + 1:], delayed[at + 1:])


def test_offset_comes_before_noise_which_is_unchanged_by_it(getkey):
    channel = FeedbackChannel(delay=0, noise_std=0.3)
    state, key = jnp.arange(4.0), getkey()
    offset = jnp.array([1.0, 2.0, 3.0, 4.0])
    _, plain = channel(channel.init(state), state, key)
    _, shifted = channel(channel.init(state), state, key, offset)
    np.testing.assert_allclose(np.asarray(shifted - plain), np.asarray(offset), rtol=1e-6)


@pytest.mark.parametrize("std", [0.01, 0.1])
@pytest.mark.parametrize("delay", [0, 2])
def test_feedback_noise_has_mean_zero_and_std_sigma(std, delay, getkey):
    channel = FeedbackChannel(delay=delay, noise_std=std)
    state = jnp.array([0.3, -0.2, 1.5, -2.0])
    queue = channel.init(state)
    _, obs = jax.vmap(lambda k: channel(queue, state, k))(jr.split(getkey(), N_SAMPLES))
    noise = np.asarray(obs - state[None], np.float64)  # (N, 4)
    n = noise.shape[0]
    se_mean, se_std = std / np.sqrt(n), std / np.sqrt(2 * n)
    np.testing.assert_array_less(np.abs(noise.mean(axis=0)), 4 * se_mean)
    np.testing.assert_array_less(np.abs(noise.std(axis=0) - std), 4 * se_std)
    # The four components get independent noise.
    corr = np.corrcoef(noise.T)[np.triu_indices(4, 1)]
    np.testing.assert_array_less(np.abs(corr), 4 / np.sqrt(n))


def test_zero_feedback_noise_is_exact(getkey):
    channel = FeedbackChannel(delay=0, noise_std=0.0)
    state = jnp.array([0.1, 0.2, 0.3, 0.4])
    _, obs = channel(channel.init(state), state, getkey())
    np.testing.assert_array_equal(np.asarray(obs), np.asarray(state))


OUTPUT = jnp.array([2.0, -0.5])


@pytest.mark.parametrize("std", [0.01, 0.1])
def test_motor_noise_splits_into_multiplicative_and_additive_parts(std, getkey):
    """u = o + o⊙ε_m + ε_a: with the same key, doubling o doubles only the multiplicative part,
    so (u(2o) − 2o) − (u(o) − o) = o⊙ε_m isolates ε_m ~ N(0, σ²); the rest, ε_a, is
    N(0, (1.8σ)²)."""
    motor = MotorNoise(std=std)
    keys = jr.split(getkey(), N_SAMPLES)
    u1 = np.asarray(jax.vmap(lambda k: motor(OUTPUT, k))(keys), np.float64)
    u2 = np.asarray(jax.vmap(lambda k: motor(2 * OUTPUT, k))(keys), np.float64)
    o = np.asarray(OUTPUT, np.float64)
    mult_part = (u2 - 2 * o) - (u1 - o)
    eps_m = mult_part / o
    eps_a = (u1 - o) - mult_part
    n = eps_m.shape[0]
    for eps, sd in ((eps_m, std), (eps_a, 1.8 * std)):
        np.testing.assert_array_less(np.abs(eps.mean(axis=0)), 4 * sd / np.sqrt(n))
        # float32 cancellation in the decomposition adds ~1e-7 absolute error to each sample.
        np.testing.assert_array_less(np.abs(eps.std(axis=0) - sd), 4 * sd / np.sqrt(2 * n) + 1e-6)
    assert abs(np.corrcoef(eps_m[:, 0], eps_a[:, 0])[0, 1]) < 4 / np.sqrt(n)


@pytest.mark.parametrize("std", [0.01, 0.1])
def test_motor_noise_std_is_sigma_times_output_plus_additive(std, getkey):
    """Per component: var(u − o) = (σ·o)² + (1.8σ)²; at o = 0 only the additive part, 1.8σ."""
    motor = MotorNoise(std=std)
    keys = jr.split(getkey(), N_SAMPLES)
    for output in (jnp.zeros(2), jnp.array([30.0, -3.0])):
        u = np.asarray(jax.vmap(lambda k, o=output: motor(o, k))(keys), np.float64)
        o = np.asarray(output, np.float64)
        expected = np.sqrt((std * o) ** 2 + (1.8 * std) ** 2)
        dev = u - o
        n = dev.shape[0]
        np.testing.assert_array_less(np.abs(dev.mean(axis=0)), 4 * expected / np.sqrt(n))
        np.testing.assert_array_less(np.abs(dev.std(axis=0) - expected), 4 * expected / np.sqrt(2 * n))


def test_zero_motor_noise_is_the_identity(getkey):
    np.testing.assert_array_equal(np.asarray(MotorNoise(std=0.0)(OUTPUT, getkey())), np.asarray(OUTPUT))


def test_motor_noise_is_deterministic_given_the_key(getkey):
    motor, key = MotorNoise(std=0.1), getkey()
    np.testing.assert_array_equal(np.asarray(motor(OUTPUT, key)), np.asarray(motor(OUTPUT, key)))
    assert not np.array_equal(np.asarray(motor(OUTPUT, key)), np.asarray(motor(OUTPUT, getkey())))


@pytest.mark.parametrize(
    "make, bad",
    [
        (lambda: FeedbackChannel(delay=-1, noise_std=0.0), "-1"),
        pytest.param(lambda: FeedbackChannel(delay=1.5, noise_std=0.0), "1.5", marks=pytest.mark.no_shape_check(
            reason="checks the library's own ValueError; beartype rejects the float for `delay: int` first")),
        (lambda: FeedbackChannel(delay=0, noise_std=-0.1), "-0.1"),
        (lambda: FeedbackChannel(delay=0, noise_std=float("nan")), "nan"),
        (lambda: MotorNoise(std=-0.01), "-0.01"),
        (lambda: MotorNoise(std=float("nan")), "nan"),
    ],
)
def test_invalid_channel_arguments_name_the_value(make, bad):
    with pytest.raises(ValueError, match=re.escape(f"got {bad}")):
        make()
