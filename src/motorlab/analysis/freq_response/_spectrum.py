"""Gain and phase of a discrete-time response from one input and one output record (SPEC §2.4)."""

from __future__ import annotations

from typing import Final

import jax.numpy as jnp
import numpy as np

from ...sim._types import Array, Float

EPS: Final = 1e-8
"""Added to the input spectrum before dividing, as in the SPEC (keeps F_in = 0 finite)."""


def frequency_response(
    inputs: Float[Array, "*batch time c"] | Float[np.ndarray, "*batch time c"],
    outputs: Float[Array, "*batch time c"] | Float[np.ndarray, "*batch time c"],
    dt: float,
) -> tuple[Float[Array, " f"], Float[Array, "*batch f c"], Float[Array, "*batch f c"]]:
    """Empirical transfer function H(f) = F_out(f) / (F_in(f) + 1e-8), channel by channel.

    The FFT runs over the time axis (−2) of each record; only positive frequencies are kept
    (`fftfreq(time, dt) > 0`; the zero frequency carries the mean, not a response).

    Arguments:
        inputs: input signal (e.g. a feedback-noise sample), shape (..., time, c).
        outputs: output signal (e.g. the network's force output), same shape.
        dt: sampling interval in s, so that frequencies are in Hz.

    Returns:
        `(freqs, gain, phase)`: frequencies (f,) in Hz; gain |H| (..., f, c), dimensionless
        ratio of output to input amplitude; phase angle(H) in rad, in (−π, π].
    """
    x, y = jnp.asarray(inputs), jnp.asarray(outputs)
    if x.shape != y.shape or x.ndim < 2:
        raise ValueError(
            f"inputs shape {x.shape} and outputs shape {y.shape}; expected equal shapes "
            "(..., time, channels)"
        )
    if not dt > 0:
        raise ValueError(f"dt={dt!r}; expected a sampling interval > 0 (s)")
    n_time = x.shape[-2]
    freqs = np.fft.fftfreq(n_time, dt)
    positive = np.flatnonzero(freqs > 0)
    ratio = jnp.fft.fft(y, axis=-2) / (jnp.fft.fft(x, axis=-2) + EPS)
    ratio = ratio[..., positive, :]
    return jnp.asarray(freqs[positive]), jnp.abs(ratio), jnp.angle(ratio)
