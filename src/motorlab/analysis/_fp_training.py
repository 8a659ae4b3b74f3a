"""`fp_training`: the steady-state fixed points of the best replicate across its training
snapshots, with the bifurcations between snapshots, beside the loss curve (issue 14, item 3).

The map is the steady state at the workspace centre (target = feedback = centre, velocities 0)
at each SISU of `sisu` (part 2; one input for part 1). Each saved iteration of the model's
`_history.npz` is one snapshot; see `motorlab.analysis.fixed_points._training` for the tracking
and the event kinds.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import jax.random as jr
import numpy as np
import pandas as pd

from ..sim._setup import n_context, replicate
from ..sim._specs import ModelSpec
from ..sim._tasks import grid_centres
from ._evaluate import evaluate
from ._interface import AbstractAnalysis, EvaluationPlan, SettingsError
from ._pca import fit_pca
from ._plans import sisu as sisu_values
from ._spec import EvalSpec
from .fixed_points._points import default_make_input
from .fixed_points._snapshots import best_replicate_of, load_history, snapshot_ensemble
from .fixed_points._summaries import eigenvalue_table, pca_columns
from .fixed_points._training import track_fixed_points


def _steady_spec(hps: Mapping, sisu, seed: int) -> EvalSpec:
    """One noise-free steady trial at the workspace centre per SISU."""
    return EvalSpec.steady_state(ModelSpec.from_hps(hps), grid_n=1, sisu=sisu, eval_n=1, seed=seed,
                                 feedback_noise_std=0.0, motor_noise_std=0.0)


def fp_training_tables(ensemble, hps: Mapping, e: Mapping, included, history_path) -> dict[str, pd.DataFrame]:
    """The tables of `FpTraining` for one model.

    Arguments:
        ensemble: the trained ensemble (gives the structure the snapshots are read into).
        hps: its training hyperparameters.
        e: `{seed, sisu, n_warm, match_distance, deflation, max_steps}` (`FpTraining.plan`).
        included: per-replicate booleans of the post-training selection.
        history_path: the model's `_history.npz`.

    Returns:
        points: one row per snapshot × SISU × verified root (`track_fixed_points` columns, with
            replicate, sisu and pc1–pc3 of a PCA of the trained replicate's steady states).
        eigenvalues: their eigenvalues in long form (real, imag, abs, angle).
        events: the bifurcations between consecutive snapshots, with sisu, loss_before and
            loss_after (total training loss at the two iterations).
        loss: the tracked replicate's total loss at every iteration (`saved`: a snapshot).
    """
    history = load_history(history_path)
    rep = best_replicate_of(history, included)
    sisu = [float(s) for s in e["sisu"]] if n_context(hps) else None
    centre = grid_centres(1, hps["plant"]["workspace"])[0]
    zero = np.zeros(2, np.float32)
    inputs = np.stack([default_make_input(centre, zero, centre, zero, s) for s in (sisu or [None])])
    spec = _steady_spec(hps, sisu, int(e["seed"]))
    ensembles = [snapshot_ensemble(ensemble, history, i, [rep]) for i in range(history.n_snapshots)]
    points, events = track_fixed_points(
        [replicate(ens, 0) for ens in ensembles], history.iterations, inputs,
        lambda i: evaluate(ensembles[i], spec, keep=("hidden",)).hidden[0, 0],
        key=jr.PRNGKey(int(e["seed"])), n_warm=int(e["n_warm"]),
        match_distance=float(e["match_distance"]), deflation=bool(e["deflation"]),
        max_steps=int(e["max_steps"]))
    sisu_of = np.asarray([np.nan] if sisu is None else sisu, np.float32)
    final = evaluate(ensemble, spec, keep=("hidden",)).hidden[0, rep]  # (S, T, H)
    pca = fit_pca(final, 3)
    points = points.assign(replicate=np.int16(rep), sisu=sisu_of[points["input"].to_numpy()])
    points = pca_columns(pca, points, 3)
    eigs = eigenvalue_table(points.assign(status=np.where(points["fp"] >= 0, "fixed_point", "none")),
                            keys=["replicate", "snapshot", "iteration", "sisu", "fp", "track", "primary"])
    total = history.loss["total"][:, rep]
    events = events.assign(replicate=np.int16(rep), sisu=sisu_of[events["input"].to_numpy()],
                           loss_before=total[events["iteration_before"].to_numpy()].astype(np.float32),
                           loss_after=total[events["iteration_after"].to_numpy()].astype(np.float32))
    loss = pd.DataFrame({"replicate": np.int16(rep), "iteration": np.arange(total.size, dtype=np.int64),
                         "total": total.astype(np.float32),
                         "saved": np.isin(np.arange(total.size), history.iterations)})
    return {"points": points.drop(columns=["eigenvalues"]), "eigenvalues": eigs, "events": events,
            "loss": loss}


class FpTraining(AbstractAnalysis):
    """Steady fixed points across the training snapshots of the best replicate (issue 14):
    one evaluation ("snapshots") per model, which reads the model's training history."""

    name: ClassVar[str] = "fp_training"
    table_names: ClassVar[tuple[str, ...]] = ("points", "eigenvalues", "events", "loss")
    figure_set: ClassVar[str] = "fp_training"
    keeps_states: ClassVar[bool] = False
    reads_history: ClassVar[bool] = True
    id_stage: ClassVar[str] = "fp_training"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "fp_training")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "fp_training")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        if not float(settings["match_distance"]) > 0:
            raise SettingsError(f"match_distance: got {settings['match_distance']!r}; expected a number > 0")
        return [EvaluationPlan("snapshots", {
            "seed": model_hps["seed"], "sisu": sisu_values(settings, model_hps),
            "n_warm": int(settings["n_warm"]), "match_distance": float(settings["match_distance"]),
            "deflation": bool(settings["deflation"]), "max_steps": int(settings["max_steps"]),
        })]

    def tables(self, model, model_hps, eval_hps, *, included, states, history=None) -> dict[str, pd.DataFrame]:
        if history is None:
            raise ValueError("fp_training reads the model's training history; expected history=<path of "
                             "its _history.npz>")
        return fp_training_tables(model, model_hps, eval_hps, included, history)

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        pts, ev = tables["points"], tables["events"]
        return {"snapshots": int(pts["snapshot"].nunique()), "roots": int((pts["fp"] >= 0).sum()),
                "events": int(len(ev)),
                "stability_events": int(ev["kind"].isin(["fold", "flip", "neimark_sacker"]).sum())}
