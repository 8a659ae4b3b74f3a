"""Protocol (b) of `unit_perts` (SPEC §2.9, Jul 2025): stimulate every unit at steady state
across context (SISU) and plant field amplitude, and regress each unit's effect on them.

Each unit is stimulated (amplitude `stim.amplitude`, optionally divided by the norm of its
readout column) for `stim.duration` steps from `stim.start`, holding still at the origin under
every curl amplitude × SISU; the no-stimulation trial is the reference. Per unit, the max
deviation ‖p‖ after the stimulation starts is regressed on [1, SISU, field amplitude] over all
conditions × evaluations, by closed-form least squares.
"""

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np
import pandas as pd

from ...sim._rollout import Interventions
from .._angles import wrap_angle
from .._lstsq import least_squares
from .._probes import check_units, check_window, probe_conditions, run_conditions, step_mask, unit_offsets


def _reduce(start: int):
    def reduce(traj, net):
        rel = traj.pos[:, start:] - traj.pos[:, start:start + 1]
        dev = jnp.linalg.norm(rel, axis=-1)
        t = jnp.argmax(dev, axis=-1)
        at = jnp.take_along_axis(rel, t[:, None, None], axis=1)[:, 0]
        return {"max_deviation": dev.max(axis=-1), "angle": jnp.arctan2(at[:, 1], at[:, 0])}
    return reduce


def _reduce_series(traj, net):
    return {"pos": traj.pos, "vel": traj.vel}


def regression_tables(ensemble, model_hps: Mapping, e: Mapping, included=None, *, progress: bool = False
                      ) -> dict[str, pd.DataFrame]:
    """The regression, per-trial effects and example-unit time series of protocol (b).

    `e`: `stim` {amplitude, start, duration, scale_by_readout}, `amp` (curl amplitudes), `sisu`,
    `units`, `n_examples`, `n_steps`, `model` (noise), eval_n, seed, chunk.

    Returns:
        regression: one row per replicate × unit: `intercept`, `w_sisu`, `w_amp` (weights of
            the max deviation on SISU and field amplitude), `readout_angle` (angle of the
            unit's readout column), `deviation_angle` (circular mean angle of the position at
            max deviation) and `alignment` = wrap(deviation_angle − readout_angle).
        examples: ‖p‖, angle of p and speed vs time for `n_examples` units (and the reference,
            unit −1), mean over evaluations, one row per replicate × unit × condition × t.
    """
    n_steps = int(e["n_steps"])
    n_hidden = int(model_hps["model"]["hidden_size"])
    units = check_units(e.get("units"), n_hidden, "unit_perts.units")
    s = e["stim"]
    start, duration = check_window(s["start"], s["duration"], n_steps, "unit_perts.stim")
    sisu = [float(x) for x in e["sisu"]] if int(model_hps["part"]) == 2 else None
    if sisu is None or len(set(sisu)) < 2 or len(set(e["amp"])) < 2:
        raise ValueError("unit_perts regression needs >= 2 SISU values (part 2) and >= 2 field amplitudes; "
                         f"got sisu={sisu!r}, amp={list(e['amp'])!r}")
    pc = probe_conditions(model_hps, task={"grid_n": 1, "n_directions": 1, "reach_length": 0.0},
                          amplitudes=e["amp"], sisu=sisu, noise=e["model"], eval_n=int(e["eval_n"]),
                          seed=int(e["seed"]), n_steps=n_steps, field_type="curl")
    w = np.asarray(ensemble.readout.weight, np.float64)  # (R, 2, H)
    mask = step_mask(n_steps, start, duration)
    which = np.concatenate([[0], units]).astype(np.int32)
    amps = np.concatenate([[0.0], np.full(units.size, float(s["amplitude"]))]).astype(np.float32)
    if s.get("scale_by_readout"):  # the same across replicates: scale by the mean column norm
        col = np.linalg.norm(w, axis=1).mean(axis=0)[units]
        amps[1:] = amps[1:] / np.where(col > 0, col, 1.0)
    stim = unit_offsets(jnp.asarray(which), jnp.asarray(amps), n_hidden, mask)
    out = run_conditions(ensemble, pc, Interventions(hidden=stim), _reduce(start), chunk=int(e["chunk"]), keep=(),
                         label="unit_perts: regression", progress=progress)
    dev = out["max_deviation"][:, :, 1:]  # (E, R, U, C)
    n_eval, n_rep, n_u, n_c = dev.shape
    cond_sisu = np.nan_to_num(pc.sisu.astype(np.float64))
    x = np.stack([np.ones(n_c), cond_sisu, pc.pert_amp.astype(np.float64)], -1)  # (C, 3)
    x = np.tile(x, (n_eval, 1))                                                   # (E·C, 3)
    y = np.transpose(dev, (0, 3, 1, 2)).reshape(n_eval * n_c, n_rep, n_u)         # (E·C, R, U)
    beta = least_squares(x, y)  # (3, R, U)
    readout_angle = np.arctan2(w[:, 1, units], w[:, 0, units])  # (R, U)
    ang = out["angle"][:, :, 1:]
    dev_angle = np.arctan2(np.sin(ang).mean(axis=(0, 3)), np.cos(ang).mean(axis=(0, 3)))  # (R, U)
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    r_, u_ = np.indices((n_rep, n_u)).reshape(2, -1)
    regression = pd.DataFrame({
        "replicate": r_.astype(np.int16), "included": inc[r_], "unit": units[u_].astype(np.int16),
        "stim_amplitude": amps[1:][u_].astype(np.float64), "intercept": beta[0].reshape(-1),
        "w_sisu": beta[1].reshape(-1), "w_amp": beta[2].reshape(-1),
        "mean_max_deviation": dev.mean(axis=(0, 3)).reshape(-1).astype(np.float64),
        "readout_angle": readout_angle.reshape(-1), "deviation_angle": dev_angle.reshape(-1),
        "alignment": np.asarray(wrap_angle(dev_angle - readout_angle)).reshape(-1)})
    examples = _examples(ensemble, pc, regression, units, which, amps, n_hidden, mask, e, inc, progress)
    return {"regression": regression, "examples": examples}


def _examples(ensemble, pc, regression, units, which, amps, n_hidden, mask, e, inc, progress) -> pd.DataFrame:
    """Time series of the reference and `n_examples` units spread over the range of effects."""
    n = min(int(e["n_examples"]), units.size)
    order = regression[regression["replicate"] == 0].sort_values("mean_max_deviation")["unit"].to_numpy()
    picked = order[np.unique(np.linspace(0, order.size - 1, n).round().astype(int))] if n else order[:0]
    idx = np.concatenate([[0], [int(np.flatnonzero(units == u)[0]) + 1 for u in picked]])
    stim = unit_offsets(jnp.asarray(which[idx]), jnp.asarray(amps[idx]), n_hidden, mask)
    out = run_conditions(ensemble, pc, Interventions(hidden=stim), _reduce_series, chunk=len(idx), keep=(),
                         label="unit_perts: examples", progress=progress)
    pos, vel = out["pos"].mean(axis=0), out["vel"].mean(axis=0)  # (R, P, C, T, 2)
    names = np.concatenate([[-1], picked]).astype(np.int16)
    r_, p_, c_, t_ = np.indices(pos.shape[:-1]).reshape(4, -1)
    p2 = pos.reshape(-1, 2)
    return pd.DataFrame({
        "replicate": r_.astype(np.int16), "included": inc[r_], "unit": names[p_],
        "sisu": pc.sisu[c_].astype(np.float32), "pert_amp": pc.pert_amp[c_], "t": t_.astype(np.int16),
        "deviation": np.linalg.norm(p2, axis=-1), "angle": np.arctan2(p2[:, 1], p2[:, 0]),
        "speed": np.linalg.norm(vel.reshape(-1, 2), axis=-1),
        "stim_start": np.int16(e["stim"]["start"]), "stim_end": np.int16(e["stim"]["start"] + e["stim"]["duration"])})
