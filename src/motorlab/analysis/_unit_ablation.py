"""`unit_ablation` (SPEC §5.5): clamp each hidden unit to 0 in turn, on centre-out reaches under
the evaluation fields, and measure how each reach measure changes against the intact network.

The probes are the intact network and one clamp per unit (`Interventions.clamp`, every control
step), vmapped in chunks of one compiled rollout; the measures are computed inside it, so no
trajectory leaves it.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import jax.numpy as jnp
import numpy as np
import pandas as pd

from ..sim._rollout import Interventions
from ._interface import AbstractAnalysis, EvaluationPlan
from ._plans import eval_n, noise
from ._probes import check_units, probe_conditions, run_conditions

SETTLE = 10
MEASURES = ("end_position_error", "max_lateral_distance", "max_forward_velocity", "sum_net_force")
"""Per-trial measures (SPEC §2.1): end position error and max |lateral distance| in % of reach
length (mean ‖p − goal‖ over the last 10 steps; largest |orthogonal| deviation from the straight
reach), max forward velocity, Σ_t ‖F‖ of the efferent force."""


def reach_measures(pos, vel, force, start, goal):
    """The `MEASURES` of trials (n, T, 2) from `start`, `goal` (n, 2), as a (n, 4) array."""
    d = goal - start
    length = jnp.linalg.norm(d, axis=-1)
    u = d / jnp.where(length > 0, length, 1.0)[:, None]
    scale = 100.0 / jnp.where(length > 0, length, 1.0)
    rel = pos - start[:, None]
    lateral = rel[..., 0] * -u[:, None, 1] + rel[..., 1] * u[:, None, 0]
    forward_v = vel[..., 0] * u[:, None, 0] + vel[..., 1] * u[:, None, 1]
    end = jnp.linalg.norm(pos[:, -SETTLE:] - goal[:, None], axis=-1).mean(axis=1)
    return jnp.stack([end * scale, jnp.abs(lateral).max(axis=1) * scale, forward_v.max(axis=1),
                      jnp.linalg.norm(force, axis=-1).sum(axis=1)], axis=-1)


def ablation_probes(n_units: int, units: np.ndarray, n_steps: int) -> Interventions:
    """P = 1 + len(units) probes: none, then each unit clamped to 0 at every control step."""
    masks = np.zeros((1 + units.size, n_steps - 1, n_units), bool)
    masks[np.arange(1, units.size + 1), :, units] = True
    return Interventions(clamp=jnp.asarray(masks))


def unit_ablation_tables(ensemble, model_hps: Mapping, e: Mapping, included=None, *, progress: bool = False
                         ) -> dict[str, pd.DataFrame]:
    """Sensitivity of each measure to ablating each unit, by reach direction.

    Arguments:
        ensemble, model_hps: the trained ensemble and its training tree.
        e: the evaluation settings (`UnitAblation.plan`): task, pert {type, amp}, sisu, units
            (None: all), model (noise), eval_n, seed, chunk.
        included: per-replicate booleans.

    Returns:
        sensitivity: one row per replicate × unit × direction × field amplitude × SISU ×
            measure: `intact` and `ablated` (means over evaluations), `delta` = ablated − intact.
        units: one row per replicate × unit × measure: `sensitivity` (mean |delta| over
            directions, amplitudes and SISU), `rank` (0 = most sensitive) and `readout_norm`
            (‖column of W_out‖ of the unit).
    """
    n_hidden = int(model_hps["model"]["hidden_size"])
    units = check_units(e.get("units"), n_hidden, "unit_ablation.units")
    n_steps = int(model_hps["plant"]["n_steps"])
    sisu = [float(s) for s in e["sisu"]] if int(model_hps["part"]) == 2 else None
    pc = probe_conditions(model_hps, task=e["task"], amplitudes=e["pert"]["amp"], sisu=sisu,
                          noise=e["model"], eval_n=int(e["eval_n"]), seed=int(e["seed"]),
                          field_type=e["pert"]["type"])
    start, goal = pc.start, pc.goal

    def reduce(traj, net):
        return reach_measures(traj.pos, traj.vel, traj.force, start, goal)

    values = run_conditions(ensemble, pc, ablation_probes(n_hidden, units, n_steps), reduce,
                            chunk=int(e["chunk"]), keep=(), label="unit_ablation", progress=progress)
    values = values.mean(axis=0)  # (R, P, C, M): mean over evaluations
    intact, ablated = values[:, :1], values[:, 1:]
    delta = ablated - intact
    n_rep, n_u, n_c, n_m = delta.shape
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    sisu_c = pc.sisu
    r_, u_, c_, m_ = np.indices(delta.shape).reshape(4, -1)
    sensitivity = pd.DataFrame({
        "replicate": r_.astype(np.int16), "included": inc[r_], "unit": units[u_].astype(np.int16),
        "direction": pc.direction[c_].astype(np.int16), "reach_angle": pc.angle[c_].astype(np.float32),
        "pert_amp": pc.pert_amp[c_], "sisu": sisu_c[c_], "measure": np.asarray(MEASURES)[m_],
        "intact": np.broadcast_to(intact, delta.shape).reshape(-1).astype(np.float64),
        "ablated": ablated.reshape(-1).astype(np.float64), "delta": delta.reshape(-1).astype(np.float64)})
    score = np.abs(delta).mean(axis=2)  # (R, U, M)
    rank = np.argsort(np.argsort(-score, axis=1, kind="stable"), axis=1)
    col_norm = np.linalg.norm(np.asarray(ensemble.readout.weight, np.float64), axis=1)[:, units]  # (R, U)
    r_, u_, m_ = np.indices(score.shape).reshape(3, -1)
    table = pd.DataFrame({
        "replicate": r_.astype(np.int16), "included": inc[r_], "unit": units[u_].astype(np.int16),
        "measure": np.asarray(MEASURES)[m_], "sensitivity": score.reshape(-1), "rank": rank.reshape(-1).astype(np.int16),
        "readout_norm": col_norm[r_, u_]})
    return {"sensitivity": sensitivity, "units": table}


class UnitAblation(AbstractAnalysis):
    """Each unit clamped to 0 in turn on centre-out reaches (SPEC §5.5): one evaluation
    ("reach") per model, every field amplitude of the model's type and every SISU (part 2)."""

    name: ClassVar[str] = "unit_ablation"
    table_names: ClassVar[tuple[str, ...]] = ("sensitivity", "units")
    figure_set: ClassVar[str] = "unit_ablation"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "unit_ablation"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "unit_ablation")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "unit_ablation")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        units = settings.get("units")
        check_units(units, int(model_hps["model"]["hidden_size"]), "unit_ablation.units")
        pert_type = settings["pert"]["type"] or model_hps["pert"]["type"]
        noise_std = noise(settings, model_hps)
        return [EvaluationPlan("reach", {
            "eval_n": eval_n(settings, noise_std), "seed": model_hps["seed"], "task": dict(settings["task"]),
            "pert": {"type": pert_type, "amp": list(settings["pert"]["amp"][pert_type])},
            "sisu": [float(s) for s in settings["sisu"]] if int(model_hps["part"]) == 2 else None,
            "units": None if units is None else [int(u) for u in units],
            "chunk": int(settings["chunk"]), "model": noise_std})]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        return unit_ablation_tables(model, model_hps, eval_hps, included, progress=True)

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return {"units": int(tables["units"]["unit"].nunique()), "rows": int(len(tables["sensitivity"]))}
