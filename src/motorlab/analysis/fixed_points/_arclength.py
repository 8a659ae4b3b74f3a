"""Pseudo-arclength continuation of fixed points along one input direction, through folds,
with bifurcations detected, localised and named.

The input moves on a line u(λ) = base + λ·direction (one input block, e.g. SISU with
`direction` its unit vector, so that λ is the SISU value; or a homotopy between two inputs,
base = u_a, direction = u_b − u_a, λ ∈ [0, 1]). The branch is the curve x = (h, λ) with
R(x) = F(u(λ), h) − h = 0, followed by arclength: predictor x + Δs·t along the unit tangent t
(the null vector of R' = [J − I, B·direction]), corrector Newton on (R(x), tᵀ(x − x_pred)) = 0,
whose bordered matrix [[J − I, B·d], [tᵀ]] stays regular at a fold, so that the branch is followed
around it and back. Step control: Δs halves when the corrector fails or the tangent turns by
more than 30°, and grows ×1.5 after quick convergence, within [ds_min, ds_max].

Test functions on each step, with the kind named where one changes sign (λ_i eigenvalues of
J = ∂F/∂h, the discrete-time multipliers):

- fold (saddle-node, a real λ = +1): the λ-component of the tangent, t_λ;
- branch point (two branches cross; a real λ = +1 too): det [[J − I, B·d], [tᵀ]];
- flip (period doubling, a real λ = −1): det(J + I);
- Neimark–Sacker (a complex pair crosses |λ| = 1): the number of complex λ with |λ| > 1.

Each is localised by bisection of the step to the parameter where it changes sign
(`locate_tol` in arclength). At a branch point the branch can be switched: the second null
vector of R' (orthogonal to t) starts the crossing branch, followed both ways.

All linear algebra runs on the host (NumPy); only F and its Jacobians are compiled.
"""

from typing import NamedTuple, final

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Float, Int

from ._linearise import Cell

BIFURCATION_KINDS = ("fold", "branch_point", "flip", "neimark_sacker")


class Bifurcation(NamedTuple):
    """A bifurcation on a branch: `kind` (one of `BIFURCATION_KINDS`), `param` λ, the point `h`
    (H,), `index` of the first branch sample after it, and `multiplier`: the eigenvalue of J
    nearest the critical value (+1, −1, or the unit circle)."""

    kind: str
    param: float
    h: np.ndarray
    index: int
    multiplier: complex


@final
class Branch(eqx.Module):
    """One continued branch: N samples in arclength order.

    Fields:
        params: λ at each sample, (N,); inputs are base + λ·direction.
        points: h at each sample, (N, H).
        arclength: cumulative arclength in (h, λ), (N,).
        n_unstable: eigenvalues of J with |λ| > 1, (N,).
        spectral_radius: max |λ|, (N,).
        eigenvalues: the multipliers (eigenvalues of J) at each sample, decreasing modulus,
            (N, H) complex.
        bifurcations: the `Bifurcation`s met, in order.
        parent: index of the branch this one was switched from at a branch point, −1 if none.
        stop: why it ended: "range", "max_points" or "step_failed".
    """

    params: Float[np.ndarray, " n"]
    points: Float[np.ndarray, "n h"]
    arclength: Float[np.ndarray, " n"]
    n_unstable: Int[np.ndarray, " n"]
    spectral_radius: Float[np.ndarray, " n"]
    eigenvalues: np.ndarray
    bifurcations: tuple[Bifurcation, ...]
    parent: int
    stop: str

    @property
    def stable(self) -> np.ndarray:
        return self.spectral_radius < 1.0


@eqx.filter_jit
def _parts(cell, base, direction, h, lam):
    u = base + lam * direction
    r = cell.step(u, h) - h
    jac = cell.state_jacobian(u, h)
    return r, jac, cell.input_jacobian(u, h) @ direction


class _Point(NamedTuple):
    x: np.ndarray  # (H + 1,) = (h, λ)
    t: np.ndarray  # unit tangent
    jac: np.ndarray  # J at x
    eig: np.ndarray
    psi: tuple  # (t_λ, sign det bordered, sign det(J + I), complex unstable count)


class _Problem:
    def __init__(self, cell, base, direction, tol, max_newton):
        self.cell, self.tol, self.max_newton = cell, tol, max_newton
        self.dtype = np.float64 if cell.dtype is None else np.dtype(cell.dtype)
        self.base = jnp.asarray(base, self.dtype)
        self.direction = jnp.asarray(direction, self.dtype)

    def parts(self, x):
        r, jac, b = _parts(self.cell, self.base, self.direction,
                           jnp.asarray(x[:-1], self.dtype), jnp.asarray(x[-1], self.dtype))
        return (np.asarray(r, np.float64), np.asarray(jac, np.float64),
                np.asarray(b, np.float64))

    def correct(self, x_pred, t):
        """Newton on (R(x), tᵀ(x − x_pred)) = 0; returns x or None."""
        x = x_pred.copy()
        for _ in range(self.max_newton):
            r, jac, b = self.parts(x)
            a = np.block([[jac - np.eye(len(r)), b[:, None]], [t[None]]])
            rhs = np.r_[r, t @ (x - x_pred)]
            try:
                dx = np.linalg.solve(a, -rhs)
            except np.linalg.LinAlgError:
                return None
            x = x + dx
            if not np.all(np.isfinite(x)):
                return None
            if np.max(np.abs(dx)) <= self.tol and np.max(np.abs(r)) <= self.tol:
                return x
        r, _, _ = self.parts(x)
        return x if np.max(np.abs(r)) <= self.tol else None

    def point(self, x, t_prev):
        """The tangent (oriented along t_prev) and test functions at a corrected x."""
        _, jac, b = self.parts(x)
        rp = np.c_[jac - np.eye(len(b)), b]
        bordered = np.r_[rp, t_prev[None]]
        t = np.linalg.solve(bordered, np.r_[np.zeros(len(b)), 1.0])
        t /= np.linalg.norm(t)
        eig = np.linalg.eigvals(jac)
        psi = (t[-1], np.sign(np.linalg.det(np.r_[rp, t[None]])),
               np.sign(np.linalg.det(jac + np.eye(len(b)))),
               int(np.sum((np.abs(eig) > 1.0) & (np.abs(eig.imag) > 1e-12))))
        return _Point(x, t, jac, eig, psi)


def _kind(p: _Point, q: _Point) -> str | None:
    """Which test function changes sign between two neighbouring points."""
    if p.psi[1] != q.psi[1]:
        return "branch_point"
    if np.sign(p.psi[0]) != np.sign(q.psi[0]):
        return "fold"
    if p.psi[2] != q.psi[2]:
        return "flip"
    if p.psi[3] != q.psi[3]:
        return "neimark_sacker"
    return None


def _changed(kind, p: _Point, q: _Point) -> bool:
    i = {"fold": 0, "branch_point": 1, "flip": 2, "neimark_sacker": 3}[kind]
    return bool((np.sign(p.psi[0]) != np.sign(q.psi[0])) if i == 0 else p.psi[i] != q.psi[i])


def _locate(prob, p: _Point, ds, kind, locate_tol):
    """Bisect the step from p to the sign change of the `kind` test function."""
    lo, hi, best = 0.0, ds, None
    while abs(hi - lo) > locate_tol:
        mid = 0.5 * (lo + hi)
        x = prob.correct(p.x + mid * p.t, p.t)
        if x is None:
            break
        q = prob.point(x, p.t)
        if _changed(kind, p, q):
            hi, best = mid, q
        else:
            lo = mid
    if best is None:
        x = prob.correct(p.x + hi * p.t, p.t)
        best = prob.point(x, p.t) if x is not None else p
    return best


def _multiplier(kind, eig):
    target = {"fold": 1.0, "branch_point": 1.0, "flip": -1.0}.get(kind)
    if target is None:
        dist = np.where(np.abs(eig.imag) > 1e-12, np.abs(np.abs(eig) - 1.0), np.inf)
    else:
        dist = np.abs(eig - target)
    return complex(eig[np.argmin(dist)])


def _follow(prob, start: _Point, *, lam_range, ds, ds_min, ds_max, max_points, locate_tol,
            parent) -> tuple[Branch, list]:
    pts, bifs, arc = [start], [], [0.0]
    stop = "max_points"
    while len(pts) < max_points:
        p = pts[-1]
        x = prob.correct(p.x + ds * p.t, p.t)
        q = prob.point(x, p.t) if x is not None else None
        if q is None or q.t @ p.t < np.cos(np.pi / 6):
            ds *= 0.5
            if ds < ds_min:
                stop = "step_failed"
                break
            continue
        kind = _kind(p, q)
        if kind is not None:
            at = _locate(prob, p, ds, kind, locate_tol)
            bifs.append(Bifurcation(kind, float(at.x[-1]), at.x[:-1].copy(), len(pts),
                                    _multiplier(kind, at.eig)))
        arc.append(arc[-1] + float(np.linalg.norm(q.x - p.x)))
        pts.append(q)
        ds = min(ds * 1.5, ds_max)
        if not lam_range[0] <= q.x[-1] <= lam_range[1]:
            stop = "range"
            break
    eigs = np.stack([p.eig for p in pts])
    eigs = np.take_along_axis(eigs, np.argsort(-np.abs(eigs), axis=1, kind="stable"), axis=1)
    eig_mod = np.abs(eigs)
    xs = np.stack([p.x for p in pts])
    branch = Branch(params=xs[:, -1], points=xs[:, :-1], arclength=np.asarray(arc),
                    n_unstable=np.sum(eig_mod > 1.0, axis=1).astype(np.int32),
                    spectral_radius=eig_mod.max(axis=1), eigenvalues=eigs,
                    bifurcations=tuple(bifs),
                    parent=parent, stop=stop)
    return branch, pts


def arclength_continuation(cell: Cell, base: Float[ArrayLike, " i"],
                           direction: Float[ArrayLike, " i"], h0: Float[ArrayLike, " h"], *,
                           lam0: float = 0.0, lam_range: tuple[float, float] = (-np.inf, np.inf),
                           ds: float = 0.02, ds_min: float = 1e-6, ds_max: float = 0.1,
                           max_points: int = 400, tol: float | None = None,
                           max_newton: int = 12, locate_tol: float = 1e-9,
                           orientation: float = 1.0, switch: bool = False) -> list[Branch]:
    """Follow the fixed-point branch through h0 at λ0 along u(λ) = base + λ·direction.

    Arguments:
        cell: the map (`AbstractRecurrentMap`); float64 recommended (the tests use it).
        base, direction: the input line, (I,) each.
        h0: a point near a fixed point at λ0 (corrected first, λ held).
        lam_range: the branch stops once λ leaves this interval.
        ds, ds_min, ds_max: initial, smallest and largest arclength step (in (h, λ) units).
        max_points: samples per branch.
        tol: corrector tolerance on ‖R‖∞ and ‖Δx‖∞; default 1e3 · eps of the map's dtype.
        locate_tol: arclength accuracy of a localised bifurcation.
        orientation: +1 starts towards increasing λ, −1 towards decreasing.
        switch: at each branch point of the first branch, follow the crossing branch both ways.

    Returns:
        The branches: the first from h0, then any switched to (their `parent` is 0).
    """
    dtype = np.float64 if cell.dtype is None else np.dtype(cell.dtype)
    tol = float(1e3 * np.finfo(dtype).eps) if tol is None else tol
    if not (ds_min > 0 and ds >= ds_min and ds_max >= ds):
        raise ValueError(f"need 0 < ds_min <= ds <= ds_max, got {ds_min}, {ds}, {ds_max}")
    prob = _Problem(cell, base, direction, tol, max_newton)
    x0 = np.r_[np.asarray(h0, np.float64), lam0]
    e_lam = np.zeros_like(x0)
    e_lam[-1] = 1.0
    x = prob.correct(x0, e_lam)
    if x is None:
        raise ValueError(f"no fixed point near h0 at λ = {lam0} (the corrector did not converge)")
    start = prob.point(x, float(np.sign(orientation) or 1.0) * e_lam)
    opts = dict(lam_range=lam_range, ds=ds, ds_min=ds_min, ds_max=ds_max,
                max_points=max_points, locate_tol=locate_tol)
    first, _ = _follow(prob, start, parent=-1, **opts)
    out = [first]
    if switch:
        for bif in first.bifurcations:
            if bif.kind == "branch_point":
                out += _switch(prob, bif, first, opts)
    return out


def _switch(prob, bif: Bifurcation, branch: Branch, opts) -> list[Branch]:
    """Both halves of the branch crossing `branch` at the branch point `bif`."""
    x = np.r_[bif.h, bif.param]
    _, jac, b = prob.parts(x)
    _, _, vt = np.linalg.svd(np.c_[jac - np.eye(len(b)), b])
    i = bif.index
    t = np.r_[branch.points[i] - branch.points[i - 1], branch.params[i] - branch.params[i - 1]]
    t /= np.linalg.norm(t)
    null = vt[-2:]
    other = null[np.argmin(np.abs(null @ t))]
    other = other - (other @ t) * t
    other /= np.linalg.norm(other)
    out = []
    for sign in (1.0, -1.0):
        d = sign * other
        eps = 10 * opts["ds_min"] + 1e-3
        xc = prob.correct(x + eps * d, d)
        if xc is None:
            continue
        start = prob.point(xc, d)
        br, _ = _follow(prob, start, parent=0, **{**opts, "max_points": opts["max_points"] // 2})
        out.append(br)
    return out


__all__ = ["BIFURCATION_KINDS", "Bifurcation", "Branch", "arclength_continuation"]
