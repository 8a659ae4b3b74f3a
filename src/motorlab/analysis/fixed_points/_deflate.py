"""Completing a set of fixed points: warm starts from neighbouring inputs and deflation.

The finder's Newton pass finds the roots its starts happen to fall towards. Two passes after it
look for the rest:

- **Neighbour warm starts.** When the inputs form a sweep or a grid, the verified roots of each
  input's neighbours are solved at that input (they lie close to a root there unless a fold lies
  between), repeated until no input gains a root.
- **Deflation** (Farrell, Birkisson & Funke 2015, SIAM J. Sci. Comput. 37: A2026). Newton's method
  is run on the deflated residual G(h) = M(h) r(h), r = F(u, h) − h, with the deflation operator

      M(h) = Π_k (‖h − h_k‖^−p + σ)

  over the roots h_k already known at that input, here with a length scale ρ per factor,
  (‖h − h_k‖/ρ)^−p + σ (p = 2, σ = 1, ρ cycled over `DEFLATION_RADII`): G keeps every other
  root of r, but an iteration on G is repelled from the known ones (M → ∞ there). G is the
  residual of the map h ↦ h + M(h) r(h) (`DeflatedMap`, the known roots carried in its input),
  so the finder's own verified trust-region solver (`solve_starts`) solves it unchanged. A
  verified root of G is polished by the undeflated solver, and only a verified root of F
  counts: deflation never adds a slow point. Seeds per round and input: a subsample of the
  original starts, the known roots plus noise (scales `DEFLATION_NOISE`), and uniform samples
  in the box. An input stops after `patience` rounds in a row add nothing (or `rounds` ran).

Units: hidden-state units throughout.
"""

from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Float, Int, PRNGKeyArray

from ...sim._recurrent import AbstractRecurrentMap
from ._linearise import Cell, residual_and_jacobian
from ._solve import FIXED_POINT, Tolerances, merge_distance, solve_starts

DEFLATION_NOISE = (0.05, 0.3)
"""Standard deviations (hidden-state units) of the noise added to known roots to seed deflation."""

DEFLATION_RADII = (1.0, 0.3, 0.1)
"""Length scales ρ of the deflation factors (‖d‖/ρ)^−p + σ, cycled over the seeds of a round
(Euclidean hidden-state units). With many known roots the product M varies over orders of
magnitude and a solve minimising ‖M r‖ is driven to the box boundary, away from every root;
a small ρ confines each factor to its root's neighbourhood (≈ 1 beyond a few ρ). Roots far
apart (a grid of attractors) are found with ρ ~ 1, roots packed close with ρ ~ 0.1."""

ROOT_CAPACITY = 32
"""Known roots the deflation operator holds per input (padded, masked): one compiled deflated
solve serves every round and call with up to this many roots at an input (doubled beyond)."""

CHUNK = 256
"""Starts per compiled call of the deflated solves and of the polishing / warm-start solves:
a fixed shape, so that each compiles once whatever the number of inputs still searching."""


class Extra(NamedTuple):
    """Verified roots found after the Newton pass, per input (lists of K arrays).

    Fields: `h` (n_k, H) roots, `error` final Newton step, `r` residual (n_k, H), `source` 1
    (neighbour warm start) or 2 (deflation) per root.
    """

    h: list
    error: list
    r: list
    source: list


def neighbours_of(spec: str | Sequence[Sequence[int]] | None, k_in: int) -> list[list[int]]:
    """Neighbour lists: "sweep" (k − 1 and k + 1), explicit lists (one per input), or none."""
    if spec is None:
        return [[] for _ in range(k_in)]
    if isinstance(spec, str):
        if spec != "sweep":
            raise ValueError(f"neighbours must be 'sweep', a list of index lists or None, "
                             f"got {spec!r}")
        return [[j for j in (k - 1, k + 1) if 0 <= j < k_in] for k in range(k_in)]
    out = [[int(j) for j in nb] for nb in spec]
    if len(out) != k_in or any(not 0 <= j < k_in for nb in out for j in nb):
        raise ValueError(f"neighbours must give one list of input indices in [0, {k_in}) per "
                         f"input ({k_in}), got {spec!r}")
    return out


def _is_new(h, err, known_h, known_err, tol: Tolerances) -> bool:
    if len(known_h) == 0:
        return True
    dist = np.max(np.abs(np.asarray(known_h) - h), axis=-1)
    return not np.any(dist <= merge_distance(err, np.asarray(known_err), tol))


class _Known:
    """The verified roots known per input, with their position errors and where they came from."""

    def __init__(self, roots: list, errors: list):
        self.h = [list(r) for r in roots]
        self.err = [list(e) for e in errors]
        self.extra = Extra([[] for _ in roots], [[] for _ in roots], [[] for _ in roots],
                           [[] for _ in roots])

    def add(self, k, h, err, r, source, tol) -> bool:
        if not _is_new(h, err, self.h[k], self.err[k], tol):
            return False
        self.h[k].append(h)
        self.err[k].append(float(err))
        for field, v in zip(self.extra, (h, float(err), r, source)):
            field[k].append(v)
        return True

    def arrays(self, hidden, dtype) -> Extra:
        def stack(xs, shape):
            return np.stack(xs).astype(dtype) if xs else np.zeros(shape, dtype)
        return Extra([stack(x, (0, hidden)) for x in self.extra.h],
                     [np.asarray(x, dtype) for x in self.extra.error],
                     [stack(x, (0, hidden)) for x in self.extra.r],
                     [np.asarray(x, np.int8) for x in self.extra.source])


def _polish_and_add(cell, known: _Known, owner, u, h, *, tol, bound, source) -> np.ndarray:
    """Verify each candidate h[j] (input `owner[j]`) and add new roots; returns new per input."""
    added = np.zeros(len(known.h), np.int64)
    if len(h) == 0:
        return added
    res = solve_starts(cell, u, h, tolerances=tol, bound=bound, max_steps=30, chunk=CHUNK)
    for j in np.flatnonzero(res.code == FIXED_POINT):
        k = int(owner[j])
        added[k] += known.add(k, res.h[j], res.error[j], res.r[j], source, tol)
    return added


def warm_from_neighbours(cell, inputs, known: _Known, neighbours, *, tol, bound,
                         max_rounds: int | None = None) -> np.ndarray:
    """Solve each input from its neighbours' roots until no input gains one; returns the number
    of roots added per input."""
    k_in = len(inputs)
    total = np.zeros(k_in, np.int64)
    tried: set[tuple[int, int, int]] = set()  # (to input, from input, root index)
    for _ in range(max_rounds or k_in + 1):
        owner, seeds = [], []
        for k in range(k_in):
            for j in neighbours[k]:
                for m, h in enumerate(known.h[j]):
                    if (k, j, m) not in tried:
                        tried.add((k, j, m))
                        owner.append(k)
                        seeds.append(h)
        if not seeds:
            break
        owner = np.asarray(owner)
        added = _polish_and_add(cell, known, owner, inputs[owner], np.stack(seeds), tol=tol,
                                bound=bound, source=1)
        total += added
        if not added.any():
            break
    return total


class DeflatedMap(AbstractRecurrentMap):
    """The map h ↦ h + M(h) (F(u, h) − h), whose residual is the deflated residual G = M r.

    The roots known at each start travel in its input: u_aug = (u, known roots (K·H),
    mask (K)), so that one compiled solve serves starts of many inputs. Its roots are the roots
    of F other than the known ones, so the verified trust-region solver (`solve_starts`) runs on
    it unchanged. J_G = I + M (J − I) + r ∇Mᵀ, ∇M = M ∇log M.
    """

    cell: Cell
    width: int = eqx.field(static=True)
    power: float = eqx.field(static=True)
    shift: float = eqx.field(static=True)
    root_bound = None

    def _split(self, u, h):
        n_h = h.shape[-1]
        base = u.shape[-1] - self.width * (n_h + 1) - 1
        known = u[base:base + self.width * n_h].reshape(self.width, n_h)
        return u[:base], known, u[base + self.width * n_h:-1] > 0.5, u[-1]

    def _log_m_and_grad(self, h, known, mask, radius):
        d = h[None] - known
        dist2 = jnp.maximum(jnp.sum(d**2, axis=-1) / radius**2, jnp.finfo(h.dtype).tiny)
        m_k = dist2 ** (-0.5 * self.power) + self.shift
        log_m = jnp.sum(jnp.where(mask, jnp.log(m_k), 0.0))
        coef = jnp.where(mask, -self.power * dist2 ** (-0.5 * self.power - 1) / m_k, 0.0
                         ) / radius**2
        return log_m, jnp.sum(coef[:, None] * d, axis=0)

    def step(self, inputs, hidden):
        u, known, mask, radius = self._split(inputs, hidden)
        log_m, _ = self._log_m_and_grad(hidden, known, mask, radius)
        return hidden + jnp.exp(log_m) * (self.cell.step(u, hidden) - hidden)

    def state_jacobian(self, inputs, hidden):
        u, known, mask, radius = self._split(inputs, hidden)
        log_m, grad = self._log_m_and_grad(hidden, known, mask, radius)
        m = jnp.exp(log_m)
        r, a = residual_and_jacobian(self.cell, u, hidden)
        eye = jnp.eye(hidden.shape[-1], dtype=hidden.dtype)
        return eye + m * a + m * r[:, None] * grad[None, :]

    def input_jacobian(self, inputs, hidden):
        return jax.jacfwd(lambda x: self.step(x, hidden))(inputs)

    @property
    def hidden_size(self):
        return self.cell.hidden_size

    @property
    def input_size(self):
        return None

    @property
    def dtype(self):
        return self.cell.dtype


def deflate(cell: Cell, inputs: Float[np.ndarray, "k i"], known: _Known,
            original: Float[np.ndarray, "k s h"], *, key: PRNGKeyArray, tol: Tolerances,
            bound: float, seeds: int = 64, rounds: int = 16, power: float = 2.0,
            shift: float = 1.0, radii: Sequence[float] = DEFLATION_RADII,
            max_steps: int = 40, patience: int = 2) -> np.ndarray:
    """Deflated Newton rounds (module docstring) until a round adds no root at any input.

    Arguments:
        inputs: (K, I); known: the roots so far (updated in place); original: the starts of
            the Newton pass (K, S, H), subsampled as seeds.
        seeds: deflated solves per input and round (a third each from the original starts,
            perturbed known roots and the box).
        rounds: at most this many rounds.
        patience: an input stops after this many consecutive rounds without a new root (1
            missed one of the planted oracle's roots, tests/test_fp_complete.py).
        radii: length scales of the deflation factors, cycled over the seeds
            (`DEFLATION_RADII`).
        power, shift: p and σ of the deflation operator.

    Returns:
        Number of roots deflation added per input, (K,).
    """
    k_in, _, hidden = original.shape
    dtype = original.dtype
    added = np.zeros(k_in, np.int64)
    idle = np.zeros(k_in, np.int64)  # consecutive rounds without a new root, per input
    for rnd in range(rounds):
        ks = np.flatnonzero(idle < patience)
        if ks.size == 0:
            break
        most = max(len(known.h[k]) for k in ks)
        width = ROOT_CAPACITY * int(2 ** max(0, np.ceil(np.log2(max(1, most) / ROOT_CAPACITY))))
        rk = jr.split(jr.fold_in(key, rnd), 4)
        n_orig = seeds // 3
        n_pert = seeds // 3
        n_box = seeds - n_orig - n_pert
        h0, kn, mask = [], [], []
        for i, k in enumerate(ks):
            kk = jr.fold_in(rk[0], int(k))
            pick = np.asarray(jr.choice(kk, original.shape[1], (n_orig,),
                                        replace=original.shape[1] < n_orig))
            roots = np.stack(known.h[k]) if known.h[k] else np.zeros((1, hidden), dtype)
            which = np.asarray(jr.randint(jr.fold_in(rk[1], int(k)), (n_pert,), 0, len(roots)))
            scales = np.asarray(DEFLATION_NOISE, dtype)[np.arange(n_pert) % len(DEFLATION_NOISE)]
            noise = np.asarray(jr.normal(jr.fold_in(rk[2], int(k)), (n_pert, hidden), dtype))
            box = np.asarray(jr.uniform(jr.fold_in(rk[3], int(k)), (n_box, hidden), dtype,
                                        -bound, bound))
            h0.append(np.concatenate([original[k, pick], roots[which] + scales[:, None] * noise,
                                      box]).clip(-bound, bound))
            pad = np.zeros((width, hidden), dtype)
            pad[:len(known.h[k])] = np.stack(known.h[k]) if known.h[k] else pad[:0]
            kn.append(np.broadcast_to(pad, (seeds, width, hidden)))
            mask.append(np.broadcast_to(np.arange(width) < len(known.h[k]), (seeds, width)))
        owner = np.repeat(ks, seeds)
        u = inputs[owner].astype(dtype)
        radius = np.resize(np.asarray(radii, dtype), len(owner))[:, None]
        u_aug = np.concatenate([u, np.concatenate(kn).reshape(len(owner), -1),
                                np.concatenate(mask).astype(dtype), radius], axis=1)
        res = solve_starts(DeflatedMap(cell, width, float(power), float(shift)), u_aug,
                           np.concatenate(h0), tolerances=tol, bound=bound, max_steps=max_steps,
                           bound_holds_roots=True, stop_early=True, chunk=CHUNK)
        conv = res.code == FIXED_POINT
        h = res.h
        new = _polish_and_add(cell, known, owner[conv], u[conv], np.asarray(h)[conv], tol=tol,
                              bound=bound, source=2)
        added += new
        idle = np.where(new > 0, 0, idle + 1)
    return added


def complete(cell: Cell, inputs, roots: list, errors: list, original, *, key: PRNGKeyArray,
             tol: Tolerances, bound: float, neighbours=None, deflation: bool | dict = True
             ) -> tuple[Extra, Int[np.ndarray, " k"], Int[np.ndarray, " k"]]:
    """Neighbour warm starts, then deflation, then warm starts again if deflation added roots.

    Arguments:
        roots, errors: per input, the verified roots of the Newton pass (n_k, H) and their
            final Newton steps.
        original: the Newton pass's starts (K, S, H).
        neighbours: see `neighbours_of`.
        deflation: False, True, or options of `deflate` (seeds, rounds, power, shift).

    Returns:
        (the roots added, with their source, per input; roots added by warm starts (K,); roots
        added by deflation (K,)).
    """
    inputs = np.asarray(inputs)
    k_in = len(inputs)
    known = _Known(roots, errors)
    nb = neighbours_of(neighbours, k_in)
    warm = warm_from_neighbours(cell, inputs, known, nb, tol=tol, bound=bound)
    defl = np.zeros(k_in, np.int64)
    if deflation:
        opts = deflation if isinstance(deflation, dict) else {}
        defl = deflate(cell, inputs, known, original, key=key, tol=tol, bound=bound, **opts)
        if defl.any():
            warm += warm_from_neighbours(cell, inputs, known, nb, tol=tol, bound=bound)
    return known.arrays(original.shape[-1], original.dtype), warm, defl


__all__ = ["DEFLATION_NOISE", "DeflatedMap", "Extra", "complete", "deflate", "neighbours_of",
           "warm_from_neighbours"]
