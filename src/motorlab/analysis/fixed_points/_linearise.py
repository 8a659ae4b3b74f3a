"""Linearisation of a recurrent map F(u, h) at its fixed points.

For a fixed point h* of h ↦ F(u, h) this module gives the state Jacobian J = ∂F/∂h, the input
Jacobian B = ∂F/∂u, the spectrum of J and its discrete-time stability, the input sensitivity
dh*/du = (I − J)⁻¹ B, the Hessian of q(h) = ½‖F(u, h) − h‖², and trace/determinant summaries,
including those of the continuous-time equivalent (eigenvalues log λ / dt).

The map is an `AbstractRecurrentMap` (`motorlab.sim`): every controller, with its closed-form
Jacobians (O(H²) per point instead of H forward passes), or `FunctionMap(fn)` for any function
`(input, h) -> h`, differentiated with `jax.jacfwd`.
"""

from functools import partial
from typing import final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Complex, Float, Int

from ...sim._recurrent import AbstractRecurrentMap

Cell = AbstractRecurrentMap
"""What the fixed-point code analyses: a map h' = F(u, h) with its Jacobians."""


def state_jacobian(cell: Cell, u: Float[Array, " i"], h: Float[Array, " h"]
                   ) -> Float[Array, "h h"]:
    """J = ∂F/∂h at one point (the map's own, closed form for a controller)."""
    return cell.state_jacobian(u, h)


def input_jacobian(cell: Cell, u: Float[Array, " i"], h: Float[Array, " h"]
                   ) -> Float[Array, "h i"]:
    """B = ∂F/∂u at one point (the map's own, closed form for a controller)."""
    return cell.input_jacobian(u, h)


def residual_and_jacobian(cell: Cell, u: Array, h: Array) -> tuple[Array, Array]:
    """r = F(u, h) − h and its Jacobian ∂r/∂h = J − I."""
    return cell.residual_and_jacobian(u, h)


def q_hessian(cell: Cell, u: Float[Array, " i"], h: Float[Array, " h"]) -> Float[Array, "h h"]:
    """Exact Hessian of q(h) = ½‖F(u, h) − h‖² (= AᵀA at an exact root, A = J − I)."""
    return jax.hessian(lambda x: 0.5 * jnp.sum((cell.step(u, x) - x) ** 2))(h)


def _second_derivative(cell: Cell, u, h, v):
    """D²F(u, h)[v, v]: the second directional derivative of F along v, (H,)."""
    def first(x):
        return jax.jvp(lambda y: cell.step(u, y), (x,), (v,))[1]
    return jax.jvp(first, (h,), (v,))[1]


@eqx.filter_jit
def _curvature(cell: Cell, u, h, v0, iters: int):
    def one(u1, h1, v):
        def body(_, w):
            g = jax.grad(lambda x: 0.5 * jnp.sum(_second_derivative(cell, u1, h1, x) ** 2))(w)
            return g / jnp.maximum(jnp.sqrt(jnp.sum(g**2)), jnp.finfo(g.dtype).tiny)
        w = jax.lax.fori_loop(0, iters, body, v / jnp.sqrt(jnp.sum(v**2)))
        return jnp.sqrt(jnp.sum(_second_derivative(cell, u1, h1, w) ** 2))
    per_start = jax.vmap(lambda v: jax.vmap(one)(u, h, jnp.broadcast_to(v, h.shape)))(v0)
    return jnp.max(per_start, axis=0)


def map_curvature(cell: Cell, inputs: Float[ArrayLike, "n i"], points: Float[ArrayLike, "n h"],
                  *, n_starts: int = 4, iters: int = 30) -> Float[np.ndarray, " n"]:
    """‖D²F(h)‖ = max over unit v of ‖D²F(u, h)[v, v]‖ (units: hidden units per squared hidden
    unit), the curvature of the map at each point, by the higher-order power method (v ← the
    normalised gradient of ½‖D²F[v, v]‖²) from `n_starts` fixed random unit vectors; the best
    is kept, so the estimate is a lower bound that is exact when the power method reaches the
    global maximum. NaN points give NaN.

    With it, r(h* + δ) = (J − I) δ + ½ D²F[δ, δ] + O(‖δ‖³), so the linear term dominates within
    ‖δ‖ < σ_min(I − J) / ‖D²F‖: the linearisation radius reported next to it.
    """
    points = jnp.asarray(points)
    inputs = jnp.asarray(inputs, points.dtype)
    valid = jnp.all(jnp.isfinite(points), axis=-1)
    v0 = jax.random.normal(jax.random.PRNGKey(0), (n_starts, points.shape[-1]), points.dtype)
    n = points.shape[0]
    out = _curvature(cell, pad_rows(inputs, fill=0.0),
                     pad_rows(jnp.where(valid[:, None], points, 0.0), fill=0.0), v0, iters)[:n]
    return np.where(np.asarray(valid), np.asarray(out), np.nan)


@final
class Linearisation(eqx.Module):
    """Linearisation of F at a batch of points (leading axes `...` of the points given).

    Points given as NaN (padding) give NaN in every field.

    Fields:
        jacobian: J = ∂F/∂h, shape (..., H, H).
        input_jacobian: B = ∂F/∂u, shape (..., H, I).
        eigenvalues: eigenvalues of J (complex), sorted by decreasing modulus, shape (..., H).
        eigenvectors: right eigenvectors as columns (..., H, H), or None unless requested.
        spectral_radius: max |λ|, shape (...).
        n_unstable: number of eigenvalues with |λ| > 1 (discrete-time unstable directions).
        stable: spectral_radius < 1 (discrete-time asymptotic stability).
        input_sensitivity: dh*/du = (I − J)⁻¹ B, shape (..., H, I): how far the fixed point moves
            per unit change of each input.
        sigma_min: smallest singular value of I − J; → 0 at a fold (saddle-node).
        input_singular_values: singular values of B, decreasing, shape (..., min(H, I)).
        hessian: Hessian of q(h) = ½‖F(u, h) − h‖² at the point, shape (..., H, H).
        trace, logabsdet, det_sign: tr J, log|det J| and sign(det J) (the determinant of a
            100×100 contracting J underflows, hence the log).
        ct_trace: trace of the continuous-time equivalent, Σ Re(log λ) / dt = log|det J| / dt
            (units 1/time); NaN when no `dt` was given.
        ct_logabsdet: log|det| of the continuous-time equivalent, Σ_i log|μ_i| with μ_i =
            log(λ_i) / dt (principal branch; the det has units (1/time)^H); NaN without `dt`,
            −inf when some λ = 1 exactly. The product Π μ_i is real unless J has negative real
            eigenvalues (whose principal log is log|λ| + iπ), hence its modulus.
    """

    jacobian: Float[Array, "... h h"]
    input_jacobian: Float[Array, "... h i"]
    eigenvalues: Complex[Array, "... h"]
    eigenvectors: Complex[Array, "... h h"] | None
    spectral_radius: Float[Array, "..."]
    n_unstable: Int[Array, "..."]
    stable: Bool[Array, "..."]
    input_sensitivity: Float[Array, "... h i"]
    sigma_min: Float[Array, "..."]
    input_singular_values: Float[Array, "... k"]
    hessian: Float[Array, "... h h"]
    trace: Float[Array, "..."]
    logabsdet: Float[Array, "..."]
    det_sign: Float[Array, "..."]
    ct_trace: Float[Array, "..."]
    ct_logabsdet: Float[Array, "..."]


@eqx.filter_jit
def _derivatives(cell: Cell, u: Array, h: Array):
    """(J, B, Hessian of q) at each row: autodiff and products only, no LAPACK calls."""
    def one(u1, h1):
        return state_jacobian(cell, u1, h1), input_jacobian(cell, u1, h1), q_hessian(cell, u1, h1)

    return jax.vmap(one)(u, h)


def _decompositions(jac: np.ndarray, b: np.ndarray):
    """(dh*/du, σ_min(I − J), σ(B), log|det J|, sign det J) on the host, with NumPy's LAPACK.

    Not in XLA: jaxlib 0.10's batched CPU decompositions share XLA's thread pool, and two of
    them running at once in one executable can deadlock it (seen on 2 cores, flag
    --xla_cpu_multi_thread_eigen=false or not).
    """
    a = np.eye(jac.shape[-1], dtype=jac.dtype) - jac
    try:
        sens = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:  # an exactly singular I − J (a fold): no finite dh*/du there
        sens = np.stack([_solve_or_nan(a_k, b_k) for a_k, b_k in zip(a, b)]) if len(a) else a @ b
    sv_a = np.linalg.svd(a, compute_uv=False)
    sv_b = np.linalg.svd(b, compute_uv=False)
    sign, logdet = np.linalg.slogdet(jac)
    return sens, sv_a[:, -1], sv_b, logdet, sign


def _solve_or_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.full(b.shape, np.nan, b.dtype)


def eigen(matrices: Float[Array, "n h h"], vectors: bool = False):
    """Eigenvalues (and right eigenvectors) of real non-symmetric matrices, on the CPU.

    XLA has no non-symmetric eigensolver on accelerators, so the matrices are moved to the
    host CPU. Eigenvalues are sorted by decreasing modulus. Non-finite matrices give NaN.
    """
    n = matrices.shape[0]
    mats = jax.device_put(pad_rows(jnp.asarray(matrices)), jax.devices("cpu")[0])
    vals, vecs = _sorted_eig(mats, vectors)
    return vals[:n], None if vecs is None else vecs[:n]


@partial(jax.jit, static_argnums=1)
def _sorted_eig(mats, vectors: bool):
    finite = jnp.all(jnp.isfinite(mats), axis=(-2, -1))
    safe = jnp.where(finite[:, None, None], mats, 0.0)
    if vectors:
        vals, vecs = jnp.linalg.eig(safe)
    else:
        vals, vecs = jnp.linalg.eigvals(safe), None
    order = jnp.argsort(-jnp.abs(vals), axis=-1)
    vals = jnp.take_along_axis(vals, order, axis=-1)
    nan = jnp.array(jnp.nan, dtype=vals.dtype)
    vals = jnp.where(finite[:, None], vals, nan)
    if vecs is not None:
        vecs = jnp.take_along_axis(vecs, order[:, None, :], axis=-1)
        vecs = jnp.where(finite[:, None, None], vecs, nan)
    return vals, vecs


def pad_rows(x: Array, multiple: int = 16, fill: float = jnp.nan) -> Array:
    """`x` with `fill` rows appended up to a multiple of `multiple` rows (fewer compiled shapes)."""
    extra = -x.shape[0] % multiple
    if not extra:
        return x
    return jnp.concatenate([x, jnp.full((extra, *x.shape[1:]), fill, x.dtype)])


def linearise(cell: Cell, inputs: Float[ArrayLike, "... i"], points: Float[ArrayLike, "... h"], *,
              dt: float | None = None, eigenvectors: bool = False) -> Linearisation:
    """Linearise F(u, h) at each (input, point) pair.

    Arguments:
        cell: the map (`AbstractRecurrentMap`: a controller, or `FunctionMap(fn)`).
        inputs: inputs u, shape (..., I); broadcast against the leading axes of `points`.
        points: fixed points h*, shape (..., H); NaN rows (padding) give NaN results.
        dt: time step of the map, for the continuous-time trace (units of time); optional.
        eigenvectors: also return right eigenvectors (memory: H² complex numbers per point).

    Returns:
        A `Linearisation` whose fields have the leading shape `...` of `points`.
    """
    points = jnp.asarray(points)
    inputs = jnp.asarray(inputs, dtype=points.dtype)
    if points.ndim < 1 or inputs.ndim < 1:
        raise ValueError(f"points and inputs need a last feature axis; got shapes "
                         f"{points.shape} and {inputs.shape}")
    lead = jnp.broadcast_shapes(points.shape[:-1], inputs.shape[:-1])
    n_h, n_i = points.shape[-1], inputs.shape[-1]
    h = jnp.broadcast_to(points, (*lead, n_h)).reshape(-1, n_h)
    u = jnp.broadcast_to(inputs, (*lead, n_i)).reshape(-1, n_i)
    valid = jnp.all(jnp.isfinite(h), axis=-1)
    n = h.shape[0]
    jac, b, hess = (np.asarray(x)[:n] for x in _derivatives(
        cell, pad_rows(jnp.where(valid[:, None], u, 0.0), fill=0.0),
        pad_rows(jnp.where(valid[:, None], h, 0.0), fill=0.0)))
    parts = [jac, b, *_decompositions(jac, b), hess, np.trace(jac, axis1=-2, axis2=-1)]
    nan = jnp.array(jnp.nan, dtype=h.dtype)
    parts = [jnp.where(valid.reshape(-1, *([1] * (p.ndim - 1))), jnp.asarray(p, h.dtype), nan)
             for p in parts]
    jac, b, sens, smin, sv_b, logdet, sign, hess, trace = parts
    vals, vecs = eigen(jac, vectors=eigenvectors)
    modulus = jnp.abs(vals)
    radius = jnp.max(modulus, axis=-1)
    n_unstable = jnp.where(valid, jnp.sum(modulus > 1.0, axis=-1), -1)
    if dt is not None:
        ct_trace = logdet / dt
        ct_logabsdet = continuous_logabsdet(vals, dt).astype(logdet.dtype)
    else:
        ct_trace = ct_logabsdet = jnp.full_like(logdet, jnp.nan)

    def shape(x, tail=0):
        return jnp.reshape(x, (*lead, *x.shape[x.ndim - tail:]) if tail else lead)

    return Linearisation(
        jacobian=shape(jac, 2), input_jacobian=shape(b, 2),
        eigenvalues=shape(vals, 1), eigenvectors=None if vecs is None else shape(vecs, 2),
        spectral_radius=shape(radius), n_unstable=shape(n_unstable), stable=shape(radius < 1.0),
        input_sensitivity=shape(sens, 2), sigma_min=shape(smin),
        input_singular_values=shape(sv_b, 1), hessian=shape(hess, 2), trace=shape(trace),
        logabsdet=shape(logdet), det_sign=shape(sign), ct_trace=shape(ct_trace),
        ct_logabsdet=shape(ct_logabsdet))


def continuous_logabsdet(eigenvalues: Complex[Array, "... h"], dt: float) -> Float[Array, "..."]:
    """log|det| of the continuous-time equivalent of a map with eigenvalues λ: Σ log|log(λ) / dt|.

    μ = log(λ) / dt (principal branch, units 1/time) are the eigenvalues of the matrix
    logarithm of J over dt; the result is log|Π μ| = Σ log|log λ| − H log dt. NaN eigenvalues
    give NaN.
    """
    lam = jnp.asarray(eigenvalues)
    return jnp.sum(jnp.log(jnp.abs(jnp.log(lam))), axis=-1) - lam.shape[-1] * jnp.log(dt)


def mode_trace_det(eigenvalues: Complex[ArrayLike, "... h"], dt: float | None = None
                   ) -> tuple[Float[np.ndarray, "... h"], Float[np.ndarray, "... h"]]:
    """Trace and determinant of the planar system of each eigenmode, for trace–det diagrams.

    An eigenvalue λ stands for the 2-D real system with eigenvalues (λ, λ̄): trace 2 Re λ and
    determinant |λ|². A complex pair therefore gives one point twice; a real eigenvalue gives a
    point on the parabola det = tr²/4. With `dt`, the continuous-time eigenvalue μ = log(λ) / dt
    (principal branch; units 1/time) is used instead.

    Arguments:
        eigenvalues: eigenvalues of a discrete-time Jacobian, any shape.
        dt: time step of the map; `None` gives the discrete-time (map) values.

    Returns:
        (trace, determinant), numpy arrays of the shape of `eigenvalues`.
    """
    lam = np.asarray(eigenvalues)
    if dt is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = np.log(lam.astype(np.complex128)) / dt
    return 2.0 * lam.real, np.abs(lam) ** 2
