"""Feedback impulses (SPEC §2.3, §2.7): a brief offset added to the sensed position or velocity.

An impulse of amplitude a along the unit vector d̂ adds a·d̂ to two columns of the sensed
[p_x, p_y, v_x, v_y] (columns 0–1 for "pos", 2–3 for "vel") at control steps
`start … start + duration − 1`, after the feedback delay and before the feedback noise, exactly as
`Interventions.feedback` is documented. Control step k produces the state row t = k + 1 of a
`Trajectory`, so the first force that can respond to the impulse is row `start + 1`.

`FeedbackImpulse` is the validated description; `feedback_impulses` turns it into the per-trial
intervention arrays for ONE amplitude, as a pure JAX function, so that the amplitudes can be
vmapped: `jax.vmap(lambda a: feedback_impulses(spec, a, n, T, key))(jnp.asarray(spec.amplitudes))`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Final, final

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ._rollout import Interventions
from ._types import Array, Float, Key

CHANNELS: Final = ("pos", "vel")
"""Feedback variables that an impulse can perturb."""
DIRECTION_MODES: Final = ("rand", "xy")
"""`rand`: a random unit vector per trial; `xy`: the first half of the trials along +x, the second
half along +y."""
DEFAULT_MAX_AMPLITUDE: Final = {"pos": 1.8, "vel": 1.2}
"""Largest impulse amplitude per channel (SPEC §2.3), in position / velocity units."""
DEFAULT_N_AMPLITUDES: Final = 3
DEFAULT_START: Final = 30
DEFAULT_DURATION: Final = 5
_COLUMNS: Final = {"pos": 0, "vel": 2}


def impulse_amplitudes(max_amplitude: float, n: int) -> tuple[float, ...]:
    """The SPEC amplitude grid `linspace(0, max, n + 1)[1:]`: n evenly spaced positive values.

    Arguments:
        max_amplitude: the largest amplitude (> 0).
        n: number of amplitudes (integer >= 1).

    Returns:
        The n amplitudes, e.g. (0.6, 1.2, 1.8) for max 1.8 and n 3.
    """
    if not (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1):
        raise ValueError(f"n_amplitudes={n!r}; expected an integer >= 1")
    if not (math.isfinite(max_amplitude) and max_amplitude > 0):
        raise ValueError(f"max_amplitude={max_amplitude!r}; expected a finite number > 0")
    grid = np.linspace(0.0, float(max_amplitude), int(n) + 1)[1:]
    return tuple(round(float(a), 12) for a in grid)  # 0.4, not 0.39999999999999997


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@final
@dataclasses.dataclass(frozen=True)
class FeedbackImpulse:
    """A feedback impulse protocol: which channel, when, in which directions, how strong.

    Attributes:
        channel: "pos" or "vel", the perturbed feedback variable.
        start: first control step of the impulse (integer >= 0).
        duration: number of control steps (integer >= 1).
        direction: "rand" (random unit vector per trial) or "xy" (half the trials along +x, half
            along +y; the trial count must then be even).
        max_amplitude: largest amplitude; None for the SPEC default of the channel (1.8 / 1.2).
        n_amplitudes: number of amplitudes in `linspace(0, max, n + 1)[1:]`.
        amplitudes: explicit amplitudes (each > 0) instead of the grid; None for the grid.
    """

    channel: str
    start: int = DEFAULT_START
    duration: int = DEFAULT_DURATION
    direction: str = "rand"
    max_amplitude: float | None = None
    n_amplitudes: int = DEFAULT_N_AMPLITUDES
    amplitudes: Sequence[float] | None = None  # stored as a tuple of floats

    def __post_init__(self):
        if self.channel not in CHANNELS:
            raise ValueError(f"impulse channel={self.channel!r}; expected one of {CHANNELS}")
        if self.direction not in DIRECTION_MODES:
            raise ValueError(
                f"impulse direction={self.direction!r}; expected one of {DIRECTION_MODES}"
            )
        if not (_is_int(self.start) and self.start >= 0):
            raise ValueError(f"impulse start={self.start!r}; expected an integer step >= 0")
        if not (_is_int(self.duration) and self.duration >= 1):
            raise ValueError(f"impulse duration={self.duration!r}; expected an integer >= 1 steps")
        if self.amplitudes is None:
            maximum = self.max_amplitude
            grid = impulse_amplitudes(
                DEFAULT_MAX_AMPLITUDE[self.channel] if maximum is None else maximum,
                self.n_amplitudes,
            )
            object.__setattr__(self, "amplitudes", grid)
        else:
            amps = tuple(float(a) for a in self.amplitudes)
            if not amps or not all(math.isfinite(a) and a > 0 for a in amps):
                raise ValueError(
                    f"impulse amplitudes={self.amplitudes!r}; expected a non-empty list of "
                    "finite numbers > 0"
                )
            object.__setattr__(self, "amplitudes", amps)

    @property
    def end(self) -> int:
        """One past the last control step of the impulse."""
        return self.start + self.duration

    @property
    def columns(self) -> slice:
        """The two columns of the sensed [p_x, p_y, v_x, v_y] that the impulse perturbs."""
        first = _COLUMNS[self.channel]
        return slice(first, first + 2)

    def check_fits(self, n_steps: int) -> None:
        """Raise a ValueError unless the impulse lies within the n_steps − 1 control steps."""
        if not (_is_int(n_steps) and n_steps >= 2):
            raise ValueError(f"n_steps={n_steps!r}; expected an integer >= 2")
        if self.end > n_steps - 1:
            raise ValueError(
                f"impulse start={self.start}, duration={self.duration} ends at control step "
                f"{self.end - 1}, outside the trial; expected start + duration <= n_steps - 1 = "
                f"{n_steps - 1}"
            )


def impulse_directions(mode: str, n_trials: int, key: Key) -> Float[Array, "n 2"]:
    """Unit impulse directions, one per trial.

    Arguments:
        mode: "rand" (angle uniform in [0, 2π), from `key`) or "xy" (first n/2 trials +x, the
            rest +y; `n_trials` must be even).
        n_trials: number of trials n.
        key: PRNG key (used by "rand" only).

    Returns:
        (n, 2) float32 unit vectors.
    """
    if mode == "rand":
        angle = jr.uniform(key, (n_trials,), jnp.float32, 0.0, 2 * jnp.pi)
        return jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=-1)
    if mode == "xy":
        if n_trials % 2:
            raise ValueError(
                f"n_trials={n_trials} with direction 'xy'; expected an even number (half along "
                "x, half along y)"
            )
        half = n_trials // 2
        return jnp.repeat(jnp.eye(2, dtype=jnp.float32), half, axis=0)
    raise ValueError(f"impulse direction={mode!r}; expected one of {DIRECTION_MODES}")


def feedback_impulses(
    spec: FeedbackImpulse, amplitude: float | Float[Array, ""], n_trials: int, n_steps: int,
    key: Key,
) -> tuple[Interventions, Float[Array, "n 2"]]:
    """The feedback interventions of `n_trials` trials for one impulse amplitude.

    Arguments:
        spec: the impulse protocol (channel, window, direction mode).
        amplitude: impulse amplitude (scalar; may be traced, so this can be vmapped over the
            amplitudes of `spec`).
        n_trials: number of trials n.
        n_steps: states per trial T (the intervention has K = T − 1 control steps).
        key: PRNG key for the "rand" directions; the same key gives the same directions for
            every amplitude.

    Returns:
        `(interventions, directions)`: `Interventions(feedback=…)` of shape (n, K, 4), equal to
        amplitude · d̂ in the channel's two columns at control steps start … start + duration − 1
        and zero elsewhere; and the unit directions d̂, shape (n, 2).
    """
    spec.check_fits(n_steps)
    n_ctrl = n_steps - 1
    directions = impulse_directions(spec.direction, n_trials, key)
    steps = jnp.arange(n_ctrl)
    window = ((steps >= spec.start) & (steps < spec.end)).astype(jnp.float32)
    offset = jnp.asarray(amplitude, jnp.float32) * window[None, :, None] * directions[:, None, :]
    feedback = jnp.zeros((n_trials, n_ctrl, 4), jnp.float32).at[:, :, spec.columns].set(offset)
    return Interventions(feedback=feedback), directions
