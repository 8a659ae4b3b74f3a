"""Two-parameter continuation of a fold (saddle-node) of fixed points: the curve in the plane of
two inputs (λ, μ) along which the map has a fold, e.g. SISU × a feedback-velocity offset.

The input is u(λ, μ) = base + λ·d₁ + μ·d₂. A fold of h ↦ F(u, h) is a fixed point with a real
multiplier +1: the standard augmented system (the "minimally extended" one in its eigenvector
form, as in Govaerts 2000, *Numerical Methods for Bifurcations of Dynamical Equilibria*, §4.2)

    F(u(λ, μ), h) − h = 0         (H equations)
    (J(u, h) − I) v  = 0          (H equations, J = ∂F/∂h)
    cᵀ v − 1         = 0          (normalisation, c the null vector at the start)

has 2H + 1 equations in y = (h, v, λ, μ) (2H + 2 unknowns): a curve, followed by
pseudo-arclength continuation (predictor along the tangent, the null vector of the system's
Jacobian; Newton corrector bordered by the tangent; step control as in `_arclength`). The
Jacobian, which needs the second derivatives of F in ∂(Jv)/∂h, is taken by forward-mode
autodiff of the system.

A cusp (the fold's quadratic coefficient vanishes: two folds meet and the fold curve turns back
in the (λ, μ) plane) is detected where κ = wᵀ D²F_h[v, v] changes sign, with w the left null
vector of J − I (oriented so that wᵀv > 0), and localised by bisection.

All linear algebra runs on the host (NumPy, float64 recommended); only the system and its
Jacobian are compiled.
"""

from typing import NamedTuple, final

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Float

from ._linearise import Cell


class Cusp(NamedTuple):
    """A cusp on a fold curve: the inputs (λ, μ), the point `h` (H,), and `index`, the first
    fold-curve sample after it."""

    lam: float
    mu: float
    h: np.ndarray
    index: int


@final
class FoldCurve(eqx.Module):
    """A fold curve in the (λ, μ) plane: N samples in arclength order.

    Fields:
        lam, mu: the two inputs at each sample, (N,) each.
        points: the fold point h at each sample, (N, H).
        vectors: the null vector v of J − I (cᵀv = 1), (N, H).
        arclength: cumulative arclength in (h, v, λ, μ), (N,).
        cusps: the `Cusp`s met, in order.
        stop: why it ended: "range", "max_points" or "step_failed".
    """

    lam: Float[np.ndarray, " n"]
    mu: Float[np.ndarray, " n"]
    points: Float[np.ndarray, "n h"]
    vectors: Float[np.ndarray, "n h"]
    arclength: Float[np.ndarray, " n"]
    cusps: tuple[Cusp, ...]
    stop: str


@eqx.filter_jit
def _system(cell, base, d1, d2, c, y):
    """The augmented system G(y) (2H + 1,) and its Jacobian (2H + 1, 2H + 2)."""
    n = (y.shape[0] - 2) // 2

    def g(y):
        h, v, lam, mu = y[:n], y[n:2 * n], y[2 * n], y[2 * n + 1]
        u = base + lam * d1 + mu * d2
        r = cell.step(u, h) - h
        av = cell.state_jacobian(u, h) @ v - v
        return jnp.concatenate([r, av, (c @ v - 1.0)[None]])

    return g(y), jax.jacfwd(g)(y)


@eqx.filter_jit
def _second(cell, base, d1, d2, y):
    """J − I and D²F_h[v, v] at y."""
    n = (y.shape[0] - 2) // 2
    h, v = y[:n], y[n:2 * n]
    u = base + y[2 * n] * d1 + y[2 * n + 1] * d2
    tangent = lambda x: jax.jvp(lambda z: cell.step(u, z), (x,), (v,))[1]  # noqa: E731
    return cell.state_jacobian(u, h) - jnp.eye(n, dtype=h.dtype), jax.jvp(tangent, (h,), (v,))[1]


class _Curve:
    def __init__(self, cell, base, d1, d2, c, tol, max_newton):
        dtype = np.float64 if cell.dtype is None else np.dtype(cell.dtype)
        self.cell, self.tol, self.max_newton = cell, tol, max_newton
        self.args = tuple(jnp.asarray(a, dtype) for a in (base, d1, d2))
        self.c = jnp.asarray(c, dtype)
        self.dtype = dtype

    def system(self, y):
        g, jac = _system(self.cell, *self.args, self.c, jnp.asarray(y, self.dtype))
        return np.asarray(g, np.float64), np.asarray(jac, np.float64)

    def correct(self, y_pred, t):
        y = y_pred.copy()
        for _ in range(self.max_newton):
            g, jac = self.system(y)
            try:
                dy = np.linalg.solve(np.r_[jac, t[None]], -np.r_[g, t @ (y - y_pred)])
            except np.linalg.LinAlgError:
                return None
            y = y + dy
            if not np.all(np.isfinite(y)):
                return None
            if np.max(np.abs(dy)) <= self.tol and np.max(np.abs(g)) <= self.tol:
                return y
        g, _ = self.system(y)
        return y if np.max(np.abs(g)) <= self.tol else None

    def tangent(self, y, t_prev):
        _, jac = self.system(y)
        t = np.linalg.solve(np.r_[jac, t_prev[None]], np.r_[np.zeros(len(jac)), 1.0])
        return t / np.linalg.norm(t)

    def kappa(self, y):
        """The cusp test function wᵀ D²F_h[v, v] (w the left null vector of J − I, wᵀv > 0)."""
        n = (len(y) - 2) // 2
        a, d2f = (np.asarray(x, np.float64) for x in _second(self.cell, *self.args,
                                                              jnp.asarray(y, self.dtype)))
        w = np.linalg.svd(a)[0][:, -1]
        w = w if w @ y[n:2 * n] >= 0 else -w
        return float(w @ d2f)


def _locate_cusp(curve: _Curve, y, t, ds, k0, locate_tol):
    lo, hi, best = 0.0, ds, None
    while hi - lo > locate_tol:
        mid = 0.5 * (lo + hi)
        ym = curve.correct(y + mid * t, t)
        if ym is None:
            break
        if np.sign(curve.kappa(ym)) != np.sign(k0):
            hi, best = mid, ym
        else:
            lo = mid
    return best if best is not None else curve.correct(y + hi * t, t)


def continue_fold(cell: Cell, base: Float[ArrayLike, " i"], d1: Float[ArrayLike, " i"],
                  d2: Float[ArrayLike, " i"], h0: Float[ArrayLike, " h"], lam0: float,
                  mu0: float = 0.0, *, lam_range: tuple[float, float] = (-np.inf, np.inf),
                  mu_range: tuple[float, float] = (-np.inf, np.inf), ds: float = 0.02,
                  ds_min: float = 1e-7, ds_max: float = 0.1, max_points: int = 400,
                  tol: float | None = None, max_newton: int = 12, locate_tol: float = 1e-9,
                  orientation: float = 1.0) -> FoldCurve:
    """Follow the fold through (h0, λ0) at μ0 in the plane u = base + λ·d₁ + μ·d₂.

    Arguments:
        cell: the map; float64 recommended.
        base, d1, d2: the input plane, (I,) each (e.g. d₁ the SISU unit vector, d₂ a feedback
            velocity direction).
        h0, lam0: a fold point at μ0 (e.g. a fold `Bifurcation` of `arclength_continuation`);
            corrected first, μ held.
        lam_range, mu_range: the curve stops once λ or μ leaves its interval.
        ds, ds_min, ds_max: initial, smallest and largest arclength step.
        max_points: samples on the curve.
        tol: corrector tolerance on ‖G‖∞ and ‖Δy‖∞; default 1e3 · eps of the map's dtype.
        locate_tol: arclength accuracy of a localised cusp.
        orientation: +1 starts towards increasing μ, −1 towards decreasing.

    Returns:
        The `FoldCurve`.
    """
    if not (ds_min > 0 and ds >= ds_min and ds_max >= ds):
        raise ValueError(f"need 0 < ds_min <= ds <= ds_max, got {ds_min}, {ds}, {ds_max}")
    dtype = np.float64 if cell.dtype is None else np.dtype(cell.dtype)
    tol = float(1e3 * np.finfo(dtype).eps) if tol is None else tol
    h0 = np.asarray(h0, np.float64)
    n = len(h0)
    base, d1, d2 = (np.asarray(a, np.float64) for a in (base, d1, d2))
    u0 = base + lam0 * d1 + mu0 * d2
    a0 = np.asarray(cell.state_jacobian(jnp.asarray(u0, dtype), jnp.asarray(h0, dtype)),
                    np.float64) - np.eye(n)
    v0 = np.linalg.svd(a0)[2][-1]
    curve = _Curve(cell, base, d1, d2, v0, tol, max_newton)
    e_mu = np.zeros(2 * n + 2)
    e_mu[-1] = 1.0
    y = curve.correct(np.r_[h0, v0, lam0, mu0], e_mu)
    if y is None:
        raise ValueError(f"no fold near h0 at λ = {lam0}, μ = {mu0} (the corrector of the "
                         f"augmented system did not converge)")
    t = curve.tangent(y, float(np.sign(orientation) or 1.0) * e_mu)
    ys, arc, cusps, stop = [y], [0.0], [], "max_points"
    kappa = curve.kappa(y)
    while len(ys) < max_points:
        y_new = curve.correct(y + ds * t, t)
        t_new = curve.tangent(y_new, t) if y_new is not None else None
        if t_new is None or t_new @ t < np.cos(np.pi / 6):
            ds *= 0.5
            if ds < ds_min:
                stop = "step_failed"
                break
            continue
        k_new = curve.kappa(y_new)
        if np.sign(k_new) != np.sign(kappa) and kappa != 0:
            at = _locate_cusp(curve, y, t, ds, kappa, locate_tol)
            if at is not None:
                cusps.append(Cusp(float(at[2 * n]), float(at[2 * n + 1]), at[:n].copy(),
                                  len(ys)))
        arc.append(arc[-1] + float(np.linalg.norm(y_new - y)))
        ys.append(y_new)
        y, t, kappa = y_new, t_new, k_new
        ds = min(ds * 1.5, ds_max)
        if not (lam_range[0] <= y[2 * n] <= lam_range[1] and mu_range[0] <= y[2 * n + 1] <= mu_range[1]):
            stop = "range"
            break
    ys = np.stack(ys)
    return FoldCurve(lam=ys[:, 2 * n], mu=ys[:, 2 * n + 1], points=ys[:, :n],
                     vectors=ys[:, n:2 * n], arclength=np.asarray(arc), cusps=tuple(cusps),
                     stop=stop)


__all__ = ["Cusp", "FoldCurve", "continue_fold"]
