"""`fixed_points`: fixed points of a trained ensemble (SPEC §2.10–2.11), as tables.

Steady state: the model is evaluated on the steady-state grid (target = start = a grid point)
at each SISU; each condition's hidden states (all evaluations × time steps, strided) start the
finder on that condition's map, and its final state picks the primary point.
Reaches: centre-out reaches from the origin are evaluated `reach.eval_n` times with the model's
noise (SPEC §2.11, 2025: 4; without `reach.eval_n`, once without noise), under each field
amplitude of `reach.amp` (column `amp`); each reach's hidden states (every evaluation, strided by
`reach.candidate_stride`) start the goal-goal and init-goal finders, and the fixed point of every
time step's input is traced along a few reaches of the first evaluation, warm-started from the
previous step.
"""

from collections.abc import Mapping
from typing import ClassVar

import jax.random as jr
import numpy as np
import pandas as pd

from .._evaluate import evaluate
from .._interface import AbstractAnalysis, EvaluationPlan
from .._pca import fit_pca
from .._plans import eval_n, noise, sisu as sisu_values
from .._spec import EvalSpec
from ...sim._specs import ModelSpec
from ._extras import feedback_eigenvalues, slow_regions_of, solver_curves_of, variation_table
from ._points import reach_fixed_points, steady_state_fixed_points
from ._sisu_branches import sisu_continuation
from ._summaries import eigenvalue_table, grid_shift_summary, parquet_ready, pca_columns, readout_directions
from ._trajectories import fixed_point_trajectories
from ...sim._setup import n_context, replicate
from ...sim._tasks import centre_out, grid_centres
from ...train._progress import track

_LOG = "motorlab.fixed_points"  # progress of the long loops (a bar on a terminal, log lines otherwise)



def _points_for_parquet(points: pd.DataFrame) -> pd.DataFrame:
    table = parquet_ready(points)
    if "h" in table:
        table["h"] = [np.asarray(h, np.float32) for h in table["h"]]
    return table


def steady_state(ensemble, hps: Mapping, e: Mapping, included=None):
    """Steady-state points (with PC1–3 per replicate), eigenvalues, the summary table, the
    evaluated hidden states (E, R, SISU, position, T, H) and each replicate's PCA."""
    sisu = [float(s) for s in e["sisu"]] if n_context(hps) else None
    grid_n = int(e["grid_n"])
    ev = evaluate(ensemble, EvalSpec.steady_state(ModelSpec.from_hps(hps), grid_n=grid_n, sisu=sisu,
                                                  eval_n=int(e["eval_n"]), seed=int(e["seed"])),
                  included=included, keep=("hidden",))
    hidden = ev.hidden  # (E, R, C, T, H), C = SISU-major × positions
    n_eval, n_rep, _, n_t, size = hidden.shape
    n_s, n_p = (1 if sisu is None else len(sisu)), grid_n**2
    by_cond = hidden.reshape(n_eval, n_rep, n_s, n_p, n_t, size)
    # The finder's inputs are position-major (position, then SISU): order the starts the same way.
    states = [[by_cond[:, r, s, p].reshape(-1, size) for p in range(n_p) for s in range(n_s)]
              for r in range(n_rep)]
    references = np.transpose(by_cond[0, :, :, :, -1], (0, 2, 1, 3))[:, :, :, None]  # (R, P, S, 1, H)
    points = steady_state_fixed_points(
        ensemble, grid_centres(grid_n, hps["plant"]["workspace"]), sisu,
        key=jr.PRNGKey(int(e["seed"])), states=states, references=references,
        stride=int(e["candidate_stride"]), dt=float(hps["plant"]["dt"]))
    points.insert(1, "included", ev.included[points["replicate"].to_numpy()])
    n_pcs = int(e["n_pcs"])
    frames, readouts, pcas = [], [], []
    for r in range(n_rep):
        pca = fit_pca(hidden[:, r], n_pcs)
        pcas.append(pca)
        frames.append(pca_columns(pca, points[points["replicate"] == r], n_pcs))
        readouts.append(readout_directions(pca, [replicate(ensemble, r).readout], n_pcs).assign(replicate=np.int16(r)))
    points = pd.concat(frames, ignore_index=True)
    summary = pd.concat([
        grid_shift_summary(points, [replicate(ensemble, r).readout for r in range(n_rep)]).assign(kind="grid_shift"),
        pd.concat(readouts, ignore_index=True).assign(kind="readout"),
    ], ignore_index=True)
    return points, eigenvalue_table(points), summary, by_cond, pcas


def reach_amplitudes(hps: Mapping, cfg: Mapping) -> list[float]:
    """Field amplitudes the reaches are evaluated under: `reach.amp[<the model's field type>]`
    (SPEC §2.11: curl {0, 2}); [0] when not configured."""
    amp = cfg.get("amp") or {}
    values = amp.get(hps["pert"]["type"], [0.0]) if isinstance(amp, Mapping) else amp
    return [float(a) for a in values] or [0.0]


def reaches(ensemble, hps: Mapping, e: Mapping, included=None):
    """Goal-goal / init-goal points per replicate × field amplitude × reach × SISU, and FP
    trajectories of a few reaches of the first included replicate at every amplitude and SISU,
    both with PC1–3 of a PCA fitted on late hidden states (all amplitudes and SISUs); last, the
    reach trajectories `(hidden (R, A, S, D, T, H), inputs (R, A, S, D, T, I), PCA per replicate,
    amplitudes)` for `slow_region_table`.

    Reaches are evaluated `reach.eval_n` times with the model's noise (once without noise when
    `reach.eval_n` is absent) under each amplitude of `reach.amp` of the model's field type
    (column `amp`); the references, trajectories and slow regions use the first evaluation. The goal-goal and init-goal maps do not depend on the field; the
    amplitude changes their candidate states (and so, rarely, the points found) and the
    network inputs along the reach, hence the fixed-point trajectories."""
    cfg = e["reach"]
    n_t = int(hps["plant"]["n_steps"])
    from_step = int(cfg["pca_from_step"])
    if not 0 <= from_step < n_t - 1:
        raise ValueError(f"fixed_points.reach.pca_from_step must be in [0, {n_t - 2}] for "
                         f"n_steps = {n_t}, got {from_step}")
    sisu = [float(s) for s in e["sisu"]] if n_context(hps) else None
    amps = reach_amplitudes(hps, cfg)
    n_dir = int(cfg["n_directions"])
    model = ModelSpec.from_hps(hps)
    spec = EvalSpec(model=model, grid_n=1, n_directions=n_dir, reach_length=float(cfg["reach_length"]),
                    field_type=model.environment.field_type, amplitudes=tuple(amps),
                    sisu=None if sisu is None else tuple(sisu),
                    eval_n=int(cfg.get("eval_n", 1)), seed=int(e["seed"]),
                    feedback_noise_std=None if cfg.get("eval_n") else 0.0,  # None: the model's noise
                    motor_noise_std=None if cfg.get("eval_n") else 0.0)
    ev = evaluate(ensemble, spec, included=included, keep=("hidden", "inputs"))
    n_eval, n_rep, _, _, size = ev.hidden.shape  # (E, R, C, T, H), C = amplitude-major × SISU × directions
    n_s, n_a = (1 if sisu is None else len(sisu)), len(amps)
    trials = centre_out(1, n_dir, float(cfg["reach_length"]), hps["plant"]["workspace"])
    by_eval = ev.hidden.reshape(n_eval, n_rep, n_a, n_s, n_dir, n_t, size)
    by_cond = by_eval[0]  # the first evaluation: references, trajectories, slow regions
    stride = int(cfg.get("candidate_stride", 1))
    frames = []
    for a, amp in track(list(enumerate(amps)), "fixed points: reaches, field amplitudes", logger=_LOG):
        # candidates: every evaluation's states of the reach, strided
        states = [[by_eval[:, r, a, s, c].reshape(-1, size)[::stride] for c in range(n_dir) for s in range(n_s)
                   for _ in range(2)] for r in range(n_rep)]
        refs = np.stack([by_cond[:, a, :, :, -1], by_cond[:, a, :, :, 1]], axis=-2)  # (R, S, C, 2, H)
        pts = reach_fixed_points(ensemble, np.asarray(trials.start), np.asarray(trials.goal), sisu,
                                 key=jr.PRNGKey(int(e["seed"]) + 1), states=states,
                                 references=np.transpose(refs, (0, 2, 1, 3, 4)), stride=1,
                                 dt=float(hps["plant"]["dt"]))
        pts.insert(1, "amp", np.float32(amp))
        frames.append(pts)
    points = pd.concat(frames, ignore_index=True)
    points = points.assign(included=ev.included[points["replicate"].to_numpy()],
                           direction=points["condition"].astype(np.int16))
    frames, pcas = [], []
    for r in range(n_rep):
        pca = fit_pca(by_eval[:, r, :, :, :, from_step:], 3)
        pcas.append(pca)
        frames.append(pca_columns(pca, points[points["replicate"] == r], 3))
    points = pd.concat(frames, ignore_index=True)
    # Fixed-point trajectories for a few evenly spaced reaches, every amplitude and SISU, first
    # included replicate.
    rep = int(np.flatnonzero(ev.included)[0]) if ev.included.any() else 0
    dirs = np.unique(np.linspace(0, n_dir, int(cfg["trajectory_trials"]), endpoint=False).astype(int))
    inputs_all = ev.inputs[0, rep].reshape(n_a, n_s, n_dir, n_t, -1)  # recorded by the rollout, eval 0
    positions = ev.pos[0, rep].reshape(n_a, n_s, n_dir, n_t, 2)
    traj_frames = []
    for a, amp in track(list(enumerate(amps)), "fixed points: trajectories, field amplitudes", logger=_LOG):
        for si in range(n_s):
            inputs = inputs_all[a, si, dirs, 1:]  # the inputs of steps 1..K
            h = by_cond[rep, a, si, dirs, 1:]
            fpt = fixed_point_trajectories(replicate(ensemble, rep), inputs, h)
            fpt = fpt.assign(t=fpt["t"] + 1, direction=dirs[fpt["trial"].to_numpy()].astype(np.int16),
                             sisu=np.float32(np.nan if sisu is None else sisu[si]), amp=np.float32(amp),
                             replicate=np.int16(rep))
            fpt = pca_columns(pcas[rep], fpt, 3)
            hid = pd.DataFrame({"trial": np.repeat(np.arange(len(dirs)), n_t - 1),
                                "t": np.tile(np.arange(1, n_t), len(dirs))})
            hid["h"] = list(h.reshape(-1, size))
            fpt = fpt.join(pca_columns(pcas[rep], hid, 3)[["pc1", "pc2", "pc3"]].add_prefix("hidden_"))
            pos = positions[a, si, dirs, 1:].reshape(-1, 2)  # the effector, for the 2-D figures
            traj_frames.append(fpt.assign(pos_x=pos[:, 0].astype(np.float32), pos_y=pos[:, 1].astype(np.float32)))
    readouts = pd.concat([readout_directions(pcas[r], [replicate(ensemble, r).readout], 3).assign(replicate=np.int16(r))
                          for r in range(n_rep)], ignore_index=True)
    # the reach trajectories for the slow regions: (R, A, S, D, T, ·), with each replicate's PCA
    trials_data = (by_cond, ev.inputs[0].reshape(n_rep, n_a, n_s, n_dir, n_t, -1), pcas, amps)
    return points, pd.concat(traj_frames, ignore_index=True), readouts, trials_data


def fixed_point_tables(ensemble, hps: Mapping, e: Mapping, included=None) -> dict[str, pd.DataFrame]:
    """All fixed-point tables of one model.

    Arguments:
        ensemble: the trained ensemble; hps: its training hyperparameters.
        e: the evaluation settings `{eval_n, seed, grid_n, sisu, candidate_stride, n_pcs,
            reach: {...}, continuation: {...}}`.
        included: per-replicate booleans of the post-training selection.

    Returns:
        `{name: table}` for the names of `FixedPointsAnalysis.table_names`:
        points: steady-state points, one row per unique point (replicate × position × SISU).
            The primary point of each condition carries its linearisation (`linearise`, dt =
            the plant's dt; NaN on other rows): trace, logabsdet, det_sign of J = ∂F/∂h;
            ct_trace (Σ Re μ) and ct_logabsdet (Σ log|μ|) of the continuous-time eigenvalues
            μ = log(λ) / dt; sigma_min = σ_min(I − J); input_sv_max = largest singular value of
            B = ∂F/∂u; sensitivity = ‖dh*/du‖₂ and sensitivity_<block> for the input blocks
            target_pos, target_vel, fb_pos, fb_vel, sisu (largest singular value of those
            columns of dh*/du = (I − J)⁻¹ B); hessian_norm and hessian_min_eig of the Hessian of
            q. The reach table carries the same columns.
        eigenvalues: eigenvalues of every steady-state point, long form.
        summary: grid shift with SISU and its readout alignment (`kind` "grid_shift"),
            readout directions in each replicate's PC space (`kind` "readout", steady PCA) and
            in the reach PCA (`kind` "reach_readout").
        reach: goal-goal / init-goal points per replicate × field amplitude (`amp`, from
            `reach.amp` of the model's field type) × reach × SISU.
        trajectories: fixed-point trajectories (one row per amplitude × reach × SISU × step;
            `trial` numbers the traced reaches within one amplitude and SISU) with the PC
            coordinates of the points (pc*) and of the hidden states (hidden_pc*), and the
            effector position (pos_x, pos_y).
        continuation, continuation_events: every fixed-point branch of the steady-state map
            near the origin along SISU, by arclength continuation through folds, and its named
            bifurcations (`_sisu_branches.sisu_continuation`, tables of
            `_branches.branch_tables`); empty tables when there is nothing to sweep (part-1
            models, a single SISU value, or `continuation.n_points` < 2).
        fold_curves: the folds of those branches continued in SISU × a second input
            (`continuation.fold_curves`); empty when off or without folds.
        slow_regions: slow regions (ghosts) along the steady trajectories of the first
            evaluation and along the reaches (`slow_regions_of`), distinct from fixed points.
        variation: the spread of the primary points' eigenvalues along SISU, position and
            replicate (`variation_table`, SPEC §2.10).
        feedback_eigenvalues: eigenvalues of the feedback-perturbed steady points (SPEC §2.10,
            `feedback_eigenvalues`), long form with fb_amp.
        solver_curves: q per solver iteration from a few candidate states of the steady
            condition nearest the origin at the SISU nearest 0 (`solver_curve_table`).
    """
    points, eigs, summary, steady_hidden, pcas = steady_state(ensemble, hps, e, included)
    sweeps = n_context(hps) and int(e["continuation"]["n_points"]) >= 2 and max(e["sisu"]) > min(e["sisu"])
    if sweeps:
        continuation, events, fold_curves = sisu_continuation(ensemble, hps, e, points, pcas)
    else:
        continuation, events, fold_curves = (pd.DataFrame({"replicate": pd.Series([], dtype=np.int16)})
                                             for _ in range(3))
    feedback = feedback_eigenvalues(ensemble, hps, e, points)
    curves = solver_curves_of(ensemble, hps, e, steady_hidden)
    reach_points, trajectories, reach_readouts, reach_trials = reaches(ensemble, hps, e, included)
    summary = pd.concat([summary, reach_readouts.assign(kind="reach_readout")], ignore_index=True)
    slow = slow_regions_of(ensemble, hps, e, steady_hidden, pcas, reach_trials)
    slow.insert(1, "included", np.asarray(points.groupby("replicate")["included"].first()
                                          .reindex(slow["replicate"]).to_numpy(), bool))
    return {"points": _points_for_parquet(points), "eigenvalues": eigs, "summary": summary,
            "reach": _points_for_parquet(reach_points), "trajectories": _points_for_parquet(trajectories),
            "continuation": _points_for_parquet(continuation),
            "continuation_events": _points_for_parquet(events),
            "fold_curves": _points_for_parquet(fold_curves),
            "slow_regions": _points_for_parquet(slow), "variation": variation_table(eigs),
            "feedback_eigenvalues": feedback, "solver_curves": curves}


def fixed_point_counts(tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Counts of conditions, verified points, traced steps and continuation events."""
    points, events = tables["points"], tables["continuation_events"]
    verified = points[points["status"] == "fixed_point"]
    trajectories = tables["trajectories"]
    conditions = ["replicate", "position", "sisu"]
    return {"steady_conditions": int(points.groupby(conditions, dropna=False).ngroups),
            "steady_with_fixed_point": int(verified.groupby(conditions, dropna=False).ngroups),
            "steady_fixed_points": int(len(verified)),
            "reach_fixed_points": int((tables["reach"]["status"] == "fixed_point").sum()),
            "trajectory_steps_found": int(trajectories["found"].sum()),
            "trajectory_steps": int(len(trajectories)),
            "continuation_folds": int((events.get("kind") == "fold").sum()) if len(events) else 0,
            "continuation_bifurcations": int(len(events)),
            "fold_curve_points": int(len(tables["fold_curves"])) if "fold_curves" in tables else 0,
            "slow_regions": int(len(tables["slow_regions"]))}


class FixedPointsAnalysis(AbstractAnalysis):
    """Steady-state fixed points on a position grid at each SISU, reach fixed points and
    trajectories, and the SISU continuation (SPEC §2.10–2.11): one evaluation ("steady") per model."""

    name: ClassVar[str] = "fixed_points"
    table_names: ClassVar[tuple[str, ...]] = ("points", "eigenvalues", "summary", "reach", "trajectories",
                                              "continuation", "continuation_events", "fold_curves",
                                              "slow_regions", "variation", "feedback_eigenvalues",
                                              "solver_curves")
    figure_set: ClassVar[str] = "fixed_points"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "fixed_points"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "fixed_points")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "measures")

    def plan(self, settings: Mapping, model_hps: Mapping) -> list[EvaluationPlan]:
        reach = dict(settings["reach"])
        # Only the amplitudes of the model's own field type, so that the other type's list does
        # not enter this evaluation's identity.
        reach["amp"] = list(reach["amp"][model_hps["pert"]["type"]])
        return [EvaluationPlan("steady", {
            "eval_n": eval_n(settings, noise(settings, model_hps)),
            "seed": model_hps["seed"],
            "grid_n": settings["grid_n"],
            "sisu": sisu_values(settings, model_hps),
            "candidate_stride": settings["candidate_stride"],
            "n_pcs": settings["n_pcs"],
            "reach": reach,
            "continuation": dict(settings["continuation"]),
            "slow_regions": dict(settings["slow_regions"]),
            "feedback": dict(settings["feedback"]),
            "solver_curves": dict(settings["solver_curves"]),
        })]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        return fixed_point_tables(model, model_hps, eval_hps, included)

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return fixed_point_counts(tables)
