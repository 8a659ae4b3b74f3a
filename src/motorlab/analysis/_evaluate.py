"""Evaluate a trained ensemble on a centre-out task variant × field amplitudes × SISU values
(an `EvalSpec`), optionally under feedback impulses.

Conditions are the product (amplitude, SISU, trial), amplitude-major. Every replicate sees the
same trials and the same noise; each evaluation repeat draws new noise. With an impulse
(`EvalSpec.impulse`, SPEC §2.3) the conditions become (impulse amplitude, [direction group: +x
then +y in "xy" mode], field amplitude, SISU, trial); the impulse amplitudes are vmapped, and
every impulse amplitude sees the same impulse directions and the same noise.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd

from ..sim._controllers import AbstractController
from ..sim._fields import FIELD_TYPES, evaluation_fields
from ..sim._impulses import CHANNELS, feedback_impulses
from ..sim._rollout import check_keep, simulate_trials
from ..sim._setup import make_keys, map_replicates
from ..sim._tasks import Trials, centre_out
from ._output_correlation import output_correlation
from ._spec import EvalSpec


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

    def tiled(self, reps: int) -> "Conditions":
        """These conditions repeated `reps` times (the repeat outermost)."""
        tile = lambda a: jnp.tile(a, (reps,) + (1,) * (a.ndim - 1))  # noqa: E731
        return Conditions(jax.tree.map(tile, self.trials), self.pert_type, np.tile(self.pert_amp, reps),
                          np.tile(self.sisu, reps))


@dataclass
class ImpulseConditions:
    """The feedback impulse of each condition of an impulse evaluation (length C).

    Attributes:
        channel: the perturbed feedback variable, "pos" or "vel".
        amp: impulse amplitude (C,). index: rank of that amplitude in the spec's list (C,).
        direction: unit impulse direction in the world frame (C, 2).
    """

    channel: str
    amp: np.ndarray
    index: np.ndarray
    direction: np.ndarray


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
    inputs: np.ndarray | None = None  # (eval, replicate, condition, time, input) when kept
    impulse: ImpulseConditions | None = None  # with feedback impulses

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
            **({} if self.impulse is None else self._impulse_columns(c)),
        })

    def _impulse_columns(self, c: np.ndarray) -> dict[str, object]:
        """`pert_var` (categorical "pos"/"vel"), `impulse_amp`, `impulse_index`, `impulse_dir_x/_y`."""
        imp = self.impulse
        return {"pert_var": pd.Categorical.from_codes(np.full(c.size, CHANNELS.index(imp.channel), np.int8),
                                                      categories=list(CHANNELS)),
                "impulse_amp": imp.amp[c].astype(np.float32), "impulse_index": imp.index[c].astype(np.int16),
                "impulse_dir_x": imp.direction[c, 0].astype(np.float32),
                "impulse_dir_y": imp.direction[c, 1].astype(np.float32)}


@eqx.filter_jit
def _run(ensemble, env, trials: Trials, fields, context, keys, record: tuple[str, ...],
         keep_hidden: bool, interventions=None):
    """The compiled evaluation: every repeat (`keys`) × replicate × condition.

    Module-level, so that calls with equal shapes, dtypes and static settings reuse one compiled
    program (tests/test_compiles_once.py); `record` and `keep_hidden` are static. With
    `interventions` (leading impulse-amplitude axis A, then the n conditions), each replicate is
    vmapped over A and the result has A·n conditions, amplitude-major.
    """

    def one_eval(k):
        noise_keys = jr.split(k, context.shape[0])

        def one_rep(net):
            def one(iv):
                traj = simulate_trials(net, env, trials.start, trials.goal, fields, context,
                                       noise_keys, iv, keep=record)
                corr = output_correlation(traj.hidden, net.readout.weight)  # (condition,)
                return (traj if keep_hidden else eqx.tree_at(lambda t: t.hidden, traj, None)), corr

            if interventions is None:
                return one(None)
            merge = lambda a: a.reshape(-1, *a.shape[2:])  # noqa: E731  (A, n, ...) -> (A·n, ...)
            return jax.tree.map(merge, jax.vmap(one)(interventions))

        return map_replicates(one_rep, ensemble)

    return jax.lax.map(one_eval, keys)


_DIRECTIONS_SALT = 0x1F5  # folds the evaluation key into the impulse-direction key


def _impulses(spec: EvalSpec, cond: Conditions, n_steps: int, key_eval):
    """The interventions (A, n, K, 4) of `spec.impulse` over the conditions `cond` (already
    doubled in "xy" mode) and their `ImpulseConditions` (A·n conditions, amplitude-major)."""
    imp = spec.impulse
    amps = np.asarray(imp.amplitudes, np.float32)
    key_dirs = jr.fold_in(key_eval, _DIRECTIONS_SALT)
    ivs, dirs = jax.vmap(lambda a: feedback_impulses(imp, a, cond.n, n_steps, key_dirs))(jnp.asarray(amps))
    info = ImpulseConditions(imp.channel, np.repeat(amps, cond.n), np.repeat(np.arange(amps.size), cond.n),
                             np.asarray(dirs).reshape(-1, 2))
    return ivs, info


def evaluate(model: AbstractController, spec: EvalSpec, *,
             included: Sequence[bool] | np.ndarray | None = None,
             keep: Collection[str] = ()) -> Evaluated:
    """Run every condition of `spec` for every replicate and evaluation repeat.

    Arguments:
        model: replicate ensemble (leading replicate axis).
        spec: the evaluation (`EvalSpec`, e.g. `EvalSpec.from_hps(eval_hps, model_hps)`).
        included: replicates kept by post-training selection (default: all).
        keep: what else to return: `"hidden"` (hidden states, memory E·R·C·T·H floats) and/or
            `"inputs"` (the network inputs of every step, E·R·C·T·I floats).

    Returns:
        An `Evaluated` with arrays shaped (eval, replicate, condition, time, ·).
    """
    keep = check_keep(keep)
    m = spec.model
    env = m.environment.environment(feedback_noise_std=spec.feedback_noise_std,
                                    motor_noise_std=spec.motor_noise_std, n_steps=spec.n_steps,
                                    feedback_delay_steps=spec.feedback_delay_steps)
    base = centre_out(spec.grid_n, spec.n_directions, spec.reach_length, m.environment.workspace)
    cond = make_conditions(base, spec.field_type, spec.amplitudes, spec.sisu)
    if spec.impulse is not None and spec.impulse.direction == "xy":
        cond = cond.tiled(2)  # a +x and a +y group of every condition
    fields = evaluation_fields(spec.field_type, jnp.asarray(cond.pert_amp), cond.trials.angle)
    context = jnp.asarray(cond.sisu)[:, None] if m.n_context else jnp.zeros((cond.n, 0))
    eval_n = spec.eval_n
    if env.feedback.noise_std == 0 and env.motor.std == 0:
        eval_n = 1  # without noise every repeat is identical
    _, _, key_eval = make_keys(spec.seed)
    eval_keys = jr.split(key_eval, eval_n)
    record = tuple(sorted(keep | {"hidden"}))  # hidden states feed the output correlation
    ivs, impulse = (None, None) if spec.impulse is None else _impulses(spec, cond, env.n_steps, key_eval)

    traj, corr = _run(model, env, cond.trials, fields, context, eval_keys, record, "hidden" in keep, ivs)
    if impulse is not None:
        cond = cond.tiled(len(spec.impulse.amplitudes))
    n_rep = traj.pos.shape[1]
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    if inc.shape != (n_rep,):
        raise ValueError(f"`included` must have one entry per replicate ({n_rep}), got {inc.shape}")
    as_np = lambda a: None if a is None else np.asarray(a)  # noqa: E731
    return Evaluated(cond, np.asarray(traj.pos), np.asarray(traj.vel), np.asarray(traj.force),
                     as_np(traj.hidden), inc, np.asarray(corr), inputs=as_np(traj.inputs), impulse=impulse)
