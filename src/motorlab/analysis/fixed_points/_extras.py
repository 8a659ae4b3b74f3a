"""Tables of the `fixed_points` analysis beside its points (issue 14): slow regions along the
trajectories, the eigenvalue-variation statistic, the feedback-perturbed steady points and the
finder's optimisation curves, each from what `fixed_point_tables` has already evaluated."""

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...sim._setup import n_context
from ...sim._tasks import grid_centres
from ._curves import solver_curve_table
from ._feedback_points import feedback_perturbed_eigenvalues
from ._points import default_make_input, replicates
from ._slow_regions import slow_region_table
from ._summaries import eigenvalue_variation


def slow_regions_of(ensemble, hps: Mapping, e: Mapping, steady_hidden, steady_pcas, reach_trials) -> pd.DataFrame:
    """Slow regions (ghosts) of the first steady evaluation and of the noise-free reaches of
    every replicate (`slow_region_table`, settings `slow_regions.{q_threshold, fp_radius}`);
    an empty table when `slow_regions` is null or absent (off)."""
    if not e.get("slow_regions"):
        return slow_region_table([], steady_hidden=None, steady_inputs=None, steady_pcas=[], reach_hidden=None,
                                 reach_inputs=None, reach_pcas=[], sisu=None, amps=[], q_threshold=1.0,
                                 fp_radius=1.0)
    sisu = _sisu_of(hps, e)
    steady_inputs = _steady_inputs(hps, e)  # (S, P, I), the order of steady_hidden
    by_cond, inputs, reach_pcas, amps = reach_trials
    return slow_region_table(replicates(ensemble), steady_hidden=steady_hidden[0], steady_inputs=steady_inputs,
                             steady_pcas=steady_pcas, reach_hidden=by_cond, reach_inputs=inputs,
                             reach_pcas=reach_pcas, sisu=sisu, amps=amps,
                             q_threshold=float(e["slow_regions"]["q_threshold"]),
                             fp_radius=float(e["slow_regions"]["fp_radius"]), n_pcs=int(e["n_pcs"]))


def solver_curves_of(ensemble, hps: Mapping, e: Mapping, steady_hidden) -> pd.DataFrame:
    """`solver_curve_table` at the steady condition nearest the origin (settings
    `solver_curves.n_starts`; none when null or absent)."""
    return solver_curve_table(replicates(ensemble), steady_hidden, _steady_inputs(hps, e), _sisu_of(hps, e),
                              n_starts=int((e.get("solver_curves") or {}).get("n_starts", 0)),
                              stride=int(e["candidate_stride"]), position=_origin_index(hps, e))


def _sisu_of(hps: Mapping, e: Mapping):
    return [float(s) for s in e["sisu"]] if n_context(hps) else None


def _origin_index(hps: Mapping, e: Mapping) -> int:
    """The steady grid position nearest the origin."""
    return int(np.argmin(np.linalg.norm(grid_centres(int(e["grid_n"]), hps["plant"]["workspace"]), axis=1)))


def _steady_inputs(hps: Mapping, e: Mapping) -> np.ndarray:
    """The steady map's input per SISU × grid position, (S, P, I) (the order of the steady hidden states)."""
    grid = grid_centres(int(e["grid_n"]), hps["plant"]["workspace"])
    zero = np.zeros(2, np.float32)
    return np.stack([np.stack([default_make_input(p, zero, p, zero, s) for p in grid])
                     for s in (_sisu_of(hps, e) or [None])])


def feedback_eigenvalues(ensemble, hps: Mapping, e: Mapping, points: pd.DataFrame) -> pd.DataFrame:
    """Eigenvalues of the feedback-perturbed steady points (SPEC §2.10;
    `feedback_perturbed_eigenvalues`, settings `feedback`), with `included`; empty when
    `feedback` is null or absent."""
    sisu = [float(s) for s in e["sisu"]] if n_context(hps) else None
    grid = grid_centres(int(e["grid_n"]), hps["plant"]["workspace"])
    cfg = e.get("feedback") or {"amplitudes": [], "angle": 0.0, "n_starts": 1, "jitter": 0.0}
    out = feedback_perturbed_eigenvalues(ensemble, grid, sisu, points, cfg, seed=int(e["seed"]) + 2)
    inc = points.groupby("replicate")["included"].first()
    return out.assign(included=np.asarray(inc.reindex(out["replicate"]).to_numpy(), bool))


def variation_table(eigs: pd.DataFrame, n_leading: tuple[int | None, ...] = (None, 10)) -> pd.DataFrame:
    """The eigenvalue-variation statistic of SPEC §2.10 (`eigenvalue_variation`) of the primary
    points of included replicates: one row per axis (sisu, position, replicate; sisu only when
    the model has a SISU input) × eigenvalue subset (`n_leading`: all, −1, or the leading n)."""
    prim = eigs[eigs["primary"] & eigs["included"]]
    axes = [a for a in ("sisu", "position", "replicate") if len(prim) and prim[a].notna().all()]
    frames = [eigenvalue_variation(prim, axes, n).assign(n_leading=np.int16(-1 if n is None else n))
              for n in n_leading if axes]
    if not frames:
        return pd.DataFrame({"axis": pd.Series([], dtype=str), "mean_std": pd.Series([], dtype=float),
                             "max_std": pd.Series([], dtype=float), "n_leading": pd.Series([], dtype=np.int16)})
    return pd.concat(frames, ignore_index=True)
