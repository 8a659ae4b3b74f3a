"""Completeness of the fixed-point finder on maps with known root sets (float64).

For each case: the roots known (analytically, or planted, or from scipy.optimize.root from
thousands of structured seeds), and the verified fixed points found by `find_fixed_points` from
uniform box starts, without and with the completion passes (neighbour warm starts on sweeps,
deflation). Prints a Markdown table: found / known before and after, roots added by warm starts
and by deflation, false fixed points (a reported fixed point whose float64 residual, recomputed
by an independent NumPy map, exceeds 1e-9), slow points reported, and the seconds per call.

    PYTHONPATH=src:tests python bench/fp_completeness.py [--quick]
"""

import argparse
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fp_oracles import (grid_cell, grid_roots, matched, numpy_step, planted_cell,  # noqa: E402
                        scipy_roots)
from gru_examples import C_FOLD, fold_cell, random_cell, scalar_roots  # noqa: E402

from motorlab.analysis.fixed_points import FIXED_POINT, SLOW_POINT, find_fixed_points  # noqa: E402


def cases(quick: bool):
    """(name, cell, inputs (K, I), known roots per input, box starts per input, neighbours)."""
    f64 = jnp.float64
    zero = np.zeros((1, 2))
    out = []
    for d, n_box in ((2, 64), (3, 64)) + (() if quick else ((4, 256),)):
        pts, _ = grid_roots(d)
        out.append((f"grid d={d} (3^{d}, H={4 * d})", grid_cell(f64, d), zero, [pts], n_box, None))
    rng = np.random.default_rng(5)
    planted = rng.uniform(-0.8, 0.8, (6, 8))
    cell = planted_cell(planted, f64)
    extra = scipy_roots(cell, zero[0], n_seeds=1000 if quick else 3000)
    known = np.concatenate([planted, extra[~matched(planted, extra, 1e-8)]])
    out.append(("planted 6 (+scipy), H=8", cell, zero, [known], 64, None))
    cs = np.r_[np.linspace(C_FOLD - 0.3, C_FOLD - 0.02, 6), C_FOLD - 1e-3]
    roots = [scalar_roots(c)[:, None] * np.ones((1, 8)) for c in cs]
    out.append(("fold sweep (7 inputs to 1e-3 of the fold), H=8", fold_cell(0.0, f64),
                np.stack([cs, 0 * cs], 1), roots, 16, "sweep"))
    for gain, key in ((3.0, 3), (4.0, 11)):
        cell = random_cell(f64, size=8, n_inputs=3, key=jr.PRNGKey(key), gain=gain)
        u = np.zeros((1, 3))
        out.append((f"random GRU gain {gain} (scipy), H=8", cell, u,
                    [scipy_roots(cell, u[0], n_seeds=1000 if quick else 3000)], 64, None))
    return out


def run(cell, inputs, known, n_box, neighbours, complete: bool):
    t0 = time.perf_counter()
    fps = find_fixed_points(cell, inputs, key=jr.PRNGKey(0), n_box=n_box,
                            deflation=complete, neighbours=neighbours if complete else None,
                            eigenvalues=False)
    seconds = time.perf_counter() - t0
    found = sum(int(matched(fps.points[k][fps.status[k] == FIXED_POINT], kn, 1e-6).sum())
                for k, kn in enumerate(known))
    false = 0
    for k in range(len(inputs)):
        for h in fps.points[k][fps.status[k] == FIXED_POINT]:
            h64 = h.astype(np.float64)
            false += np.max(np.abs(numpy_step(cell, inputs[k], h64) - h64)) > 1e-9
    return found, fps, int(false), int(np.sum(fps.status == SLOW_POINT)), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases and scipy runs")
    args = parser.parse_args()
    print("| case | known | box starts/input | found before | found after | by warm starts "
          "| by deflation | false FPs | slow pts | s before | s after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, cell, inputs, known, n_box, nb in cases(args.quick):
        total = sum(len(k) for k in known)
        b, _, fb, _, tb = run(cell, inputs, known, n_box, nb, False)
        a, fps, fa, slow, ta = run(cell, inputs, known, n_box, nb, True)
        print(f"| {name} | {total} | {n_box} | {b} | {a} | {int(fps.n_warm.sum())} | "
              f"{int(fps.n_deflated.sum())} | {fb}/{fa} | {slow} | {tb:.2f} | {ta:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
