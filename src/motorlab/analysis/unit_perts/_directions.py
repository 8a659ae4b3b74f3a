"""Protocol (a) of `unit_perts` (SPEC §2.9, Feb 2025): preferred vs effective direction of each
unit, holding still at the origin.

- Preferred direction: a force impulse pushes the effector in each of D directions (added to the
  efferent output, `Interventions.force`); unit i prefers the direction that maximises its
  activity at the time of the largest net (efferent) force after the impulse starts.
- Effective direction: unit i alone is stimulated (`Interventions.hidden`); its effective
  direction is the angle of the change of the net force (against the unstimulated trial, same
  noise) at its largest magnitude after the stimulation starts.
- Alignment: the signed angle effective − preferred, wrapped to (−π, π].
"""

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np
import pandas as pd

from ...sim._rollout import Interventions
from .._angles import wrap_angle
from .._probes import check_units, check_window, probe_conditions, run_conditions, step_mask, unit_offsets


def preferred_angles(activity: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Preferred direction of each unit: the impulse angle at which its activity is largest.

    Arguments:
        activity: (..., D, H) activity of each unit at the time of max net force, per direction.
        angles: (D,) impulse directions (rad).

    Returns:
        (..., H) angles (rad).
    """
    return np.asarray(angles)[np.argmax(activity, axis=-2)]


def effective_angles(dforce: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Angle and magnitude of a force change at its largest magnitude from entry `start + 1`.

    Arguments:
        dforce: (..., T, 2) change of the net force caused by a stimulation.
        start: the stimulation's first control step (its first effect is entry start + 1).

    Returns:
        `(angle, magnitude)`, each (...,).
    """
    after = dforce[..., start + 1:, :]
    norm = np.linalg.norm(after, axis=-1)
    t = np.argmax(norm, axis=-1)
    at = np.take_along_axis(after, t[..., None, None], axis=-2)[..., 0, :]
    return np.arctan2(at[..., 1], at[..., 0]), np.take_along_axis(norm, t[..., None], axis=-1)[..., 0]


def _reduce_at_max_force(start: int):
    def reduce(traj, net):
        norm = jnp.linalg.norm(traj.force[:, start + 1:], axis=-1)  # (n, T − start − 1)
        t = jnp.argmax(norm, axis=-1) + start + 1
        return jnp.take_along_axis(traj.hidden, t[:, None, None], axis=1)[:, 0]  # (n, H)
    return reduce


def _reduce_force(traj, net):
    return traj.force


def direction_tables(ensemble, model_hps: Mapping, e: Mapping, included=None, *, progress: bool = False
                     ) -> pd.DataFrame:
    """One row per replicate × SISU × unit (at the origin, no field): `preferred`, `effective`
    (rad), `alignment` = wrap(effective − preferred), `effect` (|Δ net force| at its max).

    `e`: `directions` {n_directions, amplitude, start, duration}, `stim` {amplitude, start,
    duration}, `units`, `sisu` (part 2), `model` (noise), eval_n, seed, chunk. Activities and
    forces are averaged over evaluations first.
    """
    n_steps = int(model_hps["plant"]["n_steps"])
    n_hidden = int(model_hps["model"]["hidden_size"])
    units = check_units(e.get("units"), n_hidden, "unit_perts.units")
    d, s = e["directions"], e["stim"]  # d: the force impulse
    start_d, dur_d = check_window(d["start"], d["duration"], n_steps, "unit_perts.directions")
    start_s, dur_s = check_window(s["start"], s["duration"], n_steps, "unit_perts.stim")
    sisu = [float(x) for x in e["sisu"]] if int(model_hps["part"]) == 2 else None
    pc = probe_conditions(model_hps, task={"grid_n": 1, "n_directions": 1, "reach_length": 0.0},
                          amplitudes=[0.0], sisu=sisu, noise=e["model"], eval_n=int(e["eval_n"]),
                          seed=int(e["seed"]))
    angles = 2 * np.pi * np.arange(int(d["n_directions"])) / int(d["n_directions"])
    unit_vec = np.stack([np.cos(angles), np.sin(angles)], -1).astype(np.float32)  # (D, 2)
    push = float(d["amplitude"]) * unit_vec[:, None, :] * np.asarray(step_mask(n_steps, start_d, dur_d))[None, :, None]
    chunk = int(e["chunk"])
    act = run_conditions(ensemble, pc, Interventions(force=jnp.asarray(push)), _reduce_at_max_force(start_d),
                         chunk=chunk, label="unit_perts: impulses", progress=progress)
    act = act.mean(axis=0)  # (R, D, C, H)
    preferred = preferred_angles(np.moveaxis(act, 1, 2), angles)  # (R, C, H)
    amps = np.concatenate([[0.0], np.full(units.size, float(s["amplitude"]))]).astype(np.float32)
    which = np.concatenate([[0], units]).astype(np.int32)
    stim = unit_offsets(jnp.asarray(which), jnp.asarray(amps), n_hidden, step_mask(n_steps, start_s, dur_s))
    force = run_conditions(ensemble, pc, Interventions(hidden=stim), _reduce_force, chunk=chunk, keep=(),
                           label="unit_perts: stimulation", progress=progress).mean(axis=0)  # (R, 1+U, C, T, 2)
    effective, effect = effective_angles(force[:, 1:] - force[:, :1], start_s)  # (R, U, C)
    effective, effect = np.moveaxis(effective, 1, 2), np.moveaxis(effect, 1, 2)  # (R, C, U)
    pref = preferred[..., units]
    n_rep, n_c, n_u = effective.shape
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    r_, c_, u_ = np.indices(effective.shape).reshape(3, -1)
    return pd.DataFrame({
        "replicate": r_.astype(np.int16), "included": inc[r_], "sisu": pc.sisu[c_].astype(np.float32),
        "unit": units[u_].astype(np.int16), "preferred": pref.reshape(-1).astype(np.float64),
        "effective": effective.reshape(-1).astype(np.float64),
        "alignment": np.asarray(wrap_angle(effective - pref)).reshape(-1).astype(np.float64),
        "effect": effect.reshape(-1).astype(np.float64)})
