"""Evaluate an ensemble holding still on the steady-state grid while feedback impulses hit it
(SPEC §2.3 part 1, §2.7 part 2 with SISU values as context).

Conditions are the product (impulse amplitude, [direction group], SISU, position), amplitude-major.
The amplitudes are vmapped. Every amplitude sees the same impulse directions and the same noise,
every replicate the same trials and noise, and each evaluation repeat draws new noise (its keys
are those of `motorlab.analysis.evaluate` for the same seed). There is no force field: the
states table's `pert_amp` is 0 and `pert_type` is the model's training field type.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Final

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd

from ...sim._controllers import AbstractController
from ...sim._fields import evaluation_fields
from ...sim._impulses import CHANNELS, FeedbackImpulse, feedback_impulses
from ...sim._rollout import simulate_trials
from ...sim._setup import Hps, make_keys, map_replicates
from ...sim._specs import ModelSpec, as_model_spec
from ...sim._tasks import steady_state_grid
from .._evaluate import Conditions, Evaluated, make_conditions
from .._output_correlation import output_correlation

DEFAULT_GRID_N: Final = 5
DEFAULT_EVAL_N: Final = 5
IMPULSE_COLUMNS: Final = ("pert_var", "impulse_amp", "impulse_index", "impulse_dir_x", "impulse_dir_y")
"""Columns the impulse evaluation adds to the states table of `Evaluated.to_frame`."""
_DIRECTIONS_SALT: Final = 0x1F5  # folds the evaluation key into the impulse-direction key


@dataclasses.dataclass
class ImpulseEvaluated:
    """States of an impulse evaluation plus the impulse of each condition.

    Attributes:
        evaluated: the states, arrays shaped (eval, replicate, condition, time, ·).
        impulse: the protocol evaluated.
        impulse_amp: amplitude of each condition, shape (C,).
        impulse_index: rank of that amplitude in `impulse.amplitudes`, shape (C,).
        impulse_dir: unit impulse direction of each condition (world frame), shape (C, 2).
    """

    evaluated: Evaluated
    impulse: FeedbackImpulse
    impulse_amp: np.ndarray
    impulse_index: np.ndarray
    impulse_dir: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The evaluation's states table plus `IMPULSE_COLUMNS`: `pert_var` ("pos"/"vel",
        categorical), `impulse_amp` (float32), `impulse_index` (int16), `impulse_dir_x/_y`
        (float32), each constant within a trial."""
        frame = self.evaluated.to_frame()
        c = frame["condition"].to_numpy()
        frame["pert_var"] = pd.Categorical.from_codes(
            np.full(c.size, CHANNELS.index(self.impulse.channel), np.int8), categories=list(CHANNELS)
        )
        frame["impulse_amp"] = self.impulse_amp[c].astype(np.float32)
        frame["impulse_index"] = self.impulse_index[c].astype(np.int16)
        frame["impulse_dir_x"] = self.impulse_dir[c, 0].astype(np.float32)
        frame["impulse_dir_y"] = self.impulse_dir[c, 1].astype(np.float32)
        return frame


def default_impulses(*, start: int = 30, duration: int = 5, direction: str = "rand",
                     n_amplitudes: int = 3) -> tuple[FeedbackImpulse, FeedbackImpulse]:
    """The SPEC §2.3 protocols: position impulses up to 1.8 and velocity impulses up to 1.2."""
    return tuple(
        FeedbackImpulse(channel, start=start, duration=duration, direction=direction,
                        n_amplitudes=n_amplitudes)
        for channel in CHANNELS
    )


def _impulse_conditions(model: ModelSpec, grid_n: int, n_groups: int, n_amps: int,
                        sisu: Sequence[float] | None) -> tuple[Conditions, int]:
    """Conditions (amplitude, direction group, SISU, position) and the trials per amplitude."""
    base = steady_state_grid(int(grid_n), model.environment.workspace)
    # make_conditions puts its "amplitudes" outermost; a zero per direction group tiles the
    # trials so that the first half takes +x and the second +y in "xy" mode.
    one = make_conditions(base, model.environment.field_type, [0.0] * n_groups, sisu)
    tile = lambda a: jnp.tile(a, (n_amps,) + (1,) * (a.ndim - 1))  # noqa: E731
    trials = jax.tree.map(tile, one.trials)
    cond = Conditions(trials, one.pert_type, np.tile(one.pert_amp, n_amps), np.tile(one.sisu, n_amps))
    return cond, one.n


def evaluate_impulses(
    ensemble: AbstractController,
    hps: Hps | ModelSpec,
    impulse: FeedbackImpulse,
    *,
    eval_n: int = DEFAULT_EVAL_N,
    seed: int,
    grid_n: int = DEFAULT_GRID_N,
    sisu: Sequence[float] | None = None,
    feedback_noise_std: float | None = None,
    motor_noise_std: float | None = None,
    n_steps: int | None = None,
    included: Sequence[bool] | None = None,
) -> ImpulseEvaluated:
    """Run every impulse amplitude of `impulse` on the steady-state grid (reach length 0).

    Arguments:
        ensemble: replicate ensemble (leading replicate axis).
        hps: the model's training hyperparameters, or its `ModelSpec`.
        impulse: the impulse protocol; its amplitudes are vmapped.
        eval_n: evaluation repeats (noise samples); 1 when both noise stds are 0.
        seed: evaluation seed (keys as in `motorlab.analysis.evaluate`).
        grid_n: the grid is grid_n × grid_n hold positions.
        sisu: context values (part 2; required there), None in part 1.
        feedback_noise_std, motor_noise_std, n_steps: overrides of the training values.
        included: replicates kept by post-training selection (default: all).

    Returns:
        An `ImpulseEvaluated`; C = n_amplitudes × (2 if "xy") × n_sisu × grid_n² conditions.
    """
    model = as_model_spec(hps)
    env = model.environment.environment(feedback_noise_std=feedback_noise_std,
                                        motor_noise_std=motor_noise_std, n_steps=n_steps)
    impulse.check_fits(env.n_steps)
    if model.n_context and sisu is None:
        raise ValueError("a part-2 model needs evaluation `sisu` values, got None")
    if not model.n_context and sisu is not None:
        raise ValueError(f"a part-1 model takes no context input, got sisu={list(sisu)!r}; expected None")
    if not (isinstance(eval_n, int) and eval_n >= 1):
        raise ValueError(f"eval_n={eval_n!r}; expected an integer >= 1")
    amps = np.asarray(impulse.amplitudes, np.float32)
    n_groups = 2 if impulse.direction == "xy" else 1
    cond, n = _impulse_conditions(model, grid_n, n_groups, amps.size, sisu)
    trials = jax.tree.map(lambda a: a[:n], cond.trials)
    fields = evaluation_fields(cond.pert_type, jnp.zeros(n), trials.angle)
    context = jnp.asarray(cond.sisu[:n])[:, None] if model.n_context else jnp.zeros((n, 0))
    if env.feedback.noise_std == 0 and env.motor.std == 0:
        eval_n = 1  # without noise every repeat is identical
    _, _, key_eval = make_keys(seed)
    eval_keys = jr.split(key_eval, eval_n)
    key_dirs = jr.fold_in(key_eval, _DIRECTIONS_SALT)
    n_steps_env = env.n_steps

    def interventions(amp):
        return feedback_impulses(impulse, amp, n, n_steps_env, key_dirs)

    @eqx.filter_jit
    def run(ens, keys, amplitudes):
        ivs, dirs = jax.vmap(interventions)(amplitudes)  # (A, n, K, 4), (A, n, 2)

        def one_eval(k):
            noise_keys = jr.split(k, n)

            def one_rep(model):
                def one_amp(iv):
                    traj = simulate_trials(model, env, trials.start, trials.goal, fields, context,
                                           noise_keys, iv, keep=("hidden",))
                    corr = output_correlation(traj.hidden, model.readout.weight)
                    return eqx.tree_at(lambda t: t.hidden, traj, None), corr
                return jax.vmap(one_amp)(ivs)
            return map_replicates(one_rep, ens)
        traj, corr = jax.lax.map(one_eval, keys)
        return traj, corr, dirs

    traj, corr, dirs = run(ensemble, eval_keys, jnp.asarray(amps))
    merge = lambda a: np.asarray(a).reshape(a.shape[0], a.shape[1], -1, *a.shape[4:])  # noqa: E731
    n_rep = traj.pos.shape[1]
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    if inc.shape != (n_rep,):
        raise ValueError(f"`included` must have one entry per replicate ({n_rep}), got {inc.shape}")
    evaluated = Evaluated(cond, merge(traj.pos), merge(traj.vel), merge(traj.force), None, inc,
                          merge(corr))
    return ImpulseEvaluated(
        evaluated, impulse,
        impulse_amp=np.repeat(amps, n), impulse_index=np.repeat(np.arange(amps.size), n),
        impulse_dir=np.asarray(dirs).reshape(-1, 2),
    )


def impulse_states(
    ensemble: AbstractController, hps: Hps | ModelSpec, impulses: Sequence[FeedbackImpulse], **kwargs
) -> pd.DataFrame:
    """States tables of several impulse protocols (e.g. `default_impulses()`: position and
    velocity), concatenated; keyword arguments as in `evaluate_impulses`. Condition indices are
    those of each protocol's own evaluation; tell the protocols apart by `pert_var`."""
    if not impulses:
        raise ValueError("impulses=[]; expected at least one FeedbackImpulse")
    channels = [imp.channel for imp in impulses]
    if len(set(channels)) != len(channels):
        raise ValueError(f"impulse channels {channels}; expected each channel at most once")
    frames = [evaluate_impulses(ensemble, hps, imp, **kwargs).to_frame() for imp in impulses]
    out = pd.concat(frames, ignore_index=True)
    out["pert_var"] = pd.Categorical(out["pert_var"].astype(str), categories=list(CHANNELS))
    return out
