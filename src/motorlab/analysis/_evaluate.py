"""Evaluate a trained ensemble on a centre-out task variant × field amplitudes × SISU values.

Conditions are the product (amplitude, SISU, trial), amplitude-major. Every replicate sees the
same trials and the same noise; each evaluation repeat draws new noise.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd

from ..sim._controllers import GRUController
from ..sim._fields import FIELD_TYPES, evaluation_fields
from ._output_correlation import output_correlation
from ..sim._rollout import simulate_trials
from ..sim._setup import Hps, make_environment, make_keys, map_replicates, n_context
from ..sim._tasks import Trials, centre_out


@dataclass
class Conditions:
    """The flat list of evaluation conditions (length C), as numpy arrays."""

    trials: Trials          # batched over C
    pert_type: str
    pert_amp: np.ndarray    # (C,)
    sisu: np.ndarray        # (C,), NaN in part 1

    @property
    def n(self) -> int:
        return self.pert_amp.shape[0]


def make_conditions(base: Trials, pert_type: str, amps: Sequence[float],
                    sisu: Sequence[float] | None) -> Conditions:
    """Product of amplitudes × SISU values × trials (trials vary fastest)."""
    sisu_values = [np.nan] if sisu is None else list(sisu)
    n_trial = base.n
    reps = len(amps) * len(sisu_values)
    tile = lambda a: jnp.tile(a, (reps,) + (1,) * (a.ndim - 1))  # noqa: E731
    trials = jax.tree.map(tile, base)
    amp = np.repeat(np.asarray(amps, np.float32), len(sisu_values) * n_trial)
    s = np.tile(np.repeat(np.asarray(sisu_values, np.float32), n_trial), len(amps))
    return Conditions(trials, pert_type, amp, s)


@dataclass
class Evaluated:
    """States of an evaluation: arrays shaped (eval, replicate, condition, time, ·)."""

    conditions: Conditions
    pos: np.ndarray
    vel: np.ndarray
    force: np.ndarray
    hidden: np.ndarray | None
    included: np.ndarray    # (replicate,) bool
    output_correlation: np.ndarray  # (eval, replicate, condition)

    def to_frame(self) -> pd.DataFrame:
        """The states table of `docs/architecture.md`: one row per eval × replicate × condition × t."""
        n_eval, n_rep, n_cond, n_t, _ = self.pos.shape
        idx = np.indices((n_eval, n_rep, n_cond, n_t)).reshape(4, -1)
        e, r, c, t = idx
        cond, tr = self.conditions, self.conditions.trials
        start, goal = np.asarray(tr.start), np.asarray(tr.goal)
        flat = lambda a: a.reshape(-1, 2).astype(np.float32)  # noqa: E731
        pos, vel, force = flat(self.pos), flat(self.vel), flat(self.force)
        return pd.DataFrame({
            "eval": e.astype(np.int16), "replicate": r.astype(np.int16),
            "included": self.included[r], "condition": c.astype(np.int32),
            "pert_type": pd.Categorical.from_codes(
                np.full(e.size, FIELD_TYPES.index(cond.pert_type), np.int8), categories=list(FIELD_TYPES)),
            "pert_amp": cond.pert_amp[c], "sisu": cond.sisu[c],
            "centre": np.asarray(tr.centre)[c].astype(np.int16),
            "direction": np.asarray(tr.direction)[c].astype(np.int16),
            "reach_angle": np.asarray(tr.angle)[c].astype(np.float32),
            "start_x": start[c, 0], "start_y": start[c, 1], "goal_x": goal[c, 0], "goal_y": goal[c, 1],
            "t": t.astype(np.int16),
            "pos_x": pos[:, 0], "pos_y": pos[:, 1], "vel_x": vel[:, 0], "vel_y": vel[:, 1],
            "force_x": force[:, 0], "force_y": force[:, 1],
            "output_correlation": self.output_correlation[e, r, c].astype(np.float32),
        })


@eqx.filter_jit
def _run(ensemble, env, trials: Trials, fields, context, keys, keep_hidden: bool):
    """The compiled evaluation: every repeat (`keys`) × replicate × condition.

    Module-level, so that calls with equal shapes, dtypes and static settings reuse one compiled
    program (tests/test_compiles_once.py); `keep_hidden` is static.
    """

    def one_eval(k):
        noise_keys = jr.split(k, context.shape[0])

        def one_rep(model):
            traj = simulate_trials(model, env, trials.start, trials.goal, fields, context,
                                   noise_keys, keep_hidden=True)
            corr = output_correlation(traj.hidden, model.readout.weight)  # (condition,)
            return (traj if keep_hidden else eqx.tree_at(lambda t: t.hidden, traj, None)), corr

        return map_replicates(one_rep, ensemble)

    return jax.lax.map(one_eval, keys)


def evaluate(ensemble: GRUController, hps: Hps, eval_hps: Mapping, *,
             included: Sequence[bool] | None = None, keep_hidden: bool = False) -> Evaluated:
    """Run every condition of `eval_hps` for every replicate and evaluation repeat.

    Arguments:
        ensemble: replicate ensemble (leading replicate axis).
        hps: the model's training hyperparameters.
        eval_hps: resolved evaluation settings: `eval_n`, `seed`, `task` {grid_n, n_directions,
            reach_length}, `pert` {type, amp: list}, `sisu` (list, or None in part 1),
            `model` {feedback_noise_std, motor_noise_std} (no nulls).
        included: replicates kept by post-training selection (default: all).
        keep_hidden: also return hidden states (memory: E·R·C·T·H floats).

    Returns:
        An `Evaluated` with arrays shaped (eval, replicate, condition, time, ·).
    """
    task, pert, noise = eval_hps["task"], eval_hps["pert"], eval_hps["model"]
    env = make_environment(hps, feedback_noise_std=noise["feedback_noise_std"],
                           motor_noise_std=noise["motor_noise_std"])
    base = centre_out(int(task["grid_n"]), int(task["n_directions"]), float(task["reach_length"]),
                      hps["plant"]["workspace"])
    sisu = eval_hps.get("sisu") if n_context(hps) else None
    if n_context(hps) and sisu is None:
        raise ValueError("a part-2 model needs evaluation `sisu` values, got None")
    cond = make_conditions(base, pert["type"], [float(a) for a in pert["amp"]], sisu)
    fields = evaluation_fields(pert["type"], jnp.asarray(cond.pert_amp), cond.trials.angle)
    context = jnp.asarray(cond.sisu)[:, None] if n_context(hps) else jnp.zeros((cond.n, 0))
    eval_n = int(eval_hps["eval_n"])
    if env.feedback.noise_std == 0 and env.motor.std == 0:
        eval_n = 1  # without noise every repeat is identical
    _, _, key_eval = make_keys(eval_hps["seed"])
    eval_keys = jr.split(key_eval, eval_n)

    traj, corr = _run(ensemble, env, cond.trials, fields, context, eval_keys, keep_hidden)
    n_rep = traj.pos.shape[1]
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    if inc.shape != (n_rep,):
        raise ValueError(f"`included` must have one entry per replicate ({n_rep}), got {inc.shape}")
    return Evaluated(cond, np.asarray(traj.pos), np.asarray(traj.vel), np.asarray(traj.force),
                     None if traj.hidden is None else np.asarray(traj.hidden), inc, np.asarray(corr))

