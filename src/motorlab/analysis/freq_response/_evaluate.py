"""Closed-loop frequency response at steady state (SPEC §2.4, part 1 "1-3").

The ensemble holds still on the steady-state grid (reach length 0, no field, no impulse) with
feedback and motor noise of std 0.1 for 200 steps; the feedback noise is the input and the
network's output (the force before motor noise) the output. Per trial, channel (pos, vel) and
axis (x, y), `frequency_response` gives gain and phase at the positive frequencies.

The rollout does not return the noise it draws, so the feedback noise is drawn here, (n, K, 4)
N(0, σ²), and passed as `Interventions.feedback` with the channel's own noise std set to 0: the
intervention is added at the same place (after the delay, before the channel's noise), so this
is the same noisy channel, with samples we keep. The network output is read out from the hidden
states (`readout(h)`, exactly what the controller returns at each step).

Memory: the evaluation repeats run one after another (`lax.map`), each with all replicates and
positions; nothing per trial is stored, only per-repeat means and variances, so the full SPEC
scale (50 × 100 positions × 200 steps, H = 100, 5 replicates) needs about one repeat's hidden
states at a time (5 × 100 × 200 × 100 floats = 40 MB). See `bench/freq_response.py`.
"""

from __future__ import annotations

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
from ...sim._impulses import CHANNELS
from ...sim._rollout import Interventions, simulate_trials
from ...sim._setup import Hps, make_keys, map_replicates
from ...sim._specs import ModelSpec, as_model_spec
from ...sim._tasks import steady_state_grid
from ._spectrum import frequency_response

NOISE_STD: Final = 0.1
N_STEPS: Final = 200
EVAL_N: Final = 50
GRID_N: Final = 10
AXES: Final = ("x", "y")
STATISTICS: Final = ("gain", "gain_db", "phase")
"""Per-trial quantities summarised as mean ± std: gain |H|, 20·log10 |H| (dB), phase (rad)."""


def _summary(ensemble, env, trials, context, keys, noise_std: float, dt: float, field_type: str):
    """Per evaluation repeat and replicate: mean and variance over positions of each statistic.

    Returns:
        `(freqs, mean, var)`: mean and var shaped (eval, replicate, stat, channel, f, axis).
    """
    n, n_ctrl = trials.n, env.n_steps - 1
    fields = evaluation_fields(field_type, jnp.zeros(n), trials.angle)  # amplitude 0: no field

    def one_eval(key):
        k_motor, k_fb = jr.split(key)
        noise = noise_std * jr.normal(k_fb, (n, n_ctrl, 4))
        motor_keys = jr.split(k_motor, n)

        def one_rep(model):
            traj = simulate_trials(model, env, trials.start, trials.goal, fields, context,
                                   motor_keys, Interventions(feedback=noise), keep=("hidden",))
            w, b = model.readout.weight, model.readout.bias
            out = jnp.einsum("nth,oh->nto", traj.hidden[:, 1:], w,
                             precision=jax.lax.Precision.HIGHEST) + b[None, None, :]
            stats = []
            for c in range(len(CHANNELS)):
                _, gain, phase = frequency_response(noise[..., 2 * c:2 * c + 2], out, dt)
                db = 20 * jnp.log10(jnp.maximum(gain, jnp.finfo(gain.dtype).tiny))
                stats.append(jnp.stack([gain, db, phase]))  # (stat, n, f, axis)
            stats = jnp.stack(stats, axis=1)  # (stat, channel, n, f, axis)
            return jnp.mean(stats, axis=2), jnp.var(stats, axis=2)
        return map_replicates(one_rep, ensemble)

    mean, var = jax.lax.map(one_eval, keys)
    return mean, var


_run = eqx.filter_jit(_summary)  # one wrapper, so repeated calls reuse the compiled program


def frequency_response_table(
    ensemble: AbstractController,
    hps: Hps | ModelSpec,
    *,
    seed: int,
    eval_n: int = EVAL_N,
    grid_n: int = GRID_N,
    noise_std: float = NOISE_STD,
    n_steps: int = N_STEPS,
    sisu: float | None = None,
    included: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Closed-loop gain and phase from feedback noise to network output, per frequency.

    Arguments:
        ensemble: replicate ensemble (leading replicate axis).
        hps: the model's training hyperparameters (plant, delay, dt), or its `ModelSpec`.
        seed: evaluation seed (`make_keys(seed)`'s evaluation key).
        eval_n: evaluation repeats; each draws new feedback and motor noise.
        grid_n: the hold positions are a grid_n × grid_n grid.
        noise_std: std of the feedback noise (the input, on every sensed variable) and of the
            motor noise, both overriding the training values.
        n_steps: states per trial T; the spectra have K = T − 1 samples (one per control step).
        sisu: the context value held in a part-2 model (required there); None in part 1.
        included: replicates kept by post-training selection (default: all).

    Returns:
        One row per replicate × channel × axis × frequency: `replicate` (int16), `included`,
        `pert_var` ("pos"/"vel", the noisy feedback variable), `axis` ("x"/"y": input axis and
        output axis), `frequency` (Hz, > 0), `sisu` (NaN in part 1), `n_trials` (eval_n ×
        grid_n²), and `<stat>_mean`, `<stat>_std` for stat in gain, gain_db, phase (over trials;
        the phase mean is the plain mean of the angles in (−π, π], as in the SPEC).
    """
    if not (isinstance(eval_n, int) and eval_n >= 1):
        raise ValueError(f"eval_n={eval_n!r}; expected an integer >= 1")
    if not noise_std > 0:
        raise ValueError(f"noise_std={noise_std!r}; expected > 0 (the noise is the input signal)")
    model = as_model_spec(hps)
    if model.n_context and sisu is None:
        raise ValueError("a part-2 model needs a `sisu` value, got None")
    if not model.n_context and sisu is not None:
        raise ValueError(f"a part-1 model takes no context input, got sisu={sisu!r}; expected None")
    env = model.environment.environment(feedback_noise_std=0.0, motor_noise_std=noise_std, n_steps=n_steps)
    trials = steady_state_grid(int(grid_n), model.environment.workspace)
    context = (jnp.full((trials.n, 1), sisu, jnp.float32) if model.n_context
               else jnp.zeros((trials.n, 0)))
    dt = model.environment.dt
    _, _, key_eval = make_keys(seed)
    keys = jr.split(key_eval, eval_n)
    mean, var = _run(ensemble, env, trials, context, keys, float(noise_std), dt,
                    model.environment.field_type)
    mean, var = np.asarray(mean, np.float64), np.asarray(var, np.float64)
    # Equal trial counts per repeat: total variance = mean within-repeat + between-repeat variance.
    total_mean = mean.mean(axis=0)
    total_std = np.sqrt(var.mean(axis=0) + mean.var(axis=0))  # (replicate, stat, channel, f, axis)
    freqs = np.fft.fftfreq(env.n_steps - 1, dt)
    freqs = freqs[freqs > 0]
    n_rep = total_mean.shape[0]
    inc = np.ones(n_rep, bool) if included is None else np.asarray(included, bool)
    if inc.shape != (n_rep,):
        raise ValueError(f"`included` must have one entry per replicate ({n_rep}), got {inc.shape}")
    r, c, f, a = np.indices((n_rep, len(CHANNELS), freqs.size, len(AXES))).reshape(4, -1)
    table = pd.DataFrame({
        "replicate": r.astype(np.int16), "included": inc[r],
        "pert_var": pd.Categorical.from_codes(c.astype(np.int8), categories=list(CHANNELS)),
        "axis": pd.Categorical.from_codes(a.astype(np.int8), categories=list(AXES)),
        "frequency": freqs[f], "sisu": np.float32(np.nan if sisu is None else sisu),
        "n_trials": np.full(r.size, eval_n * trials.n, np.int32),
    })
    for s, stat in enumerate(STATISTICS):
        table[f"{stat}_mean"] = total_mean[r, s, c, f, a]
        table[f"{stat}_std"] = total_std[r, s, c, f, a]
    return table
