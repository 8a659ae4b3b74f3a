"""`unit_prefs` (SPEC §2.5): each unit's preferred direction during centre-out reaches, as the
weight vector of a linear regression of its activity on a 2-D feature.

Epochs of a trial: "accel" (steps 1 … the step of peak speed) and "decel" (after the peak, up to
twice its step). Features: the goal position relative to the start ("goal", constant within a
trial) and the efferent force ("force"), each centred and rescaled to unit std over the samples
of the fit. Per replicate × field amplitude × epoch × feature, every unit's activity is
regressed on [1, feature_x, feature_y] in closed form (`least_squares`, the minimiser an
iterative trainer of the same linear model would approach); the weight vector (w_x, w_y) is the
unit's preferred direction.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..sim._specs import ModelSpec
from ._evaluate import evaluate
from ._interface import AbstractAnalysis, EvaluationPlan
from ._lstsq import least_squares
from ._plans import eval_n, noise, sisu
from ._spec import EvalSpec

EPOCHS = ("accel", "decel")
FEATURES = ("goal", "force")


def epoch_masks(speed: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean (…, T) masks of the epochs from trial speeds (…, T): accel = 1 … t_peak,
    decel = t_peak + 1 … 2 t_peak (clipped to the trial)."""
    t = np.arange(speed.shape[-1])
    peak = np.argmax(speed, axis=-1)[..., None]
    return {"accel": (t >= 1) & (t <= peak), "decel": (t > peak) & (t <= 2 * peak)}


def preferred_directions(activity: np.ndarray, feature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights and R² of activity (N, H) ~ 1 + standardised feature (N, 2).

    Returns:
        `(w, r2)`: (H, 2) weights on the standardised feature and (H,) coefficients of
        determination.
    """
    f = feature - feature.mean(axis=0)
    std = f.std(axis=0)
    f = f / np.where(std > 0, std, 1.0)
    x = np.column_stack([np.ones(len(f)), f])
    beta = least_squares(x, activity)  # (3, H)
    resid = activity - x @ beta
    total = ((activity - activity.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1.0 - (resid**2).sum(axis=0) / total
    return beta[1:].T, r2


def unit_prefs_table(ensemble, model_hps: Mapping, e: Mapping, included=None) -> pd.DataFrame:
    """One row per replicate × field amplitude × epoch × feature × unit: `w_x`, `w_y`,
    `angle` = atan2(w_y, w_x) (rad), `magnitude` ‖w‖ and `r2`; `n_samples` of the fit (NaN
    weights where an epoch has fewer than 3 samples)."""
    model = ModelSpec.from_hps(model_hps)
    task = e["task"]
    spec = EvalSpec(model=model, grid_n=int(task["grid_n"]), n_directions=int(task["n_directions"]),
                    reach_length=float(task["reach_length"]), field_type=e["pert"]["type"],
                    amplitudes=tuple(e["pert"]["amp"]), sisu=None if e["sisu"] is None else tuple(e["sisu"]),
                    feedback_noise_std=e["model"]["feedback_noise_std"],
                    motor_noise_std=e["model"]["motor_noise_std"], eval_n=int(e["eval_n"]), seed=int(e["seed"]))
    ev = evaluate(ensemble, spec, included=included, keep=("hidden",))
    goal = np.asarray(ev.conditions.trials.goal - ev.conditions.trials.start)  # (C, 2)
    masks = epoch_masks(np.linalg.norm(ev.vel, axis=-1))  # (E, R, C, T)
    n_eval, n_rep, n_c, n_t, n_h = ev.hidden.shape
    rows = []
    for r in range(n_rep):
        for amp in np.unique(ev.conditions.pert_amp):
            cond = ev.conditions.pert_amp == amp
            for epoch in EPOCHS:
                m = masks[epoch][:, r][:, cond]  # (E, C', T)
                act = ev.hidden[:, r][:, cond][m]  # (N, H)
                feats = {"goal": np.broadcast_to(goal[cond][None, :, None], m.shape + (2,))[m],
                         "force": ev.force[:, r][:, cond][m]}
                for name in FEATURES:
                    if len(act) < 3:  # an empty epoch (speed peaks at the last step): no fit
                        w, r2 = np.full((n_h, 2), np.nan), np.full(n_h, np.nan)
                    else:
                        w, r2 = preferred_directions(act.astype(np.float64), feats[name].astype(np.float64))
                    rows.append(pd.DataFrame({
                        "replicate": np.int16(r), "included": bool(ev.included[r]), "pert_amp": np.float32(amp),
                        "epoch": epoch, "feature": name, "unit": np.arange(n_h, dtype=np.int16),
                        "w_x": w[:, 0], "w_y": w[:, 1], "angle": np.arctan2(w[:, 1], w[:, 0]),
                        "magnitude": np.hypot(w[:, 0], w[:, 1]), "r2": r2, "n_samples": np.int32(len(act))}))
    return pd.concat(rows, ignore_index=True)


class UnitPrefs(AbstractAnalysis):
    """Preferred directions of the units during centre-out reaches (SPEC §2.5): one evaluation
    ("reach") per model under every field amplitude of the model's type."""

    name: ClassVar[str] = "unit_prefs"
    table_names: ClassVar[tuple[str, ...]] = ("preferences",)
    figure_set: ClassVar[str] = "unit_prefs"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "unit_prefs"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "unit_prefs")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "unit_prefs")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        pert_type = settings["pert"]["type"] or model_hps["pert"]["type"]
        noise_std = noise(settings, model_hps)
        return [EvaluationPlan("reach", {
            "eval_n": eval_n(settings, noise_std), "seed": model_hps["seed"], "task": dict(settings["task"]),
            "pert": {"type": pert_type, "amp": list(settings["pert"]["amp"][pert_type])},
            "sisu": sisu(settings, model_hps), "model": noise_std})]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        return {"preferences": unit_prefs_table(model, model_hps, eval_hps, included)}

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        p = tables["preferences"]
        return {"units": int(p["unit"].nunique()), "fits": int(len(p))}
