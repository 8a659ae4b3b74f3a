"""Every fixed-point branch through a set of seed points, by pseudo-arclength continuation, and
the branch tables of the `fixed_points` analysis.

`continue_branches` follows the branch through each seed (λ_s, h_s) (a verified fixed point at
the input base + λ_s·direction, e.g. a steady-state point at one SISU value) with
`arclength_continuation`, through folds and with bifurcations named, unless the seed lies on a
branch already followed. Seeds at the low end of the range are followed upwards, seeds at the
high end downwards, other seeds both ways (the two halves joined into one branch), so that a
branch entering and leaving the range, one folding back to the same end, and one that starts
at a seed are each followed once.

A seed is on a branch when the branch crosses λ_s (two consecutive samples either side) and
the branch point there, corrected to λ = λ_s by Newton, lies within `match` (∞-norm, hidden
units) of the seed.

`branch_tables` writes branches as two tables: one row per branch sample (branch id, λ, the
point, stability, eigen summary, the bifurcation just before the sample) and one row per
bifurcation (kind, λ, multiplier, the point).

The continuation runs in float64 (`as_float64`) so that bifurcations are localised well
beyond float32 round-off.
"""

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import ArrayLike, Float

from ._arclength import Bifurcation, Branch, _Problem, arclength_continuation
from ._linearise import Cell

BIFURCATION_LABELS = {"fold": "LP", "branch_point": "BP", "flip": "PD", "neimark_sacker": "NS"}
"""Short labels of the bifurcation kinds, as AUTO and MATCONT print them (limit point, branch
point, period doubling, Neimark–Sacker)."""


def as_float64(cell: Cell) -> Cell:
    """The map with its floating-point arrays in float64 (call under `jax.enable_x64`)."""
    return jax.tree.map(lambda x: x.astype(jnp.float64)
                        if eqx.is_array(x) and jnp.issubdtype(x.dtype, jnp.floating) else x, cell)


def _reverse(br: Branch) -> Branch:
    """The same branch sampled in the opposite direction (bifurcation indices remapped)."""
    n = len(br.params)
    arc = br.arclength[-1] - br.arclength[::-1]
    bifs = tuple(b._replace(index=n - b.index) for b in reversed(br.bifurcations))
    return Branch(params=br.params[::-1], points=br.points[::-1], arclength=arc,
                  n_unstable=br.n_unstable[::-1], spectral_radius=br.spectral_radius[::-1],
                  eigenvalues=br.eigenvalues[::-1], bifurcations=bifs, parent=br.parent,
                  stop=br.stop)


def _join(down: Branch, up: Branch) -> Branch:
    """One branch from the half followed downwards (reversed) and the half followed upwards
    from the same start."""
    first = _reverse(down)
    n = len(first.params)
    shift = lambda b: b._replace(index=b.index + n - 1)  # noqa: E731
    return Branch(params=np.r_[first.params, up.params[1:]],
                  points=np.concatenate([first.points, up.points[1:]]),
                  arclength=np.r_[first.arclength, first.arclength[-1] + up.arclength[1:]],
                  n_unstable=np.r_[first.n_unstable, up.n_unstable[1:]],
                  spectral_radius=np.r_[first.spectral_radius, up.spectral_radius[1:]],
                  eigenvalues=np.concatenate([first.eigenvalues, up.eigenvalues[1:]]),
                  bifurcations=first.bifurcations + tuple(shift(b) for b in up.bifurcations),
                  parent=up.parent, stop=f"{down.stop}/{up.stop}")


def _on_branch(prob: _Problem, br: Branch, lam: float, h: np.ndarray, match: float) -> bool:
    e_lam = np.zeros(len(h) + 1)
    e_lam[-1] = 1.0
    d = br.params - lam
    for j in np.flatnonzero((np.sign(d[:-1]) != np.sign(d[1:])) | (d[:-1] == 0)):
        w = 0.0 if d[j] == d[j + 1] else d[j] / (d[j] - d[j + 1])
        guess = np.r_[(1 - w) * br.points[j] + w * br.points[j + 1], lam]
        x = prob.correct(guess, e_lam)
        at = guess[:-1] if x is None else x[:-1]
        if np.max(np.abs(at - h)) <= match:
            return True
    return False


def continue_branches(cell: Cell, base: Float[ArrayLike, " i"], direction: Float[ArrayLike, " i"],
                      seeds: Sequence[tuple[float, Float[ArrayLike, " h"]]], *,
                      lam_range: tuple[float, float], ds_max: float, max_points: int = 400,
                      match: float = 1e-4, max_branches: int = 16, **options) -> list[Branch]:
    """The branches through `seeds` along u(λ) = base + λ·direction (module docstring).

    Arguments:
        cell: the map; float64 recommended (`as_float64`).
        base, direction: the input line, (I,) each (for SISU: direction = its unit vector).
        seeds: (λ_s, h_s) pairs, verified fixed points (H,) at base + λ_s·direction.
        lam_range: (low, high); a branch stops once λ leaves it.
        ds_max: largest arclength step, in (h, λ) units; the first step is a fifth of it.
        max_points: samples per half-branch.
        match: ∞-norm distance (hidden units) within which a seed lies on a branch.
        max_branches: at most this many branches.
        **options: passed to `arclength_continuation` (tol, ds_min, locate_tol, ...).

    Returns:
        The branches, in the order their first seed came (seeds sorted by λ).
    """
    lo, hi = float(lam_range[0]), float(lam_range[1])
    if not lo < hi:
        raise ValueError(f"lam_range must be (low, high) with low < high, got {lam_range!r}")
    if not ds_max > 0:
        raise ValueError(f"ds_max must be > 0, got {ds_max!r}")
    dtype = np.float64 if cell.dtype is None else np.dtype(cell.dtype)
    tol = options.get("tol") or float(1e3 * np.finfo(dtype).eps)
    prob = _Problem(cell, base, direction, tol, options.get("max_newton", 12))
    span = 1e-9 * max(1.0, hi - lo)
    opts = dict(lam_range=(lo - span, hi + span), ds=ds_max / 5, ds_min=min(1e-6, ds_max / 5),
                ds_max=ds_max, max_points=max_points, **options)
    out: list[Branch] = []
    for lam, h in sorted(((float(lam), np.asarray(h, np.float64)) for lam, h in seeds),
                         key=lambda s: s[0]):
        if len(out) >= max_branches:
            break
        if any(_on_branch(prob, br, lam, h, match) for br in out):
            continue
        follow = lambda o: arclength_continuation(cell, base, direction, h, lam0=lam,  # noqa: E731
                                                  orientation=o, **opts)[0]
        try:
            if lam <= lo + span:
                out.append(follow(1.0))
            elif lam >= hi - span:
                out.append(follow(-1.0))
            else:
                out.append(_join(follow(-1.0), follow(1.0)))
        except ValueError:  # the corrector found no fixed point near the seed: skip it
            continue
    return out


def branch_tables(branches: Sequence[Branch], *, param: str = "sisu"
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The branches as (samples, bifurcations) tables.

    samples: one row per branch sample: branch (id, order of `branches`), parent (−1),
        point (sample index along the branch), `param` (λ), arclength, h (float32 (H,)),
        n_unstable (multipliers with |λ| > 1), stable, spectral_radius, lead_re / lead_im (the
        multiplier of largest modulus), bifurcation (the `BIFURCATION_LABELS` label of a
        bifurcation located between the previous sample and this one, else "").
    bifurcations: one row per bifurcation: branch, kind (`BIFURCATION_KINDS`), label, index
        (first sample after it), `param`, multiplier_re / multiplier_im, |multiplier|, before /
        after (n_unstable on the samples either side), h (float32 (H,)).
    """
    rows, events = [], []
    for b, br in enumerate(branches):
        n = len(br.params)
        label = np.full(n, "", dtype=object)
        for bif in br.bifurcations:
            i = min(max(int(bif.index), 0), n - 1)
            label[i] = "+".join(x for x in (label[i], BIFURCATION_LABELS[bif.kind]) if x)
            events.append(_event_row(b, br, bif, param))
        lead = br.eigenvalues[:, 0]
        frame = pd.DataFrame({
            "branch": np.full(n, b, np.int16), "parent": np.full(n, br.parent, np.int16),
            "point": np.arange(n, dtype=np.int32), param: br.params.astype(np.float32),
            "arclength": br.arclength.astype(np.float32),
            "n_unstable": br.n_unstable.astype(np.int16), "stable": br.n_unstable == 0,
            "spectral_radius": br.spectral_radius.astype(np.float32),
            "lead_re": lead.real.astype(np.float32), "lead_im": lead.imag.astype(np.float32),
            "bifurcation": label.astype(str)})
        frame["h"] = list(br.points.astype(np.float32))
        rows.append(frame)
    columns = ["branch", "kind", "label", "index", param, "multiplier_re", "multiplier_im",
               "multiplier_abs", "before", "after", "h"]
    samples = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        {"branch": pd.Series([], dtype=np.int16), param: pd.Series([], dtype=np.float32)})
    return samples, pd.DataFrame(events, columns=columns)


def _event_row(b: int, br: Branch, bif: Bifurcation, param: str) -> dict:
    n = len(br.params)
    i = min(max(int(bif.index), 1), n - 1)
    return {"branch": np.int16(b), "kind": bif.kind, "label": BIFURCATION_LABELS[bif.kind],
            "index": np.int32(bif.index), param: np.float32(bif.param),
            "multiplier_re": np.float32(bif.multiplier.real),
            "multiplier_im": np.float32(bif.multiplier.imag),
            "multiplier_abs": np.float32(abs(bif.multiplier)),
            "before": np.int16(br.n_unstable[i - 1]), "after": np.int16(br.n_unstable[i]),
            "h": np.asarray(bif.h, np.float32)}


__all__ = ["BIFURCATION_LABELS", "as_float64", "branch_tables", "continue_branches"]
