"""Jacobians, spectra, input sensitivity and Hessians at fixed points."""

import contextlib

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from motorlab.sim import FunctionMap
from gru_examples import (as_controller, C_FOLD, H, block_cell, block_fixed_points, fold_cell, random_cell,
                          scalar_roots)
from shape_checking import unchecked
from motorlab.analysis.fixed_points import find_fixed_points
from motorlab.analysis.fixed_points import (
    input_jacobian,
    linearise,
    mode_trace_det,
    q_hessian,
    state_jacobian,
)


@pytest.fixture(params=["float32", "float64"])
def dtype(request):
    ctx = jax.enable_x64(True) if request.param == "float64" else contextlib.nullcontext()
    with ctx:
        yield jnp.dtype(request.param)


def test_gru_closed_form_jacobians_match_autodiff(dtype, getkey):
    cell = random_cell(dtype, size=7, n_inputs=4, gain=2.0)
    u = jr.normal(getkey(), (4,), dtype)
    h = jr.uniform(getkey(), (7,), dtype, minval=-0.9, maxval=0.9)
    tol = 1e3 * float(jnp.finfo(dtype).eps)
    no_bias = as_controller(eqx.nn.GRUCell(4, 7, use_bias=False, key=getkey(), dtype=dtype))

    @eqx.filter_jit
    def both(c):
        return (state_jacobian(c, u, h), jax.jacfwd(lambda x: c.step(u, x))(h),
                input_jacobian(c, u, h), jax.jacfwd(lambda v: c.step(v, h))(u))

    for c in (cell, no_bias):
        closed_h, auto_h, closed_u, auto_u = both(c)
        np.testing.assert_allclose(closed_h, auto_h, atol=tol)
        np.testing.assert_allclose(closed_u, auto_u, atol=tol)


def test_origin_of_bias_free_gru(dtype, getkey):
    cell = random_cell(dtype, size=H, n_inputs=2)
    cell = eqx.tree_at(lambda c: (c.cell.bias, c.cell.bias_n), cell,
                       (jnp.zeros_like(cell.cell.bias), jnp.zeros_like(cell.cell.bias_n)))
    lin = linearise(cell, jnp.zeros(2, dtype), jnp.zeros(H, dtype), dt=0.05)
    w = np.asarray(cell.cell.weight_hh, np.float64)
    w_in = np.asarray(cell.cell.weight_ih[2 * H:], np.float64)
    j = 0.5 * np.eye(H) + 0.25 * w[2 * H:]
    b = 0.5 * w_in  # only the candidate path is open at h = 0: (1 − z)(1 − n²) = ½
    tol = 100 * float(jnp.finfo(dtype).eps)
    np.testing.assert_allclose(lin.jacobian, j, atol=tol)
    np.testing.assert_allclose(lin.input_jacobian, b, atol=tol)
    np.testing.assert_allclose(lin.input_sensitivity, np.linalg.solve(np.eye(H) - j, b),
                               atol=1e3 * tol)
    np.testing.assert_allclose(lin.trace, np.trace(j), atol=tol * H)
    sign, logdet = np.linalg.slogdet(j)
    np.testing.assert_allclose(lin.logabsdet, logdet, rtol=1e-4)
    np.testing.assert_allclose(lin.ct_trace, logdet / 0.05, rtol=1e-4)
    # at an exact root the Hessian of q is (J − I)ᵀ(J − I)
    np.testing.assert_allclose(lin.hessian, (j - np.eye(H)).T @ (j - np.eye(H)), atol=1e3 * tol)
    np.testing.assert_allclose(lin.input_singular_values, np.linalg.svd(b, compute_uv=False),
                               atol=1e3 * tol)
    np.testing.assert_allclose(lin.sigma_min, np.linalg.svd(np.eye(H) - j, compute_uv=False)[-1],
                               atol=1e3 * tol)


def test_block_cell_spectrum_stability_and_eigenvectors(getkey):
    with jax.enable_x64(True):
        cell = block_cell(jnp.float64)
        points, n_unstable = block_fixed_points()
        lin = linearise(cell, jnp.zeros(2), jnp.asarray(points), eigenvectors=True)
        np.testing.assert_array_equal(lin.n_unstable, n_unstable)
        np.testing.assert_array_equal(lin.stable, n_unstable == 0)
        half = points[:, [0, -1]]
        top = 0.5 + 3.0 * (1.0 - half**2) / 4.0
        np.testing.assert_allclose(lin.spectral_radius, np.maximum(top.max(1), 0.5), atol=1e-12)
        j, vals, vecs = (np.asarray(x) for x in (lin.jacobian, lin.eigenvalues, lin.eigenvectors))
        np.testing.assert_allclose(np.einsum("nij,njk->nik", j, vecs), vecs * vals[:, None, :],
                                   atol=1e-10)
        assert np.all(np.diff(np.abs(vals), axis=1) <= 1e-12)  # sorted by decreasing modulus


def test_input_sensitivity_matches_finite_differences(getkey):
    with jax.enable_x64(True):
        cell = random_cell(jnp.float64, size=6, n_inputs=3, gain=1.5)
        u0 = np.array([0.2, -0.4, 0.1])
        eps = 1e-6
        inputs = np.stack([u0] + [u0 + s * eps * e for e in np.eye(3) for s in (1, -1)])
        fps = find_fixed_points(cell, inputs, key=getkey(), n_box=16)
        assert np.all(fps.n_fixed == 1)
        lin = linearise(cell, jnp.asarray(u0), jnp.asarray(fps.points[0, 0]))
        fd = (fps.points[1::2, 0] - fps.points[2::2, 0]).T / (2 * eps)
        np.testing.assert_allclose(lin.input_sensitivity, fd, atol=1e-6)


def test_sigma_min_vanishes_towards_a_fold():
    with jax.enable_x64(True):
        values = []
        for gap in (0.3, 0.1, 0.01):
            c = C_FOLD - gap
            p = scalar_roots(c)[:2]  # the two roots that meet at the fold
            cell = fold_cell(c, jnp.float64)
            lin = linearise(cell, jnp.zeros(2), jnp.asarray(p[:, None] * np.ones(H)))
            expected = np.abs(0.5 - 0.75 * (1 - p**2))  # J is symmetric here
            np.testing.assert_allclose(lin.sigma_min, np.minimum(expected, 0.5), atol=1e-12)
            values.append(float(np.max(lin.sigma_min)))
        assert values[0] > values[1] > values[2]


def test_padding_and_broadcasting():
    cell = block_cell(jnp.float32)
    points = np.zeros((2, 3, H), np.float32)
    points[1, 2] = np.nan
    lin = linearise(cell, jnp.zeros((2, 1, 2)), jnp.asarray(points))
    assert lin.jacobian.shape == (2, 3, H, H) and lin.eigenvalues.shape == (2, 3, H)
    assert lin.input_jacobian.shape == (2, 3, H, 2)
    assert np.all(np.isnan(lin.eigenvalues[1, 2])) and lin.n_unstable[1, 2] == -1
    assert np.all(np.isfinite(lin.eigenvalues[:, :2]))
    assert np.isnan(lin.ct_trace[0, 0])  # no dt given
    with pytest.raises(ValueError, match="feature axis"), unchecked("tests the library's own error for a shape its annotation excludes"):
        linearise(cell, jnp.zeros(()), jnp.zeros(H))


def test_q_hessian_off_a_root_includes_curvature_of_the_map(getkey):
    cell = random_cell(jnp.float32, size=5, n_inputs=2, gain=2.0)
    u = jnp.array([0.5, -0.5])
    h = jnp.full(5, 0.3)
    a, hess = eqx.filter_jit(lambda c: (state_jacobian(c, u, h) - jnp.eye(5),
                                        q_hessian(c, u, h)))(cell)
    np.testing.assert_allclose(hess, hess.T, atol=1e-6)
    assert not np.allclose(hess, a.T @ a, atol=1e-4)


def test_mode_trace_det():
    lam = np.array([0.5 + 0.5j, 0.5 - 0.5j, -0.2 + 0j])
    tr, det = mode_trace_det(lam)
    np.testing.assert_allclose(tr, [1.0, 1.0, -0.4])
    np.testing.assert_allclose(det, [0.5, 0.5, 0.04])
    tr_c, det_c = mode_trace_det(lam, dt=0.1)
    mu = np.log(lam.astype(complex)) / 0.1
    np.testing.assert_allclose(tr_c, 2 * mu.real)
    np.testing.assert_allclose(det_c, np.abs(mu) ** 2)
    assert np.all(tr_c[:2] < 0)  # |λ| < 1: decaying in continuous time


def test_continuous_time_determinant_of_a_hand_computed_map(dtype):
    # F(u, h) = A h + b u with A = [[½, −½], [½, ½]] ⊕ [0.2]: λ = ½ ± ½i, 0.2
    a = np.array([[0.5, -0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.2]])
    lin_map = FunctionMap(lambda u, h: jnp.asarray(a, dtype) @ h + u[0])
    dt = 0.05
    lin = linearise(lin_map, jnp.zeros(1, dtype), jnp.zeros(3, dtype), dt=dt)
    # log λ = −½ ln 2 ± iπ/4 and ln 0.2, so |Π μ| = ((½ ln 2)² + (π/4)²) · |ln 0.2| / dt³
    want = np.log(((0.5 * np.log(2)) ** 2 + (np.pi / 4) ** 2) * -np.log(0.2)) - 3 * np.log(dt)
    np.testing.assert_allclose(lin.ct_logabsdet, want, rtol=1e-5)
    np.testing.assert_allclose(lin.ct_trace, (np.log(0.5) + np.log(0.2)) / dt, rtol=1e-5)
    np.testing.assert_allclose(lin.logabsdet, np.log(0.5 * 0.2), rtol=1e-5)
    # a negative real eigenvalue: |log(−0.5)| = |ln 0.5 + iπ|
    neg = FunctionMap(lambda u, h: -0.5 * h + u[0])
    lin_neg = linearise(neg, jnp.zeros(1, dtype), jnp.zeros(1, dtype), dt=1.0)
    np.testing.assert_allclose(lin_neg.ct_logabsdet, np.log(np.hypot(np.log(0.5), np.pi)),
                               rtol=1e-5)
    assert np.isnan(linearise(lin_map, jnp.zeros(1, dtype), jnp.zeros(3, dtype)).ct_logabsdet)



def test_exactly_singular_i_minus_j_gives_nan_sensitivity_not_an_error():
    """Where I − J is exactly singular (J = I: every point is fixed) dh*/du does not exist:
    it is NaN, and the rest of the linearisation is still given."""
    def identity_map(u, h):
        return h + 0.0 * u[0]

    lin = linearise(FunctionMap(identity_map), jnp.zeros((2, 1)), jnp.zeros((2, 3)))
    assert np.all(np.isnan(np.asarray(lin.input_sensitivity)))
    np.testing.assert_allclose(np.asarray(lin.sigma_min), 0.0)
    np.testing.assert_allclose(np.asarray(lin.spectral_radius), 1.0)
    np.testing.assert_allclose(np.asarray(lin.logabsdet), 0.0)


def test_map_curvature_matches_the_rank1_closed_form():
    """F(h) = ½ tanh(c + ½ (a/H) 1ᵀh) 1 + ½ h: D²F[v, v] = ½ tanh''(x) (a/(2H) 1ᵀv)² 1, largest
    for v = 1/√H: ‖D²F‖ = ½ |tanh''(x)| (a/(2√H))² √H, x = c + a p / 2."""
    from gru_examples import fold_cell, scalar_roots
    from motorlab.analysis.fixed_points import map_curvature

    with jax.enable_x64(True):
        size, a, c = 8, 3.0, 0.1
        cell = fold_cell(0.0, jnp.float64)
        roots = scalar_roots(c)
        got = map_curvature(cell, np.tile([[c, 0.0]], (len(roots), 1)),
                            roots[:, None] * np.ones((1, size)))
        t = np.tanh(c + 0.5 * a * roots)
        want = 0.5 * np.abs(2 * t * (1 - t**2)) * (a / (2 * np.sqrt(size))) ** 2 * np.sqrt(size)
        np.testing.assert_allclose(got, want, rtol=1e-8)
