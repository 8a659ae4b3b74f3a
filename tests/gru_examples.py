"""GRU controllers with analytically known fixed points, for the fixed-point tests.

Each is a `GRUController` whose cell is replaced by a small hand-made `eqx.nn.GRUCell` (2 or 3
inputs, not the controller's 8): the fixed-point code sees the map and its Jacobians only.

With W_hr = W_hz = 0 and zero gate biases, r = z = ½ everywhere, so F(h) = ½ n(h) + ½ h with
n(h) = tanh(b_in + ½ W_hn h): the fixed points are the solutions of h = n(h), and
J = ½ I + ¼ diag(1 − h²) W_hn at a fixed point.

- Block cell: W_hn = (2a/H) · blockdiag(1 1ᵀ, 1 1ᵀ) (rank 2). Every fixed point is constant on
  each half, h = (p 1, m 1), with p = tanh(a p / 2) and m = tanh(a m / 2): for a > 2 each has
  the roots {0, ±p*}, so 9 fixed points. On the half-indicator directions J has eigenvalues
  ½ + a (1 − p²)/4 (resp. m), on the rest ½: a zero half is unstable (½ + a/4 > 1), a ±p* half
  stable (tanh slope a(1 − p*²)/2 < 1). So (0, 0) has 2 unstable directions, the 4 with one
  zero half 1 (5 saddles), the 4 with no zero half none.
- Fold cell: W_hn = (a/H) 1 1ᵀ and b_in = c: fixed points p 1 with atanh(p) − a p / 2 = c.
  For a = 3 this has a fold (saddle-node) at p_f = −1/√3, c_f = atanh(p_f) − a p_f / 2;
  for c slightly above c_f only the positive root is left, with a "ghost" near p_f.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from motorlab.sim import GRUController

H = 8
A = 3.0
P_FOLD = -1.0 / np.sqrt(3.0)
C_FOLD = float(np.arctanh(P_FOLD) - A / 2 * P_FOLD)


def scalar_roots(c: float, a: float = A) -> np.ndarray:
    """All roots p of atanh(p) − a p / 2 = c in (−1, 1), by bisection on a fine grid (float64)."""
    g = lambda p: np.arctanh(p) - a / 2 * p - c  # noqa: E731
    grid = np.linspace(-1 + 1e-12, 1 - 1e-12, 200_001)
    vals = g(grid)
    roots = []
    for i in np.flatnonzero(np.sign(vals[:-1]) != np.sign(vals[1:])):
        lo, hi = grid[i], grid[i + 1]
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if np.sign(g(mid)) == np.sign(g(lo)) else (lo, mid)
        roots.append(0.5 * (lo + hi))
    return np.array(roots)


def as_controller(cell: eqx.nn.GRUCell) -> GRUController:
    """A `GRUController` running `cell` (its readout: Equinox default in the cell's dtype)."""
    ctrl = GRUController(cell.hidden_size, key=jr.PRNGKey(7))
    readout = jax.tree.map(lambda x: x.astype(cell.weight_hh.dtype) if eqx.is_array(x) else x,
                           ctrl.readout)
    return eqx.tree_at(lambda c: (c.cell, c.readout), ctrl, (cell, readout))


def _cell(w_hn, b_in, dtype, n_inputs=2):
    size = w_hn.shape[0]
    cell = eqx.nn.GRUCell(n_inputs, size, key=jr.PRNGKey(0), dtype=dtype)
    w_hh = np.zeros((3 * size, size))
    w_hh[2 * size:] = w_hn
    bias = np.zeros(3 * size)
    bias[2 * size:] = b_in
    return as_controller(eqx.tree_at(
        lambda c: (c.weight_hh, c.weight_ih, c.bias, c.bias_n), cell,
        (jnp.asarray(w_hh, dtype), jnp.zeros((3 * size, n_inputs), dtype),
         jnp.asarray(bias, dtype), jnp.zeros(size, dtype))))


def block_cell(dtype, a: float = A, size: int = H):
    """The rank-2 block cell (9 fixed points); inputs have no effect."""
    block = np.zeros((size, size))
    half = size // 2
    block[:half, :half] = 1.0
    block[half:, half:] = 1.0
    return _cell(2 * a / size * block, 0.0, dtype)


def block_fixed_points(a: float = A, size: int = H) -> tuple[np.ndarray, np.ndarray]:
    """The 9 fixed points of `block_cell` (9, H) and their numbers of unstable directions."""
    p_star = scalar_roots(0.0, a).max()
    half = size // 2
    points, n_unstable = [], []
    for p in (-p_star, 0.0, p_star):
        for m in (-p_star, 0.0, p_star):
            points.append(np.r_[np.full(half, p), np.full(half, m)])
            n_unstable.append(int(p == 0.0) + int(m == 0.0))
    return np.array(points), np.array(n_unstable)


def fold_cell(c: float, dtype, a: float = A, size: int = H):
    """The rank-1 cell with input bias c, for sweeps: u_0 adds to the bias (c_eff = c + u_0)
    and u_1 drives the reset gate, r = σ(u_1), so the fixed points solve p = tanh(c_eff + r a p)
    (r = ½ at u_1 = 0). At c_eff = 0 the origin changes stability at r a = 1 (a pitchfork)."""
    ctrl = _cell(np.full((size, size), a / size), c, dtype)
    w_ih = np.zeros((3 * size, 2))
    w_ih[2 * size:, 0] = 1.0
    w_ih[:size, 1] = 1.0
    return eqx.tree_at(lambda cl: cl.cell.weight_ih, ctrl, jnp.asarray(w_ih, dtype))


def random_cell(dtype, size: int = 6, n_inputs: int = 3, key=None, gain: float = 1.0):
    """A controller with an Equinox-default GRU cell, recurrent weights scaled by `gain`."""
    cell = eqx.nn.GRUCell(n_inputs, size, key=jr.PRNGKey(3) if key is None else key, dtype=dtype)
    return as_controller(eqx.tree_at(lambda c: c.weight_hh, cell, cell.weight_hh * gain))
