"""Root solver behind the fixed-point finder: many starts, each verified or classified.

Every start is solved on its own for a root of r(h) = F(u, h) − h by a trust-region
(Powell dogleg) Newton method: the Newton step −(J − I)⁻¹ r when it fits the trust region and
reduces q(h) = ½‖r(h)‖², otherwise a step bent towards steepest descent of q. All starts of all
inputs run in one compiled `lax.while_loop`; each iteration steps only the still-active starts
(gathered into the smallest of a few fixed batch sizes), and the loop ends once every start is
done. A start ends with one status:

- `fixed_point`: ‖r‖∞ is at float round-off and the Newton step from the point is below
  `step_tol`, i.e. Newton has converged on a root.
- `slow_point`: the iteration ended (stalled, or `max_steps` ran out) at a stationary point of
  q above round-off (r is orthogonal to the range of J − I, ‖(J − I)ᵀ r‖ ≤ `slow` ‖J − I‖_F ‖r‖);
  e.g. the "ghost" left just past a saddle-node.
- `unconverged`: `max_steps` ran out, or the iteration stalled, away from a stationary point of
  q; also a start stuck on the boundary of a box known to hold every root (see `diverged`).
- `diverged`: the residual became non-finite, or (only when the box |h_i| <= `bound` is not
  known to hold every root, e.g. the default box 1e3 of a generic callable) the iterate ended on
  the boundary (it is stopped after 5 iterations pinned there): the root it heads for lies
  outside the box.
  Iterates are clipped to the box. When the map declares a box holding every fixed point
  (`root_bound`: 1 for the GRU and the leaky RNN, whose fixed points h* = tanh(·) lie strictly
  inside [−1, 1]^H), a start pinned on its boundary has not run away: it keeps iterating and
  ends `unconverged` (or on a root) instead.

Units: q(h) = ½‖F(u, h) − h‖², summed (not averaged) over the H units, in squared hidden-state
units per step of the map. (The published finders report the mean over units, = 2q/H.)
"""

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from ._linearise import Cell, residual_and_jacobian

FIXED_POINT, SLOW_POINT, UNCONVERGED, DIVERGED = 0, 1, 2, 3
STATUS_NAMES = ("fixed_point", "slow_point", "unconverged", "diverged")
"""Status codes (index = code) of a start or a unique point."""


class Tolerances(NamedTuple):
    """Tolerances of the root verification (all in hidden-state units).

    Fields:
        residual: a root needs ‖F(u, h) − h‖∞ ≤ residual · max(1, ‖h‖∞).
        step: ... and a Newton step ‖(J − I)⁻¹ r‖∞ ≤ step (the position is known to this accuracy).
        slow: a stall point is a slow point when ‖(J − I)ᵀ r‖ ≤ slow · ‖J − I‖_F ‖r‖.
        unique: two roots are one when ‖h₁ − h₂‖∞ ≤ `merge_distance` = max(unique,
            `ERROR_MARGIN` (e₁ + e₂)), eᵢ their final Newton steps; slow points are merged
            within `slow_unique`.
        slow_unique: merge distance (∞-norm) of slow points, whose position is only as good as
            the flat valley of q they sit in.
    """

    residual: float
    step: float
    slow: float
    unique: float
    slow_unique: float


def default_tolerances(dtype) -> Tolerances:
    """Tolerances tied to the precision of `dtype` (eps = machine epsilon).

    residual 64·eps (f32 7.6e-6, f64 1.4e-14), step and unique √eps (f32 3.5e-4, f64 1.5e-8),
    slow 1e-3, slow_unique 1e-2.
    """
    eps = float(jnp.finfo(dtype).eps)
    return Tolerances(residual=64 * eps, step=eps**0.5, slow=1e-3, unique=eps**0.5,
                      slow_unique=1e-2)


def default_bound(cell: Cell) -> float:
    """The search box |h_i| <= bound: the map's `root_bound` when it declares one, else 1e3."""
    return 1e3 if cell.root_bound is None else float(cell.root_bound)


def bound_holds_all_roots(cell: Cell, bound: float) -> bool:
    """Whether the box |h_i| <= `bound` is known to hold every fixed point of the map."""
    return cell.root_bound is not None and bound >= cell.root_bound


ERROR_MARGIN = 2.0
"""Safety factor on the summed position errors of two roots in `merge_distance`.

The final Newton step e of a verified root estimates how far it may lie from the exact root.
Near a fold, where σ_min(I − J) is small, e is round-off in r amplified by 1/σ_min: a random
sample of the position noise, from 0 up to about that noise (seen: 0 to 1.4e-8 in float64 at
σ_min ≈ 5e-8, where one root's verified iterates scatter over 1.5e-8). Two distinct roots
there are only a few noise levels apart (the pair about to vanish at the fold), so a generous
factor (10 was used) merged them whenever the two round-off samples happened to be large,
which depends on the platform's floating-point code (FMA, vector width). A factor 2 keeps such
pairs apart, while `Tolerances.unique` (√eps) still holds the scatter of one root.
"""


def merge_distance(err1, err2, tol: Tolerances):
    """Distance (∞-norm) within which two verified roots with final Newton steps `err1`,
    `err2` (broadcasting arrays) are one point: max(`tol.unique`, `ERROR_MARGIN` (e₁ + e₂))."""
    return np.maximum(tol.unique, ERROR_MARGIN * (np.asarray(err1) + np.asarray(err2)))


_EDGE_STEPS = 5  # iterations pinned on the boundary before a start counts as diverged


class _Start(NamedTuple):
    h: Array  # current iterate (H,)
    r: Array  # residual F(u, h) − h
    newton: Array  # Newton step −(J − I)⁻¹ r at h (non-finite when J − I is singular)
    grad: Array  # gradient of q, (J − I)ᵀ r
    ag2: Array  # ‖(J − I) grad‖²
    anorm: Array  # ‖J − I‖_F
    radius: Array  # trust radius (2-norm)
    steps: Array  # iterations taken
    edge: Array  # consecutive iterations spent on the boundary |h|∞ = bound
    done: Array
    code: Array
    q_mark: Array  # q at the last progress check (every `_PROGRESS_STEPS` iterations)


_PROGRESS_STEPS = 4
_PROGRESS = 0.5
"""With `stop_early`, a start stops when q has not fallen below `_PROGRESS` times its value
`_PROGRESS_STEPS` iterations before: a deflated solve that converges does so superlinearly,
while one without a root in reach creeps towards a slow point of the deflated q (measured on
an H = 100 GRU: q falls by 0.7× over iterations 5–10 and 0.85× over 10–20, and 80 % of
such starts are still `unconverged` after 40 iterations). Every root of the oracle tests
(tests/test_fp_complete.py) is still found with checks every 4 iterations."""


def _lu_solve(lu: Array, perm: Array, b: Array) -> Array:
    """Solve (P L U) x = b from `lax.linalg.lu` factors.

    Substitution in plain JAX loops: XLA's CPU triangular-solve call costs about 5× more for a
    batch of small systems.
    """
    n = b.shape[0]
    y0 = b[perm]

    def forward(i, y):
        return y.at[i].set(y0[i] - jnp.dot(jnp.where(jnp.arange(n) < i, lu[i], 0.0), y))

    def backward(k, x):
        i = n - 1 - k
        row = jnp.where(jnp.arange(n) > i, lu[i], 0.0)
        return x.at[i].set((x[i] - jnp.dot(row, x)) / lu[i, i])

    y = jax.lax.fori_loop(0, n, forward, jnp.zeros_like(b))
    return jax.lax.fori_loop(0, n, backward, y)


def _linear_parts(cell, u, h):
    """Residual, Newton step, gradient of q, ‖A grad‖² and ‖A‖_F at h (A = J − I)."""
    r, a = residual_and_jacobian(cell, u, h)
    lu, _, perm = jax.lax.linalg.lu(a)
    newton = -_lu_solve(lu, perm, r)
    # Aᵀr and A·grad through the map (shared weights, one batched product) rather than
    # through the per-start matrix: a read of N H² numbers saved each
    _, vjp = jax.vjp(lambda x: cell.step(u, x), h)
    grad = vjp(r)[0] - r
    a_grad = jax.jvp(lambda x: cell.step(u, x), (h,), (grad,))[1] - grad
    return r, newton, grad, jnp.sum(a_grad**2), jnp.sqrt(jnp.sum(a**2))


def _classify(s: _Start, tol: Tolerances, bound: float, holds_roots: bool, stalled,
              stop_early: bool = False) -> tuple[Array, Array]:
    """(done, status code) of a start; the code stands when the loop ends (`max_steps`).

    `stop_early`: a start also stops at a slow point (a stationary point of q that is not a
    root), where no root is in reach of the iteration any more. Used for deflated solves,
    whose q has a ring of such minima around every deflated root. (A deflated start pinned on
    the box boundary is not stopped: in the oracle grid a quarter of the roots deflation adds
    are reached through the boundary.)"""
    hmax = jnp.max(jnp.abs(s.h))
    rmax = jnp.max(jnp.abs(s.r))
    root = (hmax <= bound) & (rmax <= tol.residual * jnp.maximum(1.0, hmax)) & (
        jnp.max(jnp.abs(s.newton)) <= tol.step)
    rnorm = jnp.sqrt(jnp.sum(s.r**2))
    stationary = jnp.sqrt(jnp.sum(s.grad**2)) <= tol.slow * s.anorm * rnorm
    # runaway: a non-finite residual, or (box not known to hold every root) ending on the
    # boundary, where a start pinned for `_EDGE_STEPS` iterations is stopped
    ran_away = ~jnp.all(jnp.isfinite(s.r))
    done = root | stalled | ran_away
    if stop_early:
        done = done | stationary
    if not holds_roots:
        ran_away = ran_away | (hmax >= bound)
        done = done | (s.edge >= _EDGE_STEPS)
    code = jnp.where(root, FIXED_POINT, jnp.where(ran_away, DIVERGED,
                     jnp.where(stationary, SLOW_POINT, UNCONVERGED)))
    return done, code


def _init(cell, u, h, tol, bound, holds_roots, active, stop_early=False):
    h = jnp.clip(h, -bound, bound)
    r, newton, grad, ag2, anorm = _linear_parts(cell, u, h)
    radius = jnp.maximum(1.0, jnp.sqrt(jnp.sum(h**2)))
    s = _Start(h, r, newton, grad, ag2, anorm, radius, jnp.array(0), jnp.array(0),
               jnp.array(False), jnp.array(UNCONVERGED), 0.5 * jnp.sum(r**2))
    done, code = _classify(s, tol, bound, holds_roots, jnp.array(False), stop_early)
    return s._replace(done=done | ~active, code=code)


def _step(cell, u, s: _Start, tol: Tolerances, bound: float, holds_roots: bool,
          stop_early: bool = False) -> _Start:
    """One dogleg trust-region iteration, kept inside the box |h| <= bound.

    A done start is returned unchanged.
    """
    tiny = jnp.finfo(s.h.dtype).tiny
    gg = jnp.sum(s.grad**2)
    gnorm = jnp.sqrt(gg)
    n_norm = jnp.sqrt(jnp.sum(s.newton**2))
    newton_ok = jnp.isfinite(n_norm)
    newton = jnp.where(newton_ok, s.newton, 0.0)
    cauchy = -(gg / jnp.maximum(s.ag2, tiny)) * s.grad
    c_norm = jnp.sqrt(jnp.sum(cauchy**2))
    use_newton = newton_ok & (n_norm <= s.radius)
    use_grad = ~use_newton & (~newton_ok | (c_norm >= s.radius))
    # dogleg: the point of the segment cauchy -> newton at distance `radius`
    d = newton - cauchy
    a2, b2 = jnp.sum(d**2), 2.0 * jnp.sum(cauchy * d)
    c2 = c_norm**2 - s.radius**2
    tau = (-b2 + jnp.sqrt(jnp.maximum(b2**2 - 4.0 * a2 * c2, 0.0))) / jnp.maximum(2.0 * a2, tiny)
    delta = jnp.where(use_newton, newton, jnp.where(
        use_grad, -(s.radius / jnp.maximum(gnorm, tiny)) * s.grad, cauchy + tau * d))
    trial = jnp.clip(s.h + delta, -bound, bound)
    delta = trial - s.h
    # linear model of r after the step, r + (J - I) delta, for the gain ratio
    _, jd = jax.jvp(lambda x: cell.step(u, x), (s.h,), (delta,))
    q = 0.5 * jnp.sum(s.r**2)
    model = 0.5 * jnp.sum((s.r + jd - delta) ** 2)
    r_trial = cell.step(u, trial) - trial
    q_trial = 0.5 * jnp.sum(r_trial**2)
    rho = (q - q_trial) / jnp.maximum(q - model, tiny)
    accept = jnp.isfinite(q_trial) & (rho > 1e-4) & (q_trial < q)
    d_norm = jnp.sqrt(jnp.sum(delta**2))
    radius = jnp.where(rho < 0.25, 0.25 * d_norm, jnp.where(
        (rho > 0.75) & (d_norm > 0.99 * s.radius), 2.0 * s.radius, s.radius))
    radius = jnp.where(jnp.isfinite(radius), radius, 0.25 * s.radius)
    h_new = jnp.where(accept, trial, s.h)
    r_new, newton, grad, ag2, anorm = _linear_parts(cell, u, h_new)
    edge = jnp.where(jnp.max(jnp.abs(h_new)) >= bound, s.edge + 1, 0)
    q_new = 0.5 * jnp.sum(r_new**2)
    check = (s.steps + 1) % _PROGRESS_STEPS == 0
    new = _Start(h_new, r_new, newton, grad, ag2, anorm, radius, s.steps + 1, edge, s.done,
                 s.code, jnp.where(check, q_new, s.q_mark))
    eps = jnp.finfo(s.h.dtype).eps
    stalled = radius < 10.0 * eps * jnp.maximum(1.0, jnp.sqrt(jnp.sum(h_new**2)))
    if stop_early:
        stalled = stalled | (check & (q_new > _PROGRESS * s.q_mark))
    done, code = _classify(new, tol, bound, holds_roots, stalled, stop_early)
    new = new._replace(done=done, code=code)
    return jax.tree.map(lambda old, nw: jnp.where(s.done, old, nw), s, new)


def _bucket_sizes(n: int, smallest: int = 64, from_size: int = 1024) -> list[int]:
    """Batch sizes the loop may step: n, n/4, ... >= `smallest`; just n below `from_size`
    (gathering does not pay for small batches, and each size is compiled)."""
    sizes = [n]
    while n >= from_size and sizes[-1] // 4 >= smallest:
        sizes.append(sizes[-1] // 4)
    return sizes


def _solve(cell: Cell, u: Float[Array, "n i"], h0: Float[Array, "n h"], active: Bool[Array, " n"],
           tol: Tolerances, bound: float, holds_roots: bool, max_steps: Array,
           stop_early: bool = False) -> _Start:
    """Solve every start; u[j] is the input of start j. One compiled loop, real early exit.

    `max_steps` is traced (a scalar array): calls that differ only in it share one program."""
    state = jax.vmap(lambda u1, h1, a1: _init(cell, u1, h1, tol, bound, holds_roots, a1,
                                              stop_early))(u, h0, active)
    sizes = _bucket_sizes(h0.shape[0])
    step = jax.vmap(lambda u1, s1: _step(cell, u1, s1, tol, bound, holds_roots, stop_early))

    def run(size):
        def branch(args):
            st, order = args
            if size == h0.shape[0]:  # every start: no gather
                return step(u, st)
            idx = order[:size]
            sub = step(u[idx], jax.tree.map(lambda x: x[idx], st))
            return jax.tree.map(lambda x, y: x.at[idx].set(y), st, sub)
        return branch

    def cond(carry):
        st, it = carry
        return jnp.any(~st.done) & (it < max_steps)

    def body(carry):
        st, it = carry
        n_active = jnp.sum(~st.done)
        order = jnp.argsort(st.done, stable=True)  # active starts first
        which = jnp.sum(n_active <= jnp.array(sizes[1:])) if len(sizes) > 1 else 0
        st = jax.lax.switch(which, [run(z) for z in sizes], (st, order))
        return st, it + 1

    state, _ = jax.lax.while_loop(cond, body, (state, jnp.array(0)))
    return state


def _adam(cell, u, h0, steps: int, lr: float, bound: float):
    """Optional warm-up: per-start Adam (β 0.9, 0.999, ε 1e-8) on q, each start on its own."""
    b1, b2, eps = 0.9, 0.999, 1e-8

    def one(u1, h1):
        grad_q = jax.grad(lambda x: 0.5 * jnp.sum((cell.step(u1, x) - x) ** 2))

        def body(i, carry):
            h, m, v = carry
            g = grad_q(h)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            t = (i + 1).astype(h.dtype)
            step = lr * (m / (1 - b1**t)) / (jnp.sqrt(v / (1 - b2**t)) + eps)
            return jnp.clip(h - step, -bound, bound), m, v

        zeros = jnp.zeros_like(h1)
        return jax.lax.fori_loop(0, steps, body, (h1, zeros, zeros))[0]

    return jax.vmap(one)(u, h0)


@eqx.filter_jit
def _warm_and_solve(cell, u, h0, active, tol, bound, holds_roots, max_steps, adam_steps,
                    adam_lr, stop_early=False):
    if adam_steps > 0:
        h0 = _adam(cell, u, h0, adam_steps, adam_lr, bound)
    return h0, _solve(cell, u, h0, active, tol, bound, holds_roots, max_steps, stop_early)


class Solved(NamedTuple):
    """Outcome of `solve_starts` (numpy arrays, leading axis = start).

    Fields: `h` final point (N, H); `r` residual F(u, h) − h there; `code` status; `q` =
    ½‖r‖² (float64); `error` = ‖Newton step‖∞ at h; `steps` iterations; `starts` the starts
    after any Adam warm-up.
    """

    h: np.ndarray
    r: np.ndarray
    code: np.ndarray
    q: np.ndarray
    error: np.ndarray
    steps: np.ndarray
    starts: np.ndarray


def solve_starts(cell: Cell, u: Float[ArrayLike, "n i"], h0: Float[ArrayLike, "n h"], *,
                 tolerances: Tolerances, bound: float, max_steps: int = 100,
                 batch_size: int = 4096, adam_steps: int = 0, adam_lr: float = 0.01,
                 bound_holds_roots: bool | None = None, stop_early: bool = False,
                 chunk: int | None = None) -> Solved:
    """Solve F(u_j, h) = h from each start h0_j, in chunks of `batch_size` (one compile).

    Chunks are padded with inactive starts (no iterations, dropped from the result) so that
    every chunk has the same shape.

    `bound_holds_roots`: the box |h_i| <= `bound` is known to hold every root, so a start pinned
    on its boundary has not run away (status `unconverged`, not `diverged`; see the module
    docstring). Default: True when the map declares a `root_bound` <= `bound`, else False.

    `stop_early`: stop a start at a slow point too (see `_classify`; for deflated solves).
    `chunk`: starts per compiled call; default `batch_size`, or the total rounded up to a
    multiple of 256 when smaller. `max_steps` does not enter the compiled program's key.
    """
    if bound_holds_roots is None:
        bound_holds_roots = bound_holds_all_roots(cell, bound)
    u = np.asarray(u)
    h0 = np.asarray(h0)
    total = h0.shape[0]
    # whole chunks of `batch_size`, or the total rounded up to a multiple of 256: a few
    # compiled shapes serve calls with different numbers of starts
    if chunk is None:
        chunk = max(1, min(batch_size, -(-total // 256) * 256))
    outs = []
    for lo in range(0, total, chunk):
        n = min(chunk, total - lo)
        take = np.concatenate([np.arange(lo, lo + n), np.full(chunk - n, lo)])
        active = np.arange(chunk) < n
        used, st = _warm_and_solve(cell, jnp.asarray(u[take]), jnp.asarray(h0[take]),
                                   jnp.asarray(active), tolerances, bound,
                                   bool(bound_holds_roots), jnp.asarray(max_steps, jnp.int32),
                                   adam_steps, adam_lr, bool(stop_early))
        outs.append(jax.tree.map(lambda x: np.asarray(x)[:n], (used, st)))
    cat = lambda xs: np.concatenate(xs, axis=0)  # noqa: E731
    st = jax.tree.map(lambda *xs: cat(xs), *[o[1] for o in outs])
    return Solved(h=st.h, r=st.r, code=st.code.astype(np.int8),
                  q=0.5 * np.sum(st.r.astype(np.float64) ** 2, axis=-1),
                  error=np.max(np.abs(st.newton), axis=-1), steps=st.steps.astype(np.int32),
                  starts=cat([o[0] for o in outs]))
