"""Protocol (c) of `unit_perts` (seed notes §5.5): each unit stimulated at several times along
centre-out reaches; how its effective direction shifts over the reach and with SISU.

Probe 0 is the unstimulated reach; probe (u, j) adds `amplitude` to unit u for `duration`
control steps from `starts[j]` (`Interventions.hidden`). The effective direction is the angle of
the change of the net force at its largest magnitude within `window` steps of the stimulation
(`effective_angles`), reported as is and relative to the reach direction; `shift` is its change
from the first stimulation time (wrapped to (−π, π]).
"""

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np
import pandas as pd

from ...sim._rollout import Interventions
from .._angles import wrap_angle
from .._probes import check_units, check_window, probe_conditions, run_conditions
from ._directions import effective_angles


def reach_offsets(units: np.ndarray, starts: list[int], amplitude: float, duration: int, n_steps: int,
                  n_hidden: int) -> np.ndarray:
    """(1 + U·J, K, H) hidden offsets: none, then unit-major × start-minor stimulations."""
    off = np.zeros((1 + units.size * len(starts), n_steps - 1, n_hidden), np.float32)
    for i, u in enumerate(units):
        for j, s in enumerate(starts):
            off[1 + i * len(starts) + j, s:s + duration, u] = amplitude
    return off


def reach_tables(ensemble, model_hps: Mapping, e: Mapping, included=None, *, progress: bool = False
                 ) -> pd.DataFrame:
    """One row per replicate × SISU × reach direction × unit × stimulation time: `effective`
    and `relative` (= wrap(effective − reach angle)) in rad, `shift` (rad, vs the first time),
    `effect` (‖Δ net force‖ at its max).

    `e`: `stim` {amplitude, duration}, `starts` (control steps), `window`, `task`
    {n_directions, reach_length}, `units`, `sisu`, `model` (noise), eval_n, seed, chunk.
    """
    n_steps = int(model_hps["plant"]["n_steps"])
    n_hidden = int(model_hps["model"]["hidden_size"])
    units = check_units(e.get("units"), n_hidden, "unit_perts.units")
    duration, window = int(e["stim"]["duration"]), int(e["window"])
    starts = [int(s) for s in e["starts"]]
    for s in starts:
        check_window(s, max(duration, window), n_steps, "unit_perts.reach.starts")
    sisu = [float(x) for x in e["sisu"]] if int(model_hps["part"]) == 2 else None
    pc = probe_conditions(model_hps, task={"grid_n": 1, **e["task"]}, amplitudes=[0.0], sisu=sisu,
                          noise=e["model"], eval_n=int(e["eval_n"]), seed=int(e["seed"]))
    off = reach_offsets(units, starts, float(e["stim"]["amplitude"]), duration, n_steps, n_hidden)
    force = run_conditions(ensemble, pc, Interventions(hidden=jnp.asarray(off)), lambda traj, net: traj.force,
                           chunk=int(e["chunk"]), keep=(), label="unit_perts: reach stimulation",
                           progress=progress).mean(axis=0)  # (R, P, C, T, 2)
    dforce = (force[:, 1:] - force[:, :1]).reshape(force.shape[0], units.size, len(starts), *force.shape[2:])
    eff = np.stack([effective_angles(dforce[:, :, j, :, :s + 1 + window], s) for j, s in enumerate(starts)], 0)
    effective, effect = np.moveaxis(eff[:, 0], 0, 2), np.moveaxis(eff[:, 1], 0, 2)  # (R, U, J, C)
    shift = np.asarray(wrap_angle(effective - effective[:, :, :1]))
    relative = np.asarray(wrap_angle(effective - pc.angle[None, None, None, :]))
    inc = np.ones(effective.shape[0], bool) if included is None else np.asarray(included, bool)
    r_, u_, j_, c_ = np.indices(effective.shape).reshape(4, -1)
    return pd.DataFrame({
        "replicate": r_.astype(np.int16), "included": inc[r_], "sisu": pc.sisu[c_].astype(np.float32),
        "direction": pc.direction[c_].astype(np.int16), "reach_angle": pc.angle[c_].astype(np.float64),
        "unit": units[u_].astype(np.int16), "stim_start": np.asarray(starts, np.int16)[j_],
        "effective": effective.reshape(-1), "relative": relative.reshape(-1), "shift": shift.reshape(-1),
        "effect": effect.reshape(-1)})
