"""Evaluate an ensemble holding still on the steady-state grid while feedback impulses hit it
(SPEC §2.3 part 1, §2.7 part 2 with SISU values as context).

A thin layer over `motorlab.analysis.evaluate` with an `EvalSpec` that carries the impulse:
conditions are the product (impulse amplitude, [direction group], SISU, position),
amplitude-major, and the amplitudes are vmapped. Every amplitude sees the same impulse directions
and the same noise, every replicate the same trials and noise, and each evaluation repeat draws
new noise. There is no force field: the states table's `pert_amp` is 0 and `pert_type` is the
model's training field type.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from ...sim._controllers import AbstractController
from ...sim._impulses import CHANNELS, FeedbackImpulse
from ...sim._setup import Hps
from ...sim._specs import ModelSpec, as_model_spec
from .._evaluate import Evaluated, evaluate
from .._spec import EvalSpec

DEFAULT_GRID_N: Final = 5
DEFAULT_EVAL_N: Final = 5
IMPULSE_COLUMNS: Final = ("pert_var", "impulse_amp", "impulse_index", "impulse_dir_x", "impulse_dir_y")
"""Columns the impulse evaluation adds to the states table of `Evaluated.to_frame`."""


@dataclasses.dataclass
class ImpulseEvaluated:
    """States of an impulse evaluation plus the impulse of each condition.

    Attributes:
        evaluated: the states, arrays shaped (eval, replicate, condition, time, ·), with
            `evaluated.impulse` describing each condition's impulse.
        impulse: the protocol evaluated.
    """

    evaluated: Evaluated
    impulse: FeedbackImpulse

    @property
    def impulse_amp(self) -> np.ndarray:
        """Amplitude of each condition, shape (C,)."""
        return self.evaluated.impulse.amp

    @property
    def impulse_index(self) -> np.ndarray:
        """Rank of that amplitude in `impulse.amplitudes`, shape (C,)."""
        return self.evaluated.impulse.index

    @property
    def impulse_dir(self) -> np.ndarray:
        """Unit impulse direction of each condition (world frame), shape (C, 2)."""
        return self.evaluated.impulse.direction

    def to_frame(self) -> pd.DataFrame:
        """The evaluation's states table plus `IMPULSE_COLUMNS`: `pert_var` ("pos"/"vel",
        categorical), `impulse_amp` (float32), `impulse_index` (int16), `impulse_dir_x/_y`
        (float32), each constant within a trial."""
        return self.evaluated.to_frame()


def default_impulses(*, start: int = 30, duration: int = 5, direction: str = "rand",
                     n_amplitudes: int = 3) -> tuple[FeedbackImpulse, FeedbackImpulse]:
    """The SPEC §2.3 protocols: position impulses up to 1.8 and velocity impulses up to 1.2."""
    return tuple(
        FeedbackImpulse(channel, start=start, duration=duration, direction=direction,
                        n_amplitudes=n_amplitudes)
        for channel in CHANNELS
    )


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

    Raises:
        ValueError: the impulse does not fit in the trial, SISU values for a part-1 model (or
            none for a part-2 model), or a bad eval_n / grid_n.
    """
    spec = EvalSpec.steady_state(as_model_spec(hps), grid_n=grid_n, sisu=sisu, eval_n=eval_n, seed=seed,
                                 feedback_noise_std=feedback_noise_std, motor_noise_std=motor_noise_std,
                                 impulse=impulse, n_steps=n_steps)
    return ImpulseEvaluated(evaluate(ensemble, spec, included=included), impulse)


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
