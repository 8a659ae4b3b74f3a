"""Branch diagram of a trained model's steady-state fixed points along SISU, by pseudo-arclength
continuation (float64), written as PNG and HTML.

The steady input at the workspace origin (target = feedback = (0, 0), zero velocities); the
SISU column is swept over [--lo, --hi]. Start: the stable fixed point at SISU = --lo found by
the finder (box starts, deflation). Plotted against SISU: PC1 of the branch points (PCA of the
branch itself) and the spectral radius, stable solid, unstable dashed, bifurcations marked.

    PYTHONPATH=src python bench/branch_diagram.py results/part2/models/<id>.eqx out.png
"""

import argparse
import time

import jax
import jax.numpy as jnp  # noqa: E402
import jax.random as jr  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from motorlab.analysis.fixed_points import (FIXED_POINT, arclength_continuation,  # noqa: E402
                                            default_make_input, find_fixed_points)
from motorlab.figures._continuation import branch_diagram  # noqa: E402
from motorlab.sim._setup import replicate  # noqa: E402
from motorlab.store import load_model_file  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--replicate", type=int, default=0)
    ap.add_argument("--lo", type=float, default=-3.0)
    ap.add_argument("--hi", type=float, default=3.0)
    args = ap.parse_args()
    ensemble, header = load_model_file(args.model)  # float32 on disk: load, then go to float64
    jax.config.update("jax_enable_x64", True)
    cell = replicate(ensemble, args.replicate)
    cell = jax.tree.map(lambda x: x.astype(jnp.float64) if eqx_array(x) else x, cell)
    zero = np.zeros(2, np.float32)
    base = default_make_input(zero, zero, zero, zero, 0.0).astype(np.float64)
    direction = np.zeros_like(base)
    direction[-1] = 1.0
    t0 = time.perf_counter()
    fps = find_fixed_points(cell, (base + args.lo * direction)[None], key=jr.PRNGKey(0), n_box=64)
    ok = np.flatnonzero((fps.status[0] == FIXED_POINT) & (fps.spectral_radius[0] < 1))
    ok = ok if ok.size else np.flatnonzero(fps.status[0] == FIXED_POINT)
    print(f"fixed points at SISU {args.lo}: {int(fps.n_fixed[0])} (deflation added "
          f"{int(fps.n_deflated[0])})")
    branches = arclength_continuation(cell, base, direction, fps.points[0, ok[0]], lam0=args.lo,
                                      lam_range=(args.lo, args.hi), switch=True)
    print(f"continuation {time.perf_counter() - t0:.1f} s; "
          + "; ".join(f"branch {i}: {len(b.params)} points, stop {b.stop}, "
                      + ", ".join(f"{x.kind} at SISU {x.param:.4f} (|mult| "
                                  f"{abs(x.multiplier):.4f})" for x in b.bifurcations)
                      for i, b in enumerate(branches)))
    pts = np.concatenate([b.points for b in branches])
    mean = pts.mean(0)
    axis = np.linalg.svd(pts - mean, full_matrices=False)[2][0]
    rows, events = [], []
    for i, b in enumerate(branches):
        rows.append(pd.DataFrame({"sisu": b.params, "branch": i, "pc1": (b.points - mean) @ axis,
                                  "spectral_radius": b.spectral_radius,
                                  "n_unstable": b.n_unstable, "arclength": b.arclength}))
        events += [{"kind": x.kind, "sisu": x.param} for x in b.bifurcations]
    fig = branch_diagram(pd.concat(rows), pd.DataFrame(events, columns=["kind", "sisu"]),
                         title=f"{header['hps']['context']['method']} model "
                               f"{args.model.split('/')[-1][:16]}, replicate {args.replicate}: "
                               "steady-state fixed points at the origin")
    fig.write_html(args.out.replace(".png", ".html"))
    fig.write_image(args.out, scale=2)
    print(f"wrote {args.out}")


def eqx_array(x):
    return hasattr(x, "dtype") and jnp.issubdtype(x.dtype, jnp.floating)


if __name__ == "__main__":
    main()
