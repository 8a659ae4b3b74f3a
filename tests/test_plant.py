"""The damped point mass against closed-form physics, for both discretisations (SPEC §1.1)."""

import re

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from motorlab import CurlField, PointMass


@eqx.filter_jit
def constant_force_rollout(plant: PointMass, state0, force, n: int):
    """States 0..n (n + 1, 4) of the plant under a force held over every step."""

    def step(state, _):
        new = plant.step(state, force)
        return new, new

    _, states = jax.lax.scan(step, state0, None, length=n)
    return jnp.concatenate([state0[None], states])


@eqx.filter_jit
def curl_rollout(plant: PointMass, field: CurlField, state0, n: int):
    """States 0..n and the curl forces 0..n−1 that were held over each step (zero control)."""

    def step(state, _):
        f = field(state)
        return plant.step(state, f), (state, f)

    last, (states, forces) = jax.lax.scan(step, state0, None, length=n)
    return jnp.concatenate([states, last[None]]), forces


def analytic(t, p0, v0, f, mass, damping):
    """Closed form of m dv/dt = f − k v, dp/dt = v under a constant force (float64).

    Returns:
        (p, v), each (len(t), 2).
    """
    t = np.asarray(t, np.float64)[:, None]
    if damping == 0:
        v = v0 + f * t / mass
        p = p0 + v0 * t + f * t**2 / (2 * mass)
        return p, v
    v_inf = f / damping
    tau = mass / damping
    decay = np.exp(-t / tau)
    v = v_inf + (v0 - v_inf) * decay
    p = p0 + v_inf * t + (v0 - v_inf) * tau * (1 - decay)
    return p, v


def euler_recursion(n, dt, p0, v0, f, mass, damping):
    """Explicit Euler on the continuous vector field, in float64: p' = p + dt v, v' = v + dt (f − k v)/m."""
    p, v = np.array(p0, np.float64), np.array(v0, np.float64)
    ps, vs = [p], [v]
    for _ in range(n):
        p, v = p + dt * v, v + dt * (f - damping * v) / mass
        ps.append(p)
        vs.append(v)
    return np.array(ps), np.array(vs)


P0 = np.array([0.3, -0.7])
V0 = np.array([0.8, 0.25])
FORCE = np.array([-1.5, 2.0])

# (mass, damping, dt, n): the shipped default, the "physical units" preset (strong damping:
# 10 time constants over the trial), the k = 0 limit, and a heavy mass.
CASES = [
    (1.0, 0.05, 0.05, 100),
    (1.0, 10.0, 0.01, 100),
    (1.0, 0.0, 0.05, 100),
    (2.5, 0.7, 0.02, 150),
]


def assert_float32_close(states, p, v):
    """Float32 precision: the rounding of 100–150 float32 steps stays within 40 ulps (observed: at
    most 16) of the trajectory's largest magnitude, at every step and in every component."""
    ref = np.concatenate([p, v], axis=-1)
    atol = 40 * np.finfo(np.float32).eps * np.abs(ref).max()
    np.testing.assert_allclose(states, ref, rtol=0, atol=atol)


def state0():
    return jnp.asarray(np.concatenate([P0, V0]), jnp.float32)


@pytest.mark.parametrize("mass, damping, dt, n", CASES)
def test_exact_matches_analytic_solution_at_every_step(mass, damping, dt, n):
    plant = PointMass(mass=mass, damping=damping, dt=dt, discretisation="exact")
    states = np.asarray(constant_force_rollout(plant, state0(), jnp.asarray(FORCE, jnp.float32), n))
    p, v = analytic(dt * np.arange(n + 1), P0, V0, FORCE, mass, damping)
    assert states.dtype == np.float32
    assert_float32_close(states, p, v)


def test_exact_one_step_matrices_in_closed_form():
    """A_d and B_d of one ZOH step: the closed-form velocity decay and its integrals."""
    m, k, dt = 1.3, 2.0, 0.1
    plant = PointMass(mass=m, damping=k, dt=dt, discretisation="exact")
    e = np.exp(-k * dt / m)
    a = np.eye(4)
    a[0, 2] = a[1, 3] = m / k * (1 - e)
    a[2, 2] = a[3, 3] = e
    b = np.zeros((4, 2))
    b[0, 0] = b[1, 1] = (dt - m / k * (1 - e)) / k
    b[2, 0] = b[3, 1] = (1 - e) / k
    np.testing.assert_allclose(np.asarray(plant.a_d), a, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(plant.b_d), b, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mass, damping, dt, n", CASES)
def test_euler_matches_the_explicit_euler_recursion(mass, damping, dt, n):
    plant = PointMass(mass=mass, damping=damping, dt=dt, discretisation="euler")
    states = np.asarray(constant_force_rollout(plant, state0(), jnp.asarray(FORCE, jnp.float32), n))
    p, v = euler_recursion(n, dt, P0, V0, FORCE, mass, damping)
    assert_float32_close(states, p, v)


def test_euler_position_lags_force_by_one_step():
    """Euler's position update uses the old velocity: a force first moves the position one step later."""
    plant = PointMass(mass=1.0, damping=0.0, dt=0.1, discretisation="euler")
    s1 = plant.step(jnp.zeros(4), jnp.array([1.0, -2.0]))
    np.testing.assert_array_equal(np.asarray(s1), np.array([0.0, 0.0, 0.1, -0.2], np.float32))


def test_euler_converges_to_analytic_solution_at_first_order():
    mass, damping, t_end = 1.0, 2.0, 2.0
    dts = [0.04, 0.02, 0.01, 0.005]
    errors, exact_errors = [], []
    p_ref, v_ref = analytic([t_end], P0, V0, FORCE, mass, damping)
    ref = np.concatenate([p_ref[0], v_ref[0]])
    for dt in dts:
        n = round(t_end / dt)
        for disc, out in (("euler", errors), ("exact", exact_errors)):
            plant = PointMass(mass=mass, damping=damping, dt=dt, discretisation=disc)
            final = np.asarray(constant_force_rollout(plant, state0(), jnp.asarray(FORCE, jnp.float32), n))[-1]
            out.append(np.abs(final - ref).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    # Halving dt halves the global error of a first-order method.
    np.testing.assert_allclose(ratios, 2.0, rtol=0.05)
    assert errors[-1] < 0.01
    # The exact discretisation has no step-size error, only float32 rounding.
    assert max(exact_errors) < 1e-5
    assert max(exact_errors) < errors[-1] / 50


def random_states(n, seed=0):
    rng = np.random.default_rng(seed)
    return jnp.asarray(rng.normal(size=(n, 4)) * [1, 1, 3, 3], jnp.float32)


@pytest.mark.parametrize("amplitude", [1.0, -0.7, 4.0])
def test_curl_force_is_perpendicular_to_velocity(amplitude):
    states = random_states(1000)
    forces = jax.vmap(CurlField(amplitude=jnp.asarray(amplitude)))(states)
    vel = states[:, 2:]
    power = np.asarray(jnp.sum(forces * vel, axis=-1))
    np.testing.assert_allclose(power, 0.0, atol=1e-6 * np.abs(amplitude) * float(jnp.max(vel**2)))
    # Same magnitude as the velocity, scaled by |a|; rotated +90° (counter-clockwise) for a > 0.
    np.testing.assert_allclose(np.linalg.norm(forces, axis=-1), abs(amplitude) * np.linalg.norm(vel, axis=-1),
                               rtol=1e-6)
    cross = np.asarray(vel[:, 0] * forces[:, 1] - vel[:, 1] * forces[:, 0])
    assert np.all(np.sign(cross) == np.sign(amplitude))


def test_curl_does_no_work_in_the_continuous_dynamics():
    """Undamped, uncontrolled motion in a curl field: v(t) = R(a t / m) v0, a rotation, so speed
    is conserved and the work ∫ f·v dt is zero (checked by quadrature on the closed form)."""
    a, m = 1.7, 1.3
    t = np.linspace(0.0, 5.0, 20001)
    angle = a * t / m
    v0 = np.array([0.8, -0.4])
    v = np.stack([np.cos(angle) * v0[0] - np.sin(angle) * v0[1],
                  np.sin(angle) * v0[0] + np.cos(angle) * v0[1]], axis=-1)
    # The closed form satisfies m dv/dt = f(v) for the field as implemented.
    states = jnp.asarray(np.concatenate([np.zeros_like(v), v], axis=-1), jnp.float32)
    f = np.asarray(jax.vmap(CurlField(amplitude=jnp.asarray(a)))(states), np.float64)
    dv_dt = np.gradient(v, t, axis=0)
    np.testing.assert_allclose(m * dv_dt[1:-1], f[1:-1], atol=1e-5)
    work = np.trapezoid(np.sum(f * v, axis=-1), t)
    assert abs(work) < 1e-6
    np.testing.assert_allclose(np.linalg.norm(v, axis=-1), np.linalg.norm(v0), rtol=1e-12)


def test_curl_energy_change_under_euler_is_only_discretisation_error():
    """Under Euler, each step's first-order work f_k·v_k dt is zero; the speed still grows by the
    factor (1 + (a dt / m)²) per step, an O(dt) drift over a fixed time that vanishes as dt → 0."""
    a, m, t_end = 1.5, 1.0, 2.0
    v0 = np.array([0.6, 0.3])
    drifts = []
    for dt in (0.04, 0.02, 0.01):
        n = round(t_end / dt)
        plant = PointMass(mass=m, damping=0.0, dt=dt, discretisation="euler")
        s0 = jnp.asarray(np.concatenate([[0.1, 0.2], v0]), jnp.float32)
        states, forces = curl_rollout(plant, CurlField(amplitude=jnp.asarray(a)), s0, n)
        states, forces = np.asarray(states, np.float64), np.asarray(forces, np.float64)
        vel = states[:, 2:]
        work = np.sum(forces * vel[:-1], axis=-1) * dt
        np.testing.assert_allclose(work, 0.0, atol=1e-7)
        ke = 0.5 * m * np.sum(vel**2, axis=-1)
        growth = (1 + (a * dt / m) ** 2) ** np.arange(n + 1)
        np.testing.assert_allclose(ke / ke[0], growth, rtol=2e-5)
        drifts.append(ke[-1] / ke[0] - 1)
        # The direction still follows the continuous rotation (to first order in dt).
        angle = np.arctan2(vel[-1, 1], vel[-1, 0]) - np.arctan2(v0[1], v0[0])
        assert abs(np.angle(np.exp(1j * (angle - a * t_end / m)))) < 0.05
    drifts = np.array(drifts)
    assert np.all(drifts > 0)
    np.testing.assert_allclose(drifts[:-1] / drifts[1:], 2.0, rtol=0.05)


@pytest.mark.parametrize(
    "kwargs, bad",
    [
        ({"mass": 0.0}, "0.0"),
        ({"mass": -1.0}, "-1.0"),
        ({"mass": float("nan")}, "nan"),
        ({"damping": -0.05}, "-0.05"),
        ({"damping": float("nan")}, "nan"),
        ({"dt": 0.0}, "0.0"),
        ({"dt": -0.01}, "-0.01"),
        ({"discretisation": "rk4"}, "'rk4'"),
    ],
)
def test_invalid_constructor_arguments_name_the_value(kwargs, bad):
    (name,) = kwargs
    with pytest.raises(ValueError, match=rf"{name}.*{re.escape(bad)}"):
        PointMass(**kwargs)


def test_zero_damping_is_allowed_and_the_plant_is_a_module_of_float32_arrays():
    plant = PointMass(damping=0.0, discretisation="exact")
    assert plant.a_d.dtype == jnp.float32 and plant.b_d.dtype == jnp.float32
    assert plant.a_d.shape == (4, 4) and plant.b_d.shape == (4, 2)
    assert not any(eqx.is_array(x) for x in (plant.mass, plant.damping, plant.dt))
