"""Maps with known complete fixed-point sets, and an independent root finder, for the
completeness tests (tests/test_fp_complete.py) and bench/fp_completeness.py.

- `grid_cell(d)`: a Hopfield-like rank-d GRU. W_hr = W_hz = 0 and zero gate biases make
  r = z = ½, so F(h) = ½ tanh(½ W_hn h) + ½ h, with W_hn = (a/b) blockdiag(1 1ᵀ) over d blocks
  of b units. A root is constant on each block, its value p solving p = tanh(a p / 2): for a > 2
  the three values {−p*, 0, p*}, so 3^d roots in a grid, a root's unstable directions = its
  number of zero blocks (all-±p* roots are stable nodes, the others saddles).
- `planted_cell(roots)`: the same GRU form with W_hn and the input bias b solved so that the
  given points are roots: atanh(h_k) = b + ½ W_hn h_k for every k (exact for m ≤ H + 1 points).
  Other roots may exist; `scipy_roots` finds them independently.
- `scipy_roots`: roots of a GRU controller's map by `scipy.optimize.root` (MINPACK hybrd,
  finite-difference Jacobian) on a NumPy re-implementation of the cell, from many structured
  seeds, de-duplicated in float64: independent of the code under test.
"""

import itertools

import numpy as np
import scipy.optimize

from gru_examples import _cell, scalar_roots


def grid_cell(dtype, d: int = 3, block: int = 4, a: float = 3.0):
    """The rank-d grid cell (3^d roots), H = d · block; inputs (2) have no effect."""
    size = d * block
    w = np.zeros((size, size))
    for i in range(d):
        w[i * block:(i + 1) * block, i * block:(i + 1) * block] = a / block
    return _cell(w, 0.0, dtype)


def grid_roots(d: int = 3, block: int = 4, a: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """The 3^d roots of `grid_cell` (3^d, H) and their numbers of unstable directions."""
    p = scalar_roots(0.0, a).max()
    points, unstable = [], []
    for combo in itertools.product((-p, 0.0, p), repeat=d):
        points.append(np.repeat(combo, block))
        unstable.append(sum(c == 0.0 for c in combo))
    return np.array(points), np.array(unstable)


def planted_cell(roots: np.ndarray, dtype):
    """A GRU (r = z = ½) whose roots include `roots` (m, H), |entries| < 1, m ≤ H + 1."""
    roots = np.asarray(roots, np.float64)
    x = np.concatenate([roots, np.ones((len(roots), 1))], axis=1)  # (m, H + 1)
    coef = np.linalg.lstsq(x, np.arctanh(roots), rcond=None)[0].T  # (H, H + 1) = [½W, b]
    return _cell(2.0 * coef[:, :-1], coef[:, -1], dtype)


def numpy_step(ctrl, u: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The GRU map of a controller's cell, re-implemented in float64 NumPy."""
    c = ctrl.cell
    w_ih, w_hh = np.asarray(c.weight_ih, np.float64), np.asarray(c.weight_hh, np.float64)
    b, b_n = np.asarray(c.bias, np.float64), np.asarray(c.bias_n, np.float64)
    n_h = h.shape[-1]
    gi, gh = w_ih @ u + b, w_hh @ h
    sig = lambda x: 0.5 * (1.0 + np.tanh(0.5 * x))  # noqa: E731  (no overflow far out)
    r = sig(gi[:n_h] + gh[:n_h])
    z = sig(gi[n_h:2 * n_h] + gh[n_h:2 * n_h])
    n = np.tanh(gi[2 * n_h:] + r * (gh[2 * n_h:] + b_n))
    return (1.0 - z) * n + z * h


def structured_seeds(size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Seeds in [−1, 1]^H: scaled random sign vectors (corners and their shrinkings), uniform
    samples, and sparse vectors (one or two nonzero blocks of units)."""
    third = n // 3
    signs = rng.choice([-1.0, 1.0], (third, size)) * rng.choice([0.2, 0.5, 0.8, 0.95], (third, 1))
    uniform = rng.uniform(-1, 1, (third, size))
    sparse = rng.uniform(-1, 1, (n - 2 * third, size)) * (rng.random((n - 2 * third, size)) < 0.3)
    return np.concatenate([signs, uniform, sparse])


def scipy_roots(ctrl, u, n_seeds: int = 2000, seed: int = 0, tol: float = 1e-10) -> np.ndarray:
    """Distinct roots of F(u, ·) − · found by scipy.optimize.root (hybr) from structured seeds.

    A solution counts when ‖F(h) − h‖∞ ≤ 1e-12 and |h|∞ < 1; two are one within `tol` (∞-norm).
    """
    u = np.asarray(u, np.float64)
    size = ctrl.cell.hidden_size
    fun = lambda h: numpy_step(ctrl, u, h) - h  # noqa: E731
    found: list[np.ndarray] = []
    for x0 in structured_seeds(size, n_seeds, np.random.default_rng(seed)):
        sol = scipy.optimize.root(fun, x0, method="hybr", tol=1e-14)
        h = sol.x
        if np.max(np.abs(fun(h))) > 1e-12 or np.max(np.abs(h)) >= 1.0:
            continue
        if all(np.max(np.abs(h - g)) > tol for g in found):
            found.append(h)
    return np.array(found).reshape(-1, size)


def matched(found: np.ndarray, known: np.ndarray, atol: float) -> np.ndarray:
    """For each known root, whether some found point lies within `atol` (∞-norm)."""
    if len(found) == 0:
        return np.zeros(len(known), bool)
    dist = np.max(np.abs(np.asarray(known)[:, None] - np.asarray(found)[None]), axis=-1)
    return np.min(dist, axis=1) <= atol
