"""`sisu_pert` (SPEC §2.8): a within-trial step of the context input (SISU), never seen in
training, at steady state and during reaches, under each plant field amplitude.

SISU is `init` until control step `step` and each `final` value from then on (a context
schedule, `Interventions.context`); the values are the probes of one compiled rollout. The
no-step trial (final = init) is always evaluated, with the same noise, as the reference.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import jax.numpy as jnp
import numpy as np
import pandas as pd

from ..sim._rollout import Interventions
from ._interface import AbstractAnalysis, EvaluationPlan
from ._plans import eval_n, noise
from ._probes import check_window, probe_conditions, run_conditions, step_mask

SETTLE = 10
"""Steps at the end of a trial averaged as its steady state (SPEC §2.1, last 10 steps)."""


def finals_with_reference(init: float, finals) -> list[float]:
    """The final SISU values evaluated: `finals` and `init` (the no-step reference), sorted."""
    return sorted({float(init), *(float(f) for f in finals)})


def _reduce_factory(step: int, units: np.ndarray):
    def reduce(traj, net):
        h = traj.hidden  # (n, T, H)
        return {"pos": traj.pos, "vel": traj.vel, "force": traj.force, "units": h[:, :, units],
                "h_late": h[:, -SETTLE:].mean(axis=1), "h_step": h[:, step],
                "pos_step": traj.pos[:, step]}
    return reduce


def sisu_pert_tables(ensemble, model_hps: Mapping, e: Mapping, included=None, *, progress: bool = False
                     ) -> dict[str, pd.DataFrame]:
    """Trajectories, sampled unit activity and the summary of one task variant.

    Arguments:
        ensemble: a part-2 ensemble; model_hps: its training tree.
        e: the evaluation settings (`SisuPert.plan`): task, pert {type, amp}, init, final, step,
            n_units_shown, model (noise), eval_n, seed, chunk.
        included: per-replicate booleans.

    Returns:
        trajectories: one row per eval × replicate × condition × final SISU × t (pos, vel, force).
        activity: the activity of `n_units_shown` randomly sampled units (eval 0), long form.
        summary: one row per eval × replicate × condition × final SISU: `displacement`
            ‖p̄_late − p(step)‖ (how far the point mass moves after the step; p̄_late the mean of
            the last 10 steps), `pos_shift` ‖p̄_late − p̄_late(no step)‖, `hidden_change`
            ‖h̄_late − h(step)‖, `hidden_shift` ‖Δh‖ with Δh = h̄_late − h̄_late(no step),
            `readout_shift` ‖W Δh‖, `readout_alignment` ‖W Δh‖ / (‖W‖₂ ‖Δh‖) (1: along the
            readout's strongest direction, 0: in its null space) and `random_alignment`, its
            expected value for a random direction, ‖W‖_F / (‖W‖₂ √H).
    """
    if not int(model_hps["part"]) == 2:
        raise ValueError("sisu_pert steps the context input; expected a part-2 model, got part "
                         f"{model_hps['part']!r}")
    n_steps = int(model_hps["plant"]["n_steps"])
    step, _ = check_window(e["step"], 1, n_steps, "sisu_pert.step")
    init = float(e["init"])
    finals = finals_with_reference(init, e["final"])
    n_hidden = int(model_hps["model"]["hidden_size"])
    n_show = min(int(e["n_units_shown"]), n_hidden)
    units = np.sort(np.random.default_rng(int(e["seed"])).choice(n_hidden, n_show, replace=False))
    pc = probe_conditions(model_hps, task=e["task"], amplitudes=e["pert"]["amp"], sisu=[init],
                          noise=e["model"], eval_n=int(e["eval_n"]), seed=int(e["seed"]),
                          field_type=e["pert"]["type"])
    offsets = jnp.asarray(np.subtract(finals, init), jnp.float32)
    probes = Interventions(context=offsets[:, None, None] * step_mask(n_steps, step)[None, :, None])
    out = run_conditions(ensemble, pc, probes, _reduce_factory(step, units), chunk=int(e["chunk"]),
                         label="sisu_pert", progress=progress)
    n_eval, n_rep, n_p, n_c, n_t, _ = out["pos"].shape
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    finals_arr = np.asarray(finals, np.float32)
    e_, r_, p_, c_, t_ = np.indices((n_eval, n_rep, n_p, n_c, n_t)).reshape(5, -1)
    flat = lambda a: a.reshape(-1, a.shape[-1])  # noqa: E731
    pos, vel, force = flat(out["pos"]), flat(out["vel"]), flat(out["force"])
    trajectories = pd.DataFrame({
        "eval": e_.astype(np.int16), "replicate": r_.astype(np.int16), "included": inc[r_],
        "condition": c_.astype(np.int32), "direction": pc.direction[c_].astype(np.int16),
        "reach_angle": pc.angle[c_].astype(np.float32), "pert_amp": pc.pert_amp[c_],
        "sisu_init": np.float32(init), "sisu_final": finals_arr[p_], "step_size": finals_arr[p_] - np.float32(init),
        "t": t_.astype(np.int16), "pos_x": pos[:, 0], "pos_y": pos[:, 1], "vel_x": vel[:, 0],
        "vel_y": vel[:, 1], "force_x": force[:, 0], "force_y": force[:, 1]})
    acts = out["units"][0]  # (R, P, C, T, U)
    r_, p_, c_, t_, u_ = np.indices(acts.shape).reshape(5, -1)
    activity = pd.DataFrame({
        "replicate": r_.astype(np.int16), "included": inc[r_], "condition": c_.astype(np.int32),
        "pert_amp": pc.pert_amp[c_], "sisu_final": finals_arr[p_], "step_size": finals_arr[p_] - np.float32(init),
        "unit": units[u_].astype(np.int16), "t": t_.astype(np.int16), "activity": acts.reshape(-1)})
    summary = _summary(ensemble, out, pc, finals_arr, init, inc)
    summary.insert(4, "step", np.int16(step))
    return {"trajectories": trajectories, "activity": activity, "summary": summary}


def _summary(ensemble, out, pc, finals, init, inc) -> pd.DataFrame:
    ref = int(np.flatnonzero(finals == np.float32(init))[0])
    pos_late = out["pos"][:, :, :, :, -SETTLE:].mean(axis=4)  # (E, R, P, C, 2)
    dh = out["h_late"] - out["h_late"][:, :, ref:ref + 1]     # (E, R, P, C, H)
    w = np.asarray(ensemble.readout.weight, np.float64)       # (R, 2, H)
    w_dh = np.einsum("roh,erpch->erpco", w, dh)
    spectral = np.linalg.norm(w, ord=2, axis=(1, 2))           # (R,)
    frob = np.linalg.norm(w, axis=(1, 2))
    hidden_shift = np.linalg.norm(dh, axis=-1)
    readout_shift = np.linalg.norm(w_dh, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN where nothing moved
        alignment = readout_shift / (spectral[None, :, None, None] * hidden_shift)
        random = frob / (spectral * np.sqrt(w.shape[-1]))
    n_eval, n_rep, n_p, n_c = hidden_shift.shape
    e_, r_, p_, c_ = np.indices(hidden_shift.shape).reshape(4, -1)
    f = lambda a: np.asarray(a, np.float64).reshape(-1)  # noqa: E731
    return pd.DataFrame({
        "eval": e_.astype(np.int16), "replicate": r_.astype(np.int16), "included": inc[r_],
        "condition": c_.astype(np.int32), "direction": pc.direction[c_].astype(np.int16),
        "pert_amp": pc.pert_amp[c_], "sisu_init": np.float32(init), "sisu_final": finals[p_],
        "step_size": finals[p_] - np.float32(init),
        "displacement": f(np.linalg.norm(pos_late - out["pos_step"], axis=-1)),
        "pos_shift": f(np.linalg.norm(pos_late - pos_late[:, :, ref:ref + 1], axis=-1)),
        "hidden_change": f(np.linalg.norm(out["h_late"] - out["h_step"], axis=-1)),
        "hidden_shift": f(hidden_shift), "readout_shift": f(readout_shift),
        "readout_alignment": f(alignment),
        "random_alignment": random[r_]})


class SisuPert(AbstractAnalysis):
    """A SISU step within the trial (SPEC §2.8): one evaluation per task variant (`steady`,
    `reach`), every field amplitude of the model's type and every final SISU value."""

    name: ClassVar[str] = "sisu_pert"
    table_names: ClassVar[tuple[str, ...]] = ("trajectories", "activity", "summary")
    figure_set: ClassVar[str] = "sisu_pert"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "sisu_pert"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "sisu_pert")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "sisu_pert")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        if int(model_hps["part"]) != 2:
            raise ValueError("sisu_pert steps the context input; select part-2 models only "
                             f"(got a part-{model_hps['part']} model)")
        check_window(settings["step"], 1, int(model_hps["plant"]["n_steps"]), "sisu_pert.step")
        pert_type = settings["pert"]["type"] or model_hps["pert"]["type"]
        noise_std = noise(settings, model_hps)
        return [EvaluationPlan(variant, {
            "eval_n": eval_n(settings, noise_std), "seed": model_hps["seed"], "task": dict(task),
            "pert": {"type": pert_type, "amp": list(settings["pert"]["amp"][pert_type])},
            "init": float(settings["init"]), "final": [float(x) for x in settings["final"]],
            "step": int(settings["step"]), "n_units_shown": int(settings["n_units_shown"]),
            "chunk": int(settings["chunk"]), "model": noise_std,
        }) for variant, task in settings["tasks"].items() if task is not None]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        return sisu_pert_tables(model, model_hps, eval_hps, included, progress=True)

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        s = tables["summary"]
        return {"trials": int(len(s)), "final_values": int(s["sisu_final"].nunique())}
